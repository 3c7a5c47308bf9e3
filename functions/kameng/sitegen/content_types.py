"""What every content spec is made of: the base Spec, the field types with their checks, and the
small helpers the build's other modules share (ids, amounts). content.py builds the files' specs from them.
"""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints

from kameng.domain.coupons import COUPON_CODE, normalize_code
from kameng.domain.money import MINOR_DIGITS, parse_major
from kameng.domain.shopper import is_email

MAX_PER_ORDER = 50
IMAGE_EXTENSIONS = (".svg", ".png", ".jpg", ".jpeg", ".webp", ".gif")

_ID = re.compile(r"[a-z0-9-]+")
_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_DOMAIN = re.compile(r"(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def amount_text(minor: int) -> str:
    """Minor units as the owner writes them ("102.00"): no symbol, no grouping."""
    major, cents = divmod(minor, 10**MINOR_DIGITS)
    return f"{major}.{cents:0{MINOR_DIGITS}d}"


def is_id(value: str, min_length: int = 1, max_length: int = 64) -> bool:
    return min_length <= len(value) <= max_length and _ID.fullmatch(value) is not None


def _id_checker(min_length: int, max_length: int) -> AfterValidator:
    def check(value: str) -> str:
        if not is_id(value, min_length, max_length):
            raise ValueError(
                f"expected {min_length}–{max_length} lowercase letters, digits or '-' (got {value!r})"
            )
        return value

    return AfterValidator(check)


def _colour(value: str) -> str:
    if not _COLOUR.fullmatch(value):
        raise ValueError(f"expected a colour like \"#c81e1e\" or \"#c11\", in quotes (got {value!r})")
    return value.lower()


def _domain(value: str) -> str:
    if not _DOMAIN.fullmatch(value):
        raise ValueError(
            f"expected a lowercase host name like shop.example.com, without https:// or a path (got {value!r})"
        )
    return value


def _email(value: str) -> str:
    if not is_email(value):
        raise ValueError(f"expected an email address like help@example.com (got {value!r})")
    return value


def _file_name(value: str) -> str:
    if not _FILE_NAME.fullmatch(value) or not value.lower().endswith(IMAGE_EXTENSIONS):
        raise ValueError(
            f"expected an image file name ({', '.join(IMAGE_EXTENSIONS)}) without folders (got {value!r})"
        )
    return value


def _currency(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError(f"expected an ISO 4217 currency code such as CNY (got {value!r})")
    return value


def _one_line(value: str) -> str:
    if "\n" in value:
        raise ValueError(f"expected a single line (got {value!r})")
    return value


def _bounded_decimal(value: Any, noun: str, example: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected {noun} such as {example} (got {value!r})")
    try:
        # str() keeps YAML floats as typed (8.1, not 8.0999…).
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"expected {noun} such as {example} (got {value!r})") from None
    if not number.is_finite() or not 0 <= number <= 1000:
        raise ValueError(f"expected {noun} from 0 to 1000 (got {value!r})")
    return number


def _percent(value: Any) -> Decimal:
    return _bounded_decimal(value, "a percentage", "8 or 12.5")


def _aware(value: datetime) -> datetime:
    # A time without a zone could mean any instant; a flash sale's window must mean one.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"expected a time with a timezone, such as 2026-12-12T20:00:00+08:00 (got {value.isoformat()})"
        )
    return value


def _rate(value: Any) -> Decimal:
    return _bounded_decimal(value, "a number", "1 or 0.5")


def coupon_code(value: str) -> str:
    code = normalize_code(value)
    if not re.fullmatch(COUPON_CODE, code):
        raise ValueError(f"expected 3 to 32 letters, digits or dashes, such as WELCOME10 (got {value!r})")
    return code


def all_or_list(value: Any) -> Any:
    if value == "all":
        return None
    if not isinstance(value, list):
        raise ValueError(f"expected all or a list of main-station product ids (got {value!r})")
    return value


Id = Annotated[str, _id_checker(1, 64)]
# parse_major is the same function checkout's price book relies on: "95", 95.5 and "95.50" all work.
Money = Annotated[int, BeforeValidator(parse_major)]
OneLine = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_one_line)
]
Colour = Annotated[str, AfterValidator(_colour)]
Domain = Annotated[str, AfterValidator(_domain)]
ContactEmail = Annotated[str, AfterValidator(_email)]
ImageName = Annotated[str, AfterValidator(_file_name)]
Percent = Annotated[Decimal, BeforeValidator(_percent)]
Currency = Annotated[str, AfterValidator(_currency)]
AwareTime = Annotated[datetime, AfterValidator(_aware)]
Rate = Annotated[Decimal, BeforeValidator(_rate)]


class Spec(BaseModel):
    """The shape of a content file or of a part of one."""

    # YAML turns `name: 100` into an int; a SKU called "100" is still text.
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)
