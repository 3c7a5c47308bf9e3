"""Sortable ids (ULID layout: 48-bit millisecond time + 80 random bits, Crockford base32)."""
from __future__ import annotations

import secrets
from datetime import datetime

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _encode(value: int) -> str:
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


def new_id(now: datetime) -> str:
    return _encode((int(now.timestamp() * 1000) << 80) | secrets.randbits(80))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def id_floor(moment: datetime) -> str:
    """The smallest id made at `moment`: ids made from then on sort at or after it."""
    return _encode(int(moment.timestamp() * 1000) << 80)
