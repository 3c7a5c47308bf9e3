"""Cookies that carry their own state: a JSON payload and an HMAC under a key derived from the shop's
secret for one purpose, so no function keeps a session table and a cookie made for one purpose (a
shopper's session) is never accepted for another (an owner's)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from kameng.deps import Deps


def signing_key(purpose: str, deps: Deps) -> bytes:
    # Derived from the shop's secret (master key file or KAMENG_HASH_KEY); never stored anywhere.
    return deps.cipher.keyed_hash("session", purpose).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(payload: str, purpose: str, deps: Deps) -> str:
    return _b64(hmac.new(signing_key(purpose, deps), payload.encode(), hashlib.sha256).digest())


def sign(fields: dict[str, Any], purpose: str, deps: Deps) -> str:
    payload = _b64(json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{payload}.{_signature(payload, purpose, deps)}"


def read(value: str | None, purpose: str, deps: Deps) -> dict[str, Any] | None:
    """The fields of a cookie this shop signed for `purpose`; None for one missing, altered or unreadable."""
    payload, _, signature = (value or "").partition(".")
    # Bytes: compare_digest refuses a str with characters beyond ASCII, which a cookie can carry.
    if not payload or not hmac.compare_digest(_signature(payload, purpose, deps).encode(),
                                              signature.encode("utf-8", "replace")):
        return None
    try:
        fields = json.loads(_unb64(payload))
    except ValueError:
        return None
    return fields if isinstance(fields, dict) else None
