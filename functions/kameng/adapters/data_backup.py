"""Backups of the embedded shop's data folder, and restoring one.

The folder holds the SQLite store, the sandboxes' databases, the master key that seals the card keys,
uploads and the outbox. Each database is copied with SQLite's online backup API: one read transaction
over a WAL file, so the copy is one consistent moment while the shop goes on selling. Everything else is
copied as it is. A manifest lists every file's digest and every table's row count and digest, and a backup
is reported only after it has been restored into a scratch folder and found equal to its manifest; a
restore checks the same before it replaces anything.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

from kameng.adapters.private_files import FILE_MODE, FOLDER_MODE, private_file, private_folder

FORMAT = 1
KIND = "kameng-data-folder"
MANIFEST = "manifest.json"
SEALING_KEY = "master.key"
STORE = "kameng.db"
SQLITE_MAGIC = b"SQLite format 3\x00"
# The backup API copies what was committed; a journal beside the copy would only be a stale half of it.
JOURNAL_SUFFIXES = ("-wal", "-shm", "-journal")
# Posters are made again from their content whenever asked for: a cache, not the shop's data.
CACHE_FOLDERS = ("posters",)
ARCHIVE_SUFFIX = ".tar.gz"
CHUNK = 1024 * 1024


class BackupRefused(Exception):
    """A backup or restore that would be unsafe or is damaged: the CLI says why, and nothing was changed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Backup:
    path: Path
    manifest: dict

    @property
    def sealing_key_included(self) -> bool:
        return bool(self.manifest["sealing_key"]["included"])


@dataclass(frozen=True)
class Restored:
    data_dir: Path
    manifest: dict
    set_aside: Path | None


def is_archive(path: Path) -> bool:
    return path.name.endswith(ARCHIVE_SUFFIX)


def take(data_dir: Path, dest: Path, clock: Callable[[], datetime] | None = None) -> Backup:
    """Back `data_dir` up into the new folder (or .tar.gz) `dest`, verified before it is put in place."""
    data_dir, dest = Path(data_dir), Path(dest)
    if not (data_dir / STORE).is_file():
        raise BackupRefused(f"no shop to back up: {data_dir / STORE} does not exist (KAMENG_DATA_DIR)")
    if dest.exists() and (is_archive(dest) or not dest.is_dir() or any(dest.iterdir())):
        raise BackupRefused(f"{dest} already exists; a backup never overwrites anything, name a new one")
    if dest.resolve().is_relative_to(data_dir.resolve()):
        raise BackupRefused(f"{dest} is inside the data folder {data_dir}; put backups elsewhere")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.partial-"))
    try:
        folder = private_folder(staging / "backup")
        manifest = _copy_folder(data_dir, folder, (clock or _now)())
        _write_json(folder / MANIFEST, manifest)
        if is_archive(dest):
            packed = staging / "backup.tar.gz"
            _pack(folder, packed)
            verify(packed)
            os.replace(packed, dest)
        else:
            verify(folder)
            if dest.exists():
                dest.rmdir()
            os.rename(folder, dest)
            os.chmod(dest, FOLDER_MODE)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Backup(dest, manifest)


def verify(src: Path) -> dict:
    """Restore `src` into a fresh scratch folder and compare it with its manifest; the manifest, or BackupRefused."""
    with tempfile.TemporaryDirectory(prefix="kameng-verify-") as scratch:
        return _unpack_checked(Path(src), Path(scratch) / "data")


def restore(src: Path, data_dir: Path, force: bool = False,
            clock: Callable[[], datetime] | None = None) -> Restored:
    """Replace `data_dir` with the backup `src`, once it has been checked whole; the files it replaces are
    moved aside, beside it, never deleted."""
    src, data_dir = Path(src), Path(data_dir)
    if not src.exists():
        raise BackupRefused(f"no backup at {src}")
    live = data_dir.is_dir() and any(data_dir.iterdir())
    if live and not force:
        raise BackupRefused(
            f"the data folder {data_dir} already holds a shop; nothing was replaced. Stop the shop, then run "
            f"the restore again with --force: the files it replaces are kept beside it, not deleted")
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=data_dir.parent, prefix=f".{data_dir.name}.restoring-"))
    try:
        restored = staging / "data"
        try:
            manifest = _unpack_checked(src, restored)
        except BackupRefused as refused:
            raise BackupRefused(f"{refused.message}; nothing was restored") from None
        (restored / MANIFEST).unlink()
        _keep_only(restored, set(manifest["files"]))
        set_aside = None
        if live:
            set_aside = _aside(data_dir, (clock or _now)())
            os.rename(data_dir, set_aside)
        elif data_dir.exists():
            data_dir.rmdir()
        os.rename(restored, data_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Restored(data_dir, manifest, set_aside)


def _aside(data_dir: Path, moment: datetime) -> Path:
    stamp = moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    aside, n = data_dir.with_name(f"{data_dir.name}.before-restore-{stamp}"), 1
    while aside.exists():
        n += 1
        aside = data_dir.with_name(f"{data_dir.name}.before-restore-{stamp}-{n}")
    return aside


def _now() -> datetime:
    return datetime.now(timezone.utc)


# ---------------------------------------------------------------- taking a backup


def _shop_files(data_dir: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted(data_dir.rglob("*")):
        name = path.relative_to(data_dir).as_posix()
        if path.is_symlink() or not path.is_file():
            continue
        if name.endswith(JOURNAL_SUFFIXES) or name.split("/", 1)[0] in CACHE_FOLDERS:
            continue
        yield name, path


def _is_database(path: Path) -> bool:
    with open(path, "rb") as file:
        return file.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC


def _copy_folder(data_dir: Path, folder: Path, moment: datetime) -> dict:
    files: dict[str, dict] = {}
    databases: dict[str, dict] = {}
    for name, path in _shop_files(data_dir):
        target = folder / name
        private_folder(target.parent)
        if _is_database(path):
            _copy_database(path, target)
            databases[name] = _describe_database(target)
        elif not _copy_file(path, target):
            continue
        files[name] = {"bytes": target.stat().st_size, "sha256": _file_digest(target)}
    return {
        "format": FORMAT, "kind": KIND, "created_at": moment.astimezone(timezone.utc).isoformat(),
        "source": str(data_dir.resolve()), "kameng_version": _version(),
        "sealing_key": {
            "included": SEALING_KEY in files, "file": SEALING_KEY,
            "note": "the card keys in this backup are sealed under this key: keep the backup as you keep the key"},
        "databases": databases, "files": files,
    }


def _copy_file(path: Path, target: Path) -> bool:
    """False when the file went away after it was listed: the shop deletes an upload once it is imported."""
    try:
        source = open(path, "rb")
    except FileNotFoundError:
        return False
    with source, open(private_file(target), "wb") as copy:
        shutil.copyfileobj(source, copy, CHUNK)
    return True


def _copy_database(path: Path, target: Path) -> None:
    source = sqlite3.connect(path, timeout=30)
    copy = sqlite3.connect(private_file(target))
    try:
        # One step (pages=-1): one read transaction, so every table is from the same moment; in WAL mode
        # the shop's writers go on meanwhile.
        source.backup(copy)
        # The copy stands alone: a rollback journal, no -wal file to carry beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
        source.close()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kameng")
    except PackageNotFoundError:
        return "unknown"


def _pack(folder: Path, archive: Path) -> None:
    fd = os.open(archive, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for path in sorted(folder.rglob("*")):
            tar.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
        tar.close()  # the gzip trailer is written now, before the file is synced
        raw.flush()
        os.fsync(raw.fileno())


def _write_json(path: Path, value: dict) -> None:
    with open(private_file(path), "w", encoding="utf-8") as file:
        json.dump(value, file, ensure_ascii=False, indent=2, sort_keys=True)
        file.write("\n")


# ---------------------------------------------------------------- checking one


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _describe_database(path: Path) -> dict:
    """Its schema's digest and, per table, the row count and a digest of the rows in a fixed order."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if integrity != ["ok"]:
            raise BackupRefused(f"{path.name} fails SQLite's integrity check: {'; '.join(integrity[:3])}")
        schema = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        tables = {}
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                    "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall():
            tables[name] = _describe_table(conn, name)
        return {"user_version": conn.execute("PRAGMA user_version").fetchone()[0],
                "schema_sha256": hashlib.sha256(repr(schema).encode()).hexdigest(), "tables": tables}
    finally:
        conn.close()


def _describe_table(conn: sqlite3.Connection, name: str) -> dict:
    quoted = '"' + name.replace('"', '""') + '"'
    columns = len(conn.execute(f"SELECT * FROM {quoted} LIMIT 0").description)
    order = ", ".join(str(i) for i in range(1, columns + 1))
    digest, rows = hashlib.sha256(), 0
    # Ordered by every column: the same rows give the same digest, whatever order they were written in.
    for row in conn.execute(f"SELECT * FROM {quoted} ORDER BY {order}"):
        digest.update(repr(row).encode())
        digest.update(b"\n")
        rows += 1
    return {"rows": rows, "sha256": digest.hexdigest()}


def _unpack_checked(src: Path, into: Path) -> dict:
    private_folder(into)
    if is_archive(src):
        _extract(src, into)
        manifest = _read_manifest(into / MANIFEST, src)
    elif src.is_dir():
        manifest = _read_manifest(src / MANIFEST, src)
        _copy_listed(src, into, manifest)
    else:
        raise BackupRefused(f"{src} is neither a backup folder nor a {ARCHIVE_SUFFIX} backup")
    _check(into, manifest, src)
    for path in into.rglob("*"):
        os.chmod(path, FOLDER_MODE if path.is_dir() else FILE_MODE)
    return manifest


def _extract(archive: Path, into: Path) -> None:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            # "data": no absolute paths, no way out of the folder, no links or devices.
            tar.extractall(into, filter="data")
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise BackupRefused(f"{archive} is damaged or truncated and cannot be read whole ({error})") from None


def _read_manifest(path: Path, src: Path) -> dict:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupRefused(f"{src} is not a Kameng backup: it has no {MANIFEST}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BackupRefused(f"{src}: {MANIFEST} cannot be read ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != KIND:
        raise BackupRefused(f"{src} is not a Kameng backup: {MANIFEST} does not describe a data folder")
    if manifest.get("format") != FORMAT:
        raise BackupRefused(f"{src} is a backup in format {manifest.get('format')!r}; this version reads "
                            f"format {FORMAT}")
    files = manifest.get("files")
    if not isinstance(files, dict) or STORE not in files or not isinstance(manifest.get("databases"), dict):
        raise BackupRefused(f"{src}: {MANIFEST} lists no {STORE}")
    for name in files:
        parts = PurePosixPath(name).parts
        if PurePosixPath(name).is_absolute() or ".." in parts or not parts or name == MANIFEST:
            raise BackupRefused(f"{src}: {MANIFEST} names a file outside the backup: {name!r}")
    return manifest


def _copy_listed(src: Path, into: Path, manifest: dict) -> None:
    shutil.copyfile(src / MANIFEST, private_file(into / MANIFEST))
    for name in manifest["files"]:
        target = into / name
        private_folder(target.parent)
        try:
            shutil.copyfile(src / name, private_file(target))
        except FileNotFoundError:
            raise BackupRefused(f"{src} is incomplete: {name} is missing") from None


def _check(folder: Path, manifest: dict, src: Path) -> None:
    for name, expected in manifest["files"].items():
        path = folder / name
        if not path.is_file():
            raise BackupRefused(f"{src} is incomplete: {name} is missing")
        size = path.stat().st_size
        if size != expected.get("bytes") or _file_digest(path) != expected.get("sha256"):
            raise BackupRefused(f"{src} is damaged: {name} is not the file the backup wrote "
                                f"({size} bytes, {expected.get('bytes')} expected)")
    for name, expected in manifest["databases"].items():
        if name not in manifest["files"]:
            raise BackupRefused(f"{src}: {MANIFEST} describes a database it does not list: {name}")
        try:
            found = _describe_database(folder / name)
        except sqlite3.DatabaseError as error:
            raise BackupRefused(f"{src} is damaged: {name} cannot be read ({error})") from None
        listed = expected.get("tables") or {}
        differs = sorted(t for t in set(found["tables"]) | set(listed) if found["tables"].get(t) != listed.get(t))
        if differs:
            raise BackupRefused(f"{src} is damaged: in {name}, {', '.join(differs)} differ from the manifest")


def _keep_only(folder: Path, listed: set[str]) -> None:
    """A backup restores what its manifest lists and checked, nothing that came along beside it."""
    for path in sorted(folder.rglob("*"), reverse=True):
        name = path.relative_to(folder).as_posix()
        if path.is_file() and name not in listed:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def table_rows(manifest: dict, database: str = STORE) -> dict[str, int]:
    return {name: table["rows"] for name, table in manifest["databases"].get(database, {}).get("tables", {}).items()}
