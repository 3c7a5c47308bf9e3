"""Secrets kept in local files: created once with 0600 permissions, never in the repo."""
from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Callable

from kameng.adapters.private_files import private_folder


def load_or_create(path: Path, size: int = 32) -> bytes:
    if not path.exists():
        _write_once(path, secrets.token_bytes(size))
    secret = path.read_bytes()
    if len(secret) != size:
        raise ValueError(f"{path}: expected {size} bytes, found {len(secret)}; restore it from your backup")
    return secret


def load_or_write_text(path: Path, make: Callable[[], str]) -> str:
    """The text kept at `path`, made by `make` the first time; as load_or_create, of two processes starting
    together one text wins and both read it."""
    if not path.exists():
        _write_once(path, make().encode())
    return path.read_text()


def _write_once(path: Path, data: bytes) -> None:
    private_folder(path.parent)
    # Written whole to a private temp file, then linked into place: a process starting at
    # the same moment sees either no file or the whole of it, and only one of them wins.
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(temp)


def rsa_key_pair(folder: Path, name: str) -> tuple[str, str]:
    """A test RSA 2048 key pair (private PEM, public PEM) of a rail's sandbox, made at first run. The public half
    is kept beside it, so nobody parses a private key (tens of milliseconds) to learn it again."""

    def private() -> str:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        return rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()

    def public() -> str:
        from cryptography.hazmat.primitives import serialization

        key = serialization.load_pem_private_key(private_pem.encode(), password=None)
        return key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    private_pem = load_or_write_text(folder / f"{name}_private.pem", private)
    return private_pem, load_or_write_text(folder / f"{name}_public.pem", public)
