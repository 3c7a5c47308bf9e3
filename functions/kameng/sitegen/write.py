"""Put a build's files into site/ so that a failed build changes nothing.

Everything happens in a work folder beside site/ (`.<site>.build-XXXX`, on
the same filesystem, so renames are atomic), removed when the build ends.

- No site/ yet, or an empty one: the files are written into the work folder
  and the folder is renamed to site/ at the end.
- A previous site: only what changed is touched, in place. Each changed file
  is written into the work folder, then renamed over its path (readers see
  the old file or the new one, never a part). Before a file is replaced or
  deleted it is hard-linked (or moved) into the work folder's backup, and
  every step is written to a journal before it is taken. An exception
  undoes the steps in reverse: the previous files come back as they were
  (the same inodes, so also the same times and modes). A build that is
  killed leaves its journal; the next build rolls it back before it starts
  (recover()).

Files whose bytes did not change are not written: they keep their inode
and mtime, so a sync to a CDN (or BuildReport.files_written) sees only what
really changed. Outputs with equal share keys (one theme file in every
station) are written once and hard-linked.
"""
from __future__ import annotations

import filecmp
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from kameng.sitegen.parallel import fork_map

try:
    import fcntl
except ImportError:  # not POSIX: no lock, and recover() cannot tell a running build from a dead one
    fcntl = None  # type: ignore[assignment]

JOURNAL = "journal"
_COMMIT = "commit"


class Writable(Protocol):
    @property
    def path(self) -> str: ...
    @property
    def render(self) -> Callable[[], bytes]: ...
    @property
    def share_key(self) -> str | None: ...


class SiteWriter:
    def __init__(self, site_dir: Path) -> None:
        self.site_dir = site_dir
        site_dir.parent.mkdir(parents=True, exist_ok=True)
        self.fresh = _missing_or_empty(site_dir)
        self.work = Path(tempfile.mkdtemp(prefix=work_prefix(site_dir), dir=site_dir.parent))
        self._steps: list[list[Any]] = []
        try:
            self._journal = open(self.work / JOURNAL, "w", encoding="utf-8")
            # Held until the build ends: recover() leaves a live build's folder alone.
            if fcntl is not None:
                fcntl.flock(self._journal, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._log("begin", site_dir.name, "fresh" if self.fresh else "update")
            if self.fresh:
                self.root = self.work / "site"
                os.mkdir(self.root)  # mode 0o777 less the umask: the site must stay readable by a web server
            else:
                self.root = site_dir
                os.mkdir(self.work / "new")
                os.mkdir(self.work / "old")
        except BaseException:
            shutil.rmtree(self.work, ignore_errors=True)
            raise
        self._root = str(self.root)
        self._temps = 0
        self._backups = 0
        self._dirs: set[Path] = {self.root}
        self.written = 0
        # The paths under site/ this build wrote or deleted: what a CDN must be told about.
        self.changed: list[str] = []

    def __enter__(self) -> SiteWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            try:
                self._commit()
                return
            except BaseException:
                self._abandon()
                raise
        self._abandon()

    # --- what is there --------------------------------------------------------

    def intact(self, path: str, size: int) -> bool:
        """A regular file of that size is at path: what the previous build recorded writing there."""
        if self.fresh:
            return False
        try:
            status = os.lstat(f"{self._root}/{path}")  # not a Path: called for every file of the site
        except OSError:
            return False
        return stat.S_ISREG(status.st_mode) and status.st_size == size

    # --- writing --------------------------------------------------------------

    def write_all(
        self, outputs: Sequence[Writable], keep: dict[str, str], produced: set[str], listed: Iterable[str] | None
    ) -> list[int]:
        """Render and write outputs, delete the previous site's files not in produced; return the sizes, in order.

        keep: share key → path of a file with those bytes (kept from the
        previous build, or written by an earlier call), to link from; the
        files this call writes are added to it. listed: the files that may be
        deleted; None to look at every file of the site.
        """
        sources = keep
        pages = [index for index, output in enumerate(outputs) if output.share_key is None]
        # Rendering is the slow part: on every core. Nothing under site/ changes
        # until every page is rendered.
        rendered = fork_map(lambda index: self._render(index, outputs[index]), pages)
        # Deleting first frees paths the new files may need (a file that becomes a folder).
        self._remove_others(produced, listed)
        sizes = [0] * len(outputs)
        for index, (size, changed) in zip(pages, rendered):
            sizes[index] = size
            if changed:
                self.written += 1
                self.changed.append(outputs[index].path)
                if not self.fresh:
                    self._install(outputs[index].path, self.work / "new" / str(index))
        for index, output in enumerate(outputs):
            if output.share_key is not None:
                sizes[index] = self._write_shared(output, sources)
        return sizes

    def put(self, path: str, data: bytes) -> None:
        """Write one file (the build's bookkeeping) unless it already holds data."""
        if self._write(path, data, self._temp()):
            self.written += 1

    def spool(self, name: str) -> Path:
        """A path in the work folder for a file too big to hold in memory, written piece by piece; put_file()
        installs it. Gone with the work folder if not installed."""
        return self.work / f"spool-{name}"

    def put_file(self, path: str, made: Path) -> None:
        """Install a file made at a spool() path (the build's bookkeeping) unless path holds its bytes already."""
        if self.fresh:
            os.rename(made, self.root / path)
        elif _same_file(self.root / path, made):
            return
        else:
            self._install(path, made)
        self.written += 1

    def _remove_others(self, keep: set[str], listed: Iterable[str] | None) -> None:
        if self.fresh:
            return
        candidates = _walk(self.root) if listed is None else listed
        emptied: set[str] = set()
        for path in sorted(set(candidates) - keep):
            target = self.root / path
            if not os.path.lexists(target) or (target.is_dir() and not target.is_symlink()):
                continue
            backup = self._backup()
            self._log("delete", path, backup.name)
            os.rename(target, backup)
            self.changed.append(path)
            parent = os.path.dirname(path)
            while parent and parent not in emptied:
                emptied.add(parent)
                parent = os.path.dirname(parent)
        for folder in sorted(emptied, key=lambda name: name.count("/"), reverse=True):
            target = self.root / folder
            try:
                if not _missing_or_empty(target) or not target.is_dir():
                    continue
            except OSError:
                continue
            self._log("rmdir", folder)
            os.rmdir(target)
            self._dirs.discard(target)

    # --- steps ------------------------------------------------------------------

    def _render(self, index: int, output: Writable) -> tuple[int, bool]:
        """In a worker: render; write the bytes where _install takes them, unless the file has them already."""
        data = output.render()
        if self.fresh:
            target = self.root / output.path
            self._make_dirs_fresh(target.parent)
            _write_new(target, data)
            return len(data), True
        if _holds(self.root / output.path, data):
            return len(data), False
        _write_new(self.work / "new" / str(index), data)
        return len(data), True

    def _write_shared(self, output: Writable, sources: dict[str, str]) -> int:
        data = output.render()
        key = output.share_key
        assert key is not None
        source = sources.get(key)
        if source is None:
            if self._write(output.path, data, self._temp()):
                self.written += 1
                self.changed.append(output.path)
            sources[key] = output.path
        elif self.fresh or not _holds(self.root / output.path, data):
            self.changed.append(output.path)
            temp = self.root / output.path if self.fresh else self._temp()
            if self.fresh:
                self._make_dirs_fresh(temp.parent)
            try:
                os.link(self.root / source, temp)
            except OSError:  # a filesystem without hard links
                _write_new(temp, data)
                self.written += 1
            if not self.fresh:
                self._install(output.path, temp)
        return len(data)

    def _write(self, path: str, data: bytes, temp: Path) -> bool:
        if self.fresh:
            target = self.root / path
            self._make_dirs_fresh(target.parent)
            _write_new(target, data)
            return True
        if _holds(self.root / path, data):
            return False
        _write_new(temp, data)
        self._install(path, temp)
        return True

    def _install(self, path: str, temp: Path) -> None:
        target = self.root / path
        self._make_dirs(target.parent)
        if os.path.lexists(target):
            backup = self._backup()
            self._log("replace", path, backup.name)
            try:
                os.link(target, backup, follow_symlinks=False)
            except OSError:  # a filesystem without hard links
                shutil.copy2(target, backup, follow_symlinks=False)
        else:
            self._log("create", path)
        os.replace(temp, target)

    def _make_dirs(self, folder: Path) -> None:
        if folder in self._dirs:
            return
        missing: list[Path] = []
        while folder not in self._dirs and not folder.is_dir():
            missing.append(folder)
            folder = folder.parent
        self._dirs.add(folder)
        for made in reversed(missing):
            self._log("mkdir", made.relative_to(self.root).as_posix())
            os.mkdir(made)
            self._dirs.add(made)

    def _make_dirs_fresh(self, folder: Path) -> None:
        # Runs in forked workers too: each keeps its own set; makedirs tolerates the other's folders.
        if folder not in self._dirs:
            os.makedirs(folder, exist_ok=True)
            self._dirs.add(folder)

    def _temp(self) -> Path:
        self._temps += 1
        return self.work / "new" / f"t{self._temps}"

    def _backup(self) -> Path:
        self._backups += 1
        return self.work / "old" / str(self._backups)

    def _log(self, *step: Any) -> None:
        """Write-ahead: the step is in the journal before it is taken."""
        self._steps.append(list(step))
        self._journal.write(json.dumps(step, ensure_ascii=False) + "\n")
        self._journal.flush()

    # --- the end ---------------------------------------------------------------

    def _commit(self) -> None:
        if self.fresh:
            # Over an empty site/ or none; afterwards the build is done, whatever happens next.
            os.rename(self.root, self.site_dir)
        self._log(_COMMIT)
        self._journal.close()
        shutil.rmtree(self.work, ignore_errors=True)

    def _abandon(self) -> None:
        """Undo what this build changed under site/, then remove the work folder."""
        try:
            if not self.fresh:
                _undo(self.site_dir, self.work, self._steps)
        except BaseException:
            # The journal stays: the next build finishes the undo (recover()).
            self._journal.close()
            raise
        self._journal.close()
        shutil.rmtree(self.work, ignore_errors=True)


def work_prefix(site_dir: Path) -> str:
    return f".{site_dir.name}.build-"


class SiteBusy(Exception):
    """A build is writing site/ now: reading it would see a mix of two builds."""


def recover(site_dir: Path) -> str | None:
    """Finish what a killed build left beside site_dir: roll back its changes, remove its folders.

    Returns what was done, or None when nothing was left. A folder whose
    journal another process still holds belongs to a build that is running,
    and is left alone.
    """
    return _recover(site_dir)[0]


def ready(site_dir: Path) -> str | None:
    """recover(), for what reads site/ whole (publish, the local server); SiteBusy while a build writes it.

    A build killed while installing files leaves site/ a mix of two builds
    until its journal is rolled back; uploading or serving that mix would
    ship pages that point at what the other build wrote.
    """
    done, busy = _recover(site_dir)
    if busy:
        raise SiteBusy(
            f"{site_dir}: a build is writing it now ({', '.join(busy)} is in use); run again when it has finished"
        )
    return done


def _recover(site_dir: Path) -> tuple[str | None, list[str]]:
    """(what was done, the work folders of builds still running)."""
    parent = site_dir.parent
    if not parent.is_dir():
        return None, []
    done: list[str] = []
    busy: list[str] = []
    for work in sorted(parent.glob(work_prefix(site_dir) + "*")):
        steps = _held_steps(work / JOURNAL)
        if steps is None:
            busy.append(work.name)
            continue
        if steps and (steps[0][:2] != ["begin", site_dir.name]):
            continue  # another site's folder whose name starts like ours
        if steps and steps[0][2] == "update" and steps[-1] != [_COMMIT]:
            _undo(site_dir, work, steps)
            done.append(f"rolled back a build killed after {_changes(steps)} in {site_dir.name}/ ({work.name})")
        elif steps and steps[-1] == [_COMMIT]:
            done.append(f"removed {work.name}, left by a build killed after it finished")
        else:
            done.append(f"removed {work.name}, left by a build killed before it changed {site_dir.name}/")
        shutil.rmtree(work, ignore_errors=True)
    # Folders of the builds before journals: a half-made new site, an old one replaced.
    for kind in ("new", "old") if site_dir.exists() else ("new",):
        for path in parent.glob(f".{site_dir.name}.{kind}-*"):
            shutil.rmtree(path, ignore_errors=True)
            done.append(f"removed {path.name}, left by an older build")
    return ("; ".join(done) or None), busy


def _held_steps(journal: Path) -> list[list[Any]] | None:
    """The journal's steps, once no build holds it; None while one does."""
    try:
        with open(journal, "r+", encoding="utf-8") as file:
            try:
                if fcntl is not None:
                    fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return None
            return _read_steps(file.read())
    except FileNotFoundError:
        return []  # killed before its journal was made: it changed nothing
    except OSError:
        return None


def _changes(steps: Sequence[Sequence[Any]]) -> str:
    changed = sum(step[0] in ("replace", "create", "delete") for step in steps)
    return f"changing {changed} file{'' if changed == 1 else 's'}"


def _read_steps(text: str) -> list[list[Any]]:
    steps: list[list[Any]] = []
    for line in text.split("\n"):
        try:
            step = json.loads(line)
        except ValueError:
            break  # the end, or a line the kill cut short: its step was not taken
        if not isinstance(step, list) or not step:
            break
        steps.append(step)
    return steps


def _undo(site_dir: Path, work: Path, steps: Sequence[Sequence[Any]]) -> None:
    # os.rename, not os.replace: the same call on POSIX, and the undo must not
    # depend on the call whose failure it may be undoing.
    for step in reversed(steps):
        kind = step[0]
        if kind == "replace" or kind == "delete":
            backup = work / "old" / step[2]
            if os.path.lexists(backup):
                os.rename(backup, site_dir / step[1])
        elif kind == "create":
            try:
                os.unlink(site_dir / step[1])
            except FileNotFoundError:
                pass
        elif kind == "mkdir":
            try:
                os.rmdir(site_dir / step[1])
            except FileNotFoundError:
                pass
        elif kind == "rmdir":
            os.makedirs(site_dir / step[1], exist_ok=True)


def _missing_or_empty(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is None
    except FileNotFoundError:
        return True


def _holds(path: Path, data: bytes) -> bool:
    """path is a regular file with exactly these bytes."""
    try:
        status = os.lstat(path)
        if not stat.S_ISREG(status.st_mode) or status.st_size != len(data):
            return False
        with open(path, "rb") as file:
            return file.read() == data
    except OSError:
        return False


def _same_file(path: Path, made: Path) -> bool:
    """path is a regular file with made's bytes."""
    try:
        status = os.lstat(path)
        return stat.S_ISREG(status.st_mode) and filecmp.cmp(path, made, shallow=False)
    except OSError:
        return False


def _write_new(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view):]
    finally:
        os.close(descriptor)


def _walk(root: Path) -> list[str]:
    found: list[str] = []
    for folder, _, names in os.walk(root):
        relative = os.path.relpath(folder, root)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        found.extend(prefix + name for name in names)
    return found
