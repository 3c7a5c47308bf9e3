"""Card keys sealed with AES-256-GCM under a master key kept in a local file."""
from __future__ import annotations

import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kameng.adapters.record_seal import HashKeys, derive
from kameng.adapters.secret_file import load_or_create

_FORMAT = b"\x01"
_NONCE_BYTES = 12


class LocalCipher(HashKeys):
    def __init__(self, master_key: bytes):
        super().__init__(master_key)
        self._aead = AESGCM(derive(master_key, "card-keys"))

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
