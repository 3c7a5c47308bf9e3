"""Card keys sealed with AES-256-GCM under a master key kept in a local file."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kameng.adapters import record_seal
from kameng.adapters.secret_file import load_or_create

_FORMAT = b"\x01"
_NONCE_BYTES = 12


def _derive(master: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"kameng/{purpose}".encode()).derive(master)


class LocalCipher:
    def __init__(self, master_key: bytes):
        self._aead = AESGCM(_derive(master_key, "card-keys"))
        self._master = master_key
        self._hash_keys: dict[str, bytes] = {}

    @classmethod
    def from_file(cls, path: Path) -> "LocalCipher":
        return cls(load_or_create(path, 32))

    def seal(self, plaintext: bytes, context: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return _FORMAT + nonce + self._aead.encrypt(nonce, plaintext, context)

    def open(self, ciphertext: bytes, context: bytes) -> bytes:
        if ciphertext[:1] != _FORMAT:
            raise ValueError("unknown card-key ciphertext format")
        nonce = ciphertext[1 : 1 + _NONCE_BYTES]
        return self._aead.decrypt(nonce, ciphertext[1 + _NONCE_BYTES :], context)

    def keyed_hash(self, purpose: str, text: str) -> str:
        key = self._hash_keys.get(purpose)
        if key is None:
            key = self._hash_keys[purpose] = _derive(self._master, f"hash/{purpose}")
        return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()

    def seal_record(self, purpose: str, subject: str, plaintext: bytes, context: bytes) -> bytes:
        return record_seal.seal(self.keyed_hash(purpose, subject), plaintext, context)

    def open_record(self, purpose: str, subject: str, sealed: bytes, context: bytes) -> bytes:
        return record_seal.open_sealed(self.keyed_hash(purpose, subject), sealed, context)
