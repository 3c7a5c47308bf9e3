"""Secrets kept in local files: created once with 0600 permissions, never in the repo."""
from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from kameng.adapters.private_files import private_folder


def load_or_create(path: Path, size: int = 32) -> bytes:
    if not path.exists():
        _create(path, size)
    secret = path.read_bytes()
    if len(secret) != size:
        raise ValueError(f"{path}: expected {size} bytes, found {len(secret)}; restore it from your backup")
    return secret


def _create(path: Path, size: int) -> None:
    private_folder(path.parent)
    # Written whole to a private temp file, then linked into place: a process starting at
    # the same moment sees either no file or the whole secret, and only one secret wins.
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(size))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(temp)
