"""Stations' content in the content/ folder: what `make build` reads, edited in place by the console."""
from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from kameng.domain.content import LANDING, PAGES, PRODUCTS, STATION_FILE, version_of
from kameng.domain.errors import InvalidRequest
from kameng.ports.content import StationContent
from kameng.ports.store import Conflict

LOCK_FILE = ".publish.lock"


class LocalContentFiles:
    def __init__(self, content_dir: Path):
        self._root = Path(content_dir)

    def station_content(self, station: str) -> StationContent | None:
        folder = self._root / station
        if not _plain_folder(folder):
            return None
        files: dict[str, str] = {}
        for path in (STATION_FILE, LANDING):
            if _plain_file(folder / path):
                files[path] = (folder / path).read_text(encoding="utf-8")
        for kind in (PAGES, PRODUCTS):  # pages, and a substation's own goods
            listed = folder / kind.rstrip("/")
            if _plain_folder(listed):
                for page in sorted(listed.iterdir()):
                    if page.suffix == ".md" and not page.name.startswith(".") and _plain_file(page):
                        files[kind + page.name] = page.read_text(encoding="utf-8")
        images = folder / "images"
        names = sorted(p.name for p in images.iterdir() if not p.name.startswith(".")) if _plain_folder(images) else []
        return StationContent(files, tuple(names), version_of(files))

    def save(self, station: str, changes: Mapping[str, str | None], expected_version: str) -> str:
        current = self.station_content(station)
        if current is None or current.version != expected_version:
            raise Conflict(f"{station}: content changed since version {expected_version}")
        folder = self._root / station
        targets = {path: self._target(folder, path) for path in changes}
        files = dict(current.files)
        for path, text in changes.items():
            if text is None:
                targets[path].unlink(missing_ok=True)
                files.pop(path, None)
            else:
                _write(targets[path], text)
                files[path] = text
        return version_of(files)

    def copy_all(self, folder: Path) -> None:
        # Links are copied as the files they name: a write into the copy must never reach through one.
        shutil.copytree(self._root, folder, ignore=shutil.ignore_patterns(LOCK_FILE), ignore_dangling_symlinks=True)

    def replace_file(self, path: str, text: str) -> bool:
        target = self._target(self._root, path)
        if _plain_file(target) and target.read_text(encoding="utf-8") == text:
            return False
        _write(target, text)
        return True

    @contextmanager
    def lock(self) -> Iterator[None]:
        with open(self._root / LOCK_FILE, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _target(self, folder: Path, path: str) -> Path:
        target = folder / path
        # A link would let an edit write (or a page show) a file outside the station's folder.
        for part in (target, target.parent):
            if part.is_symlink():
                raise InvalidRequest(f"{path} 是链接，不能在控制台编辑", [{"loc": f"files.{path}", "msg": "is a link"}])
        return target


def _plain_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _plain_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _write(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written whole then renamed: a build running at that moment reads the old file or the new, never half.
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".edit-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
