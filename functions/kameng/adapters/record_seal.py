"""Keyed hashes and small sealed records under keys derived from one secret, the same in every cipher:
equal secrets give equal fingerprints, and each cipher opens the other's records.

A sealed record is `nonce: 12 bytes | AES-256-GCM ciphertext + 16-byte tag`, its AES key the
cipher's `keyed_hash(purpose, subject)`. Orders keep their tokens in this format: it must read as it
did for as long as they exist.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12


def derive(secret: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"kameng/{purpose}".encode()).derive(secret)


class HashKeys:
    def __init__(self, secret: bytes):
        self._hash_secret = secret
        self._hash_keys: dict[str, bytes] = {}

    def keyed_hash(self, purpose: str, text: str) -> str:
        key = self._hash_keys.get(purpose)
        if key is None:
            key = self._hash_keys[purpose] = derive(self._hash_secret, f"hash/{purpose}")
        return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()

    def seal_record(self, purpose: str, subject: str, plaintext: bytes, context: bytes) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._record_key(purpose, subject).encrypt(nonce, plaintext, context)

    def open_record(self, purpose: str, subject: str, sealed: bytes, context: bytes) -> bytes:
        return self._record_key(purpose, subject).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context)

    def _record_key(self, purpose: str, subject: str) -> AESGCM:
        return AESGCM(bytes.fromhex(self.keyed_hash(purpose, subject)))
