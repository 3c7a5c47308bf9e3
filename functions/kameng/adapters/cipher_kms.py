"""Card keys sealed by envelope encryption under an AWS KMS key.

KMS never sees a card key. One AES-256 data key from GenerateDataKey seals
many card keys locally with AES-256-GCM (associated data: the caller's context,
`sku/key_id`, as with the local cipher), and the data key travels inside each
ciphertext encrypted under the KMS key:

    0x02 | len(edk): 2 bytes, big-endian | edk | nonce: 12 bytes | AES-GCM ciphertext + 16-byte tag

Sealing: the data key is cached in the process and rotated after
`max_seals` seals or `max_age` seconds, whichever comes first. The defaults
(100,000 seals, 15 minutes) keep KMS off the hot path -- a 100,000-key import
costs one GenerateDataKey, where a call per key would cost 100,000 round trips
and their fees -- while bounding what one data key protects (at most one big
import's worth of keys) and how long its plaintext lives in a Lambda
container that may stay warm for hours. Both are far below AES-GCM's limit for
random 96-bit nonces (2**32 messages per key).

Opening: plaintext data keys are cached by their encrypted blob in a bounded
LRU, so delivering the 50 keys of an order sealed under one data key costs one
KMS Decrypt. Cached entries also expire after `max_age`, so disabling the KMS
key (or revoking the function's grant) stops decryption within that time.

Both KMS calls carry the encryption context {"purpose": "kameng-card-keys"}:
a data key generated for card keys opens only when asked for card keys, and the
context is written to CloudTrail with every call.

keyed_hash cannot use a data key (those are random per process and rotate):
fingerprints must be the same in every process, forever. It uses an HMAC key
derived per purpose, exactly as the local cipher does, from `hash_key` -- a
secret of at least 32 bytes the wiring loads from Secrets Manager or SSM. Given
the local master key as `hash_key`, it yields the local cipher's fingerprints,
so a shop moving from the embedded store keeps its duplicate detection.
"""
from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from typing import Any, Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kameng.adapters.record_seal import HashKeys

FORMAT = 0x02
LOCAL_FORMAT = 0x01
ENCRYPTION_CONTEXT = {"purpose": "kameng-card-keys"}
NONCE_BYTES = 12
TAG_BYTES = 16
HEADER_BYTES = 3  # version + 2-byte length of the encrypted data key

DEFAULT_MAX_SEALS = 100_000
DEFAULT_MAX_AGE = 15 * 60.0
DEFAULT_CACHE_SIZE = 256
MIN_HASH_KEY_BYTES = 32


class CiphertextFormatError(ValueError):
    """The bytes are not a ciphertext this cipher can open (wrong format or truncated)."""


class _DataKey:
    __slots__ = ("blob", "aead", "born", "seals")

    def __init__(self, blob: bytes, plaintext: bytes, born: float):
        self.blob = blob
        self.aead = AESGCM(plaintext)
        self.born = born
        self.seals = 0


class KmsCipher(HashKeys):
    def __init__(
        self,
        key_id: str,
        client: Any = None,
        *,
        hash_key: bytes,
        max_seals: int = DEFAULT_MAX_SEALS,
        max_age: float = DEFAULT_MAX_AGE,
        cache_size: int = DEFAULT_CACHE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ):
        if len(hash_key) < MIN_HASH_KEY_BYTES:
            raise ValueError(f"hash_key: expected at least {MIN_HASH_KEY_BYTES} secret bytes, got {len(hash_key)}")
        if max_seals < 1 or max_age <= 0 or cache_size < 1:
            raise ValueError("max_seals, max_age and cache_size must be positive")
        if client is None:
            import boto3  # only here, so a caller passing its own client pays no import

            client = boto3.client("kms")
        self._kms = client
        self._key_id = key_id
        super().__init__(hash_key)
        self._max_seals = max_seals
        self._max_age = max_age
        self._cache_size = cache_size
        self._clock = clock
        self._lock = threading.Lock()
        self._current: _DataKey | None = None
        # encrypted data key -> its data key, most recently used last
        self._opened: OrderedDict[bytes, _DataKey] = OrderedDict()

    def seal(self, plaintext: bytes, context: bytes) -> bytes:
        key = self._sealing_key()
        nonce = secrets.token_bytes(NONCE_BYTES)
        blob = key.blob
        return b"".join((
            bytes((FORMAT,)), len(blob).to_bytes(2, "big"), blob, nonce, key.aead.encrypt(nonce, plaintext, context),
        ))

    def open(self, ciphertext: bytes, context: bytes) -> bytes:
        blob, nonce, body = _split(ciphertext)
        return self._opening_key(blob).aead.decrypt(nonce, body, context)

    def _sealing_key(self) -> _DataKey:
        with self._lock:
            key = self._current
            now = self._clock()
            if key is None or key.seals >= self._max_seals or now - key.born >= self._max_age:
                response = self._kms.generate_data_key(
                    KeyId=self._key_id, KeySpec="AES_256", EncryptionContext=ENCRYPTION_CONTEXT,
                )
                key = self._current = _DataKey(response["CiphertextBlob"], response["Plaintext"], now)
                # This process can open what it just sealed without asking KMS.
                self._remember(key)
            key.seals += 1
            return key

    def _opening_key(self, blob: bytes) -> _DataKey:
        now = self._clock()
        with self._lock:
            key = self._opened.get(blob)
            if key is not None and now - key.born < self._max_age:
                self._opened.move_to_end(blob)
                return key
        # Outside the lock: a slow KMS call must not hold up sealing in other threads.
        try:
            response = self._kms.decrypt(
                CiphertextBlob=blob, KeyId=self._key_id, EncryptionContext=ENCRYPTION_CONTEXT,
            )
        except Exception as error:
            # A damaged data key reads as a damaged ciphertext, as with the local
            # cipher; throttling, access denied and the like stay what they are.
            if _error_code(error) == "InvalidCiphertextException":
                raise InvalidTag() from error
            raise
        key = _DataKey(blob, response["Plaintext"], now)
        with self._lock:
            self._remember(key)
        return key

    def _remember(self, key: _DataKey) -> None:
        self._opened[key.blob] = key
        self._opened.move_to_end(key.blob)
        while len(self._opened) > self._cache_size:
            self._opened.popitem(last=False)


def _split(ciphertext: bytes) -> tuple[bytes, bytes, bytes]:
    if not ciphertext:
        raise CiphertextFormatError("empty card-key ciphertext")
    version = ciphertext[0]
    if version == LOCAL_FORMAT:
        raise CiphertextFormatError(
            "card-key ciphertext is in the local cipher's format (0x01, sealed with the master key file); "
            "the KMS cipher opens only format 0x02. Open it with the local cipher and seal it again under KMS"
        )
    if version != FORMAT:
        raise CiphertextFormatError(f"unknown card-key ciphertext format 0x{version:02x}; expected 0x{FORMAT:02x} (KMS)")
    if len(ciphertext) < HEADER_BYTES:
        raise CiphertextFormatError("truncated card-key ciphertext")
    length = int.from_bytes(ciphertext[1:HEADER_BYTES], "big")
    nonce_at = HEADER_BYTES + length
    body_at = nonce_at + NONCE_BYTES
    if length == 0 or len(ciphertext) < body_at + TAG_BYTES:
        raise CiphertextFormatError("truncated card-key ciphertext")
    return ciphertext[HEADER_BYTES:nonce_at], ciphertext[nonce_at:body_at], ciphertext[body_at:]


def _error_code(error: Exception) -> str | None:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code")
    return None
