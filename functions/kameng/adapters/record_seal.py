"""Small secrets of the shop's own records, sealed under keys derived from the shop's hash key.

    nonce: 12 bytes | AES-256-GCM ciphertext + 16-byte tag

The AES key is the cipher's `keyed_hash(purpose, subject)`, so the local and the
KMS cipher seal alike and every function that holds the hash key can open. Orders
keep their tokens in this format: it must read as it did for as long as they exist.
"""
from __future__ import annotations

import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


def seal(key_hex: str, plaintext: bytes, context: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(bytes.fromhex(key_hex)).encrypt(nonce, plaintext, context)


def open_sealed(key_hex: str, sealed: bytes, context: bytes) -> bytes:
    return AESGCM(bytes.fromhex(key_hex)).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context)
