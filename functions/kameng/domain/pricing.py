"""Pricing rules that do not depend on a store: quantity tiers, flash sales, member levels.

All amounts are int minor units; every percentage is rounded once, half up to
the fen, by `money.percent_of`. The price book carries these rules and
`price_book.price_order` combines them; the server alone applies them.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kameng.domain.money import percent_of, round_half_up


class Tier(BaseModel):
    """From `min_quantity` keys in one order, each costs `price`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_quantity: int = Field(ge=2)
    price: int = Field(ge=0)


class FlashSale(BaseModel):
    """限时秒杀: a SKU's price inside [starts, ends), for at most `quantity` keys in all."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str
    price: int = Field(ge=0)
    starts: datetime
    ends: datetime
    quantity: int = Field(ge=1)
    per_shopper: int = Field(ge=1)

    @field_validator("starts", "ends")
    @classmethod
    def _in_utc(cls, moment: datetime) -> datetime:
        return _utc(moment)

    @model_validator(mode="after")
    def _window(self) -> FlashSale:
        if self.ends <= self.starts:
            raise ValueError("ends must be after starts")
        return self

    def is_open(self, now: datetime) -> bool:
        return self.starts <= _utc(now) < self.ends


class Level(BaseModel):
    """会员等级: reached at `spend` (delivered, net of refunds), giving `discount_percent` off."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    spend: int = Field(ge=0)
    discount_percent: Decimal = Field(ge=0, le=100)


def tier_price(base_price: int, tiers: Sequence[Tier], quantity: int) -> int:
    """The unit price for `quantity` keys: the last tier whose minimum is reached, else the base price."""
    price = base_price
    for tier in tiers:
        if quantity >= tier.min_quantity:
            price = tier.price
    return price


def scaled_tier_price(station_price: int, retail: int, tier_price: int, wholesale: int) -> int:
    """A substation's price for a main-station tier: the same share of its own price, never below wholesale.

    The main station writes a tier as its own price (`retail`) lowered to
    `tier_price`; a station selling at `station_price` lowers it in the same
    proportion.
    """
    if retail == 0:
        return max(wholesale, station_price)
    return max(wholesale, round_half_up(Decimal(station_price * tier_price) / retail))


def open_flash_sale(sales: Sequence[FlashSale], sku: str, now: datetime) -> FlashSale | None:
    """The sale of `sku` open at `now`, if any (the lowest price when windows overlap)."""
    open_sales = [sale for sale in sales if sale.sku == sku and sale.is_open(now)]
    return min(open_sales, key=lambda sale: (sale.price, sale.ends), default=None)


def level_for(levels: Sequence[Level], spend: int) -> Level | None:
    """The highest level whose threshold `spend` reaches; None when the station has no levels."""
    reached = None
    for level in sorted(levels, key=lambda level: level.spend):
        if spend >= level.spend:
            reached = level
    return reached


def next_level(levels: Sequence[Level], spend: int) -> Level | None:
    """The next level to reach, for an account page's progress bar."""
    return next((level for level in sorted(levels, key=lambda level: level.spend) if level.spend > spend), None)


def level_discount(levels: Sequence[Level], spend: int, amount: int) -> int:
    level = level_for(levels, spend)
    return 0 if level is None else percent_of(amount, level.discount_percent)


def _utc(moment: datetime) -> datetime:
    # A naive time could be read in any zone; a flash sale's window must mean one instant.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("expected a time with a timezone, such as 2026-12-12T20:00:00+08:00")
    return moment.astimezone(timezone.utc)
