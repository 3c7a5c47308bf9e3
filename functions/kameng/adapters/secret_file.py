"""Secrets kept in local files: created once with 0600 permissions, never in the repo."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def load_or_create(path: Path, size: int = 32) -> bytes:
    if path.exists():
        secret = path.read_bytes()
        if len(secret) != size:
            raise ValueError(f"{path}: expected {size} bytes, found {len(secret)}; restore it from your backup")
        return secret
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two processes starting at once must not each write a different secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_or_create(path, size)
    with os.fdopen(fd, "wb") as f:
        f.write(secrets.token_bytes(size))
    return load_or_create(path, size)
