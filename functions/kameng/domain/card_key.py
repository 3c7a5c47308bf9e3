"""Card keys (卡密) as the shopper receives them, and how they are read from import files."""
from __future__ import annotations

import json
from dataclasses import dataclass

MAX_LENGTH = 256


class MalformedKey(ValueError):
    pass


@dataclass(frozen=True)
class CardKey:
    code: str
    password: str | None = None

    def to_bytes(self) -> bytes:
        return json.dumps({"c": self.code, "p": self.password}, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> "CardKey":
        fields = json.loads(data)
        return cls(code=fields["c"], password=fields["p"])

    @property
    def masked(self) -> str:
        return mask(self.code)


def mask(code: str) -> str:
    """At most a quarter of the key at each end shows (4 characters at most): never enough to use it."""
    shown = min(4, len(code) // 4)
    return code[:shown] + "*" * min(len(code) - 2 * shown, 8) + (code[-shown:] if shown else "")


def _clean(text: str, what: str) -> str:
    text = text.strip()
    if not text:
        raise MalformedKey(f"empty {what}")
    if len(text) > MAX_LENGTH:
        raise MalformedKey(f"{what} longer than {MAX_LENGTH} characters")
    # Whitespace or control characters inside a key are almost always a broken line.
    if not text.isprintable() or " " in text:
        raise MalformedKey(f"{what} contains a space or control character")
    return text


# Spreadsheet exports start with a header row; it must not become a key.
CSV_HEADERS = {"key", "key,password", "code", "code,password", "卡密", "卡密,密码", "卡号,密码"}


def parse_line(line: str, with_password: bool) -> CardKey | None:
    """One import line → a card key; None for a blank line, a # comment or a CSV header."""
    stripped = line.strip().lstrip("\ufeff")
    if not stripped or stripped.startswith("#"):
        return None
    if with_password and stripped.replace(" ", "").lower() in CSV_HEADERS:
        return None
    if not with_password:
        return CardKey(_clean(stripped, "key"))
    parts = stripped.split(",")
    if len(parts) > 2:
        raise MalformedKey("expected key[,password]")
    code = _clean(parts[0], "key")
    password = _clean(parts[1], "password") if len(parts) == 2 and parts[1].strip() else None
    return CardKey(code, password)
