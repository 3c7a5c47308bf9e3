"""Money is an int of minor units (fen, cents); one currency per station."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "$", "HKD": "HK$", "EUR": "€"}
MINOR_DIGITS = 2


def parse_major(value: object) -> int:
    """Owner-written amount in major units ("95", 95.5, "95.50") → minor units.

    Floats arrive from YAML; their shortest repr is the text the owner typed,
    so going through str() keeps them exact.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError("expected an amount such as 95.00")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"expected an amount such as 95.00 (got {value!r})") from None
    if not amount.is_finite():
        raise ValueError(f"expected an amount such as 95.00 (got {value!r})")
    if amount < 0:
        raise ValueError(f"must not be negative (got {value})")
    minor = amount.scaleb(MINOR_DIGITS)
    if minor != minor.to_integral_value():
        raise ValueError(f"at most {MINOR_DIGITS} decimal places (got {value})")
    return int(minor)


def format_minor(minor: int, currency: str) -> str:
    sign = "-" if minor < 0 else ""
    major, cents = divmod(abs(minor), 10**MINOR_DIGITS)
    return f"{sign}{CURRENCY_SYMBOLS.get(currency, currency + ' ')}{major:,}.{cents:02d}"


def round_half_up(minor: Decimal | int) -> int:
    """The one rounding rule for money: half up to the minor unit (the fen)."""
    return int(Decimal(minor).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(minor: int, percent: Decimal | int) -> int:
    """`percent` % of an amount, rounded half up to the minor unit."""
    return round_half_up(Decimal(minor) * Decimal(percent) / 100)


def apply_markup(wholesale: int, percent: Decimal) -> int:
    """Retail price from a markup over wholesale, rounded half up to the minor unit."""
    return round_half_up(Decimal(wholesale) * (100 + percent) / 100)
