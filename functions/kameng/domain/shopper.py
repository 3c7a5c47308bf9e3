"""How a shopper proves an order is theirs: the order token, or e-mail + query password."""
from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from typing import Annotated, Callable

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

# Deliberately loose: the gateway and the mail server judge deliverability.
EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"'.]+(\.[^@\s<>\"'.]+)+$")


def is_email(text: str) -> bool:
    """The one test of an e-mail address: a shopper's, and a station's support address in content."""
    # A control character (NUL, a line break) would end up raw in a mail's To: line; a format
    # character (a right-to-left override, a zero-width space) makes one address look like another.
    return EMAIL.fullmatch(text) is not None and not any(unicodedata.category(c) in ("Cc", "Cf") for c in text)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _valid_email(value: str) -> str:
    if not is_email(value):
        raise ValueError("请输入有效的邮箱地址")
    return normalize_email(value)


# A shopper's e-mail as every request takes it: checked, then lower-cased.
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_valid_email)]


class ShopperCredentials(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    email: Email
    query_password: str = Field(min_length=4, max_length=64)


def password_digest(keyed_hash: Callable[[str, str], str], password: str, shopper_key: str) -> str:
    """The query password under a server-held key (a pepper), salted by the shopper.

    A stolen database alone cannot be brute-forced: every guess needs the key,
    which lives with the master key (local file or the secret behind KMS), and
    the online lookup is rate-limited. A slow hash would add nothing but
    checkout latency.
    """
    return keyed_hash("query-password", f"{shopper_key}\0{password}")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str | None, stored: str) -> bool:
    return bool(token) and hmac.compare_digest(hash_token(token), stored)
