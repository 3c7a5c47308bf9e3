"""How a shopper proves an order is theirs: the order token, or e-mail + query password."""
from __future__ import annotations

import hashlib
import hmac
import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Deliberately loose: the gateway and the mail server judge deliverability.
EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"'.]+(\.[^@\s<>\"'.]+)+$")
# scrypt with a small cost: the lookup is also rate-limited, and checkout has a latency budget.
SCRYPT = {"n": 2**12, "r": 8, "p": 1, "dklen": 32}


def normalise_email(email: str) -> str:
    return email.strip().lower()


class ShopperCredentials(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    email: str = Field(max_length=254)
    query_password: str = Field(min_length=4, max_length=64)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL.match(value):
            raise ValueError("请输入有效的邮箱地址")
        return normalise_email(value)


def hash_password(password: str, shopper_key: str) -> str:
    # Salted by the shopper: one derivation checks all of a shopper's orders.
    return hashlib.scrypt(password.encode(), salt=shopper_key.encode(), **SCRYPT).hex()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str | None, stored: str) -> bool:
    return bool(token) and hmac.compare_digest(hash_token(token), stored)
