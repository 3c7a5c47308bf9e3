"""Write a new site next to the old one and swap them, so a failed build changes nothing.

Files whose bytes did not change are hard-linked from the previous site
rather than written: they keep their inode and mtime, so a sync to a CDN
(or a reader of BuildReport.files_written) sees only what really changed.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType


class StagedSite:
    def __init__(self, site_dir: Path) -> None:
        self.site_dir = site_dir
        self._made: set[Path] = set()
        self._shared: dict[str, Path] = {}
        site_dir.parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(site_dir)
        # A sibling, so the final rename stays on one filesystem and is atomic.
        self.root = Path(tempfile.mkdtemp(prefix=_prefix(site_dir, "new"), dir=site_dir.parent))
        # mkdtemp makes it private (0700); the site must stay readable by a web server.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.root, 0o777 & ~umask)

    def __enter__(self) -> StagedSite:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            self._swap()
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def write(self, path: str, data: bytes, share_key: str | None = None) -> bool:
        """Put data at path in the new site; False when an equal file was linked instead of written."""
        target = self.root / path
        if target.parent not in self._made:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(target.parent)
        if self._link_unchanged(self.site_dir / path, target, data):
            return False
        if share_key is not None and share_key in self._shared:
            try:
                os.link(self._shared[share_key], target)
                return False
            except OSError:
                pass
        with open(target, "wb") as file:
            file.write(data)
        if share_key is not None:
            self._shared[share_key] = target
        return True

    def _link_unchanged(self, old: Path, target: Path, data: bytes) -> bool:
        try:
            if old.is_symlink() or old.stat().st_size != len(data) or old.read_bytes() != data:
                return False
            os.link(old, target)
        except OSError:  # no previous file, or a filesystem without hard links
            return False
        return True

    def _swap(self) -> None:
        if not self.site_dir.exists():
            os.rename(self.root, self.site_dir)
            return
        old = self.root.with_name(self.root.name.replace(_prefix(self.site_dir, "new"), _prefix(self.site_dir, "old")))
        os.rename(self.site_dir, old)
        try:
            os.rename(self.root, self.site_dir)
        except OSError:
            os.rename(old, self.site_dir)
            shutil.rmtree(self.root, ignore_errors=True)
            raise
        shutil.rmtree(old, ignore_errors=True)


def _prefix(site_dir: Path, kind: str) -> str:
    return f".{site_dir.name}.{kind}-"


def _remove_leftovers(site_dir: Path) -> None:
    """Folders a killed build left behind; they are ours by their name.

    An old site is kept if there is no current one: the build was killed
    between the two renames and it is the only copy.
    """
    kinds = ("new", "old") if site_dir.exists() else ("new",)
    for kind in kinds:
        for path in site_dir.parent.glob(_prefix(site_dir, kind) + "*"):
            shutil.rmtree(path, ignore_errors=True)
