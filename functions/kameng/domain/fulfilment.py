"""How a SKU reaches the buyer once paid, and what the buyer must tell the shop for it.

- `card_key`: keys from the shop's stock, reserved at checkout; when the stock is short and the SKU
  names suppliers, bought from them after payment instead.
- `loop` (循环卡密): one credential shown to every buyer, up to `loop_limit` sales (a counter taken
  like a flash sale's) or without limit.
- `direct` (直充): a top-up sent by a supplier to the account the buyer names in the product's fields.
- `manual` (人工发货): the owner delivers by hand within `delivery_hours`, or the order is refunded.
"""
from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kameng.domain.errors import InvalidRequest


class Kind(StrEnum):
    CARD_KEY = "card_key"
    LOOP = "loop"
    DIRECT = "direct"
    MANUAL = "manual"


class Delivery(StrEnum):
    """Where a placed order's goods come from, decided at checkout."""

    STOCK = "stock"  # keys reserved from stock at checkout
    SUPPLIER = "supplier"  # bought from the SKU's suppliers once paid
    MANUAL = "manual"  # the owner delivers by hand
    LOOP = "loop"  # the SKU's shared credential


# An order with these holds nothing at checkout: it waits in awaiting_delivery once paid.
AWAITED = frozenset({Delivery.SUPPLIER, Delivery.MANUAL})
MAX_FIELD_LENGTH = 64


def check_pattern(pattern: str) -> str:
    """A buyer field's pattern, once it is known to compile (content and price books both check it)."""
    try:
        re.compile(pattern)
    except re.error as error:
        raise ValueError(f"expected a regular expression, such as '1[3-9]\\d{{9}}' ({error})") from None
    return pattern


class BuyerField(BaseModel):
    """One thing the buyer of a top-up fills in: an account, a phone number, a server."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    # Per language: {"zh-CN": "手机号码", "en": "Phone number"}; the station's language is shown.
    label: dict[str, str] = Field(min_length=1)
    # The whole value must match (anchored); checked at checkout and again before it is sent.
    pattern: str = Field(min_length=1, max_length=200)
    example: str | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        return check_pattern(pattern)

    def label_in(self, language: str) -> str:
        return self.label.get(language) or next(iter(self.label.values()))


class SupplyOffer(BaseModel):
    """One supplier's product for a SKU and what a unit costs there (minor units); the list order is the priority."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    supplier: str
    product: str
    cost: int = Field(ge=0)


def check_buyer_fields(fields: tuple[BuyerField, ...], given: dict[str, object] | None,
                       language: str = "zh-CN") -> tuple[tuple[str, str], ...]:
    """The buyer's values, in the product's order, each matching its pattern; InvalidRequest naming every
    field that is missing or wrong. Values the product does not ask for are dropped, never passed on."""
    given = given or {}
    values, problems = [], []
    for field in fields:
        raw = given.get(field.name)
        value = raw.strip() if isinstance(raw, str) else ""
        label = field.label_in(language)
        if not value:
            problems.append({"loc": f"fields.{field.name}", "msg": f"请填写{label}"})
        elif len(value) > MAX_FIELD_LENGTH or not re.fullmatch(field.pattern, value):
            hint = f"，例如 {field.example}" if field.example else ""
            problems.append({"loc": f"fields.{field.name}", "msg": f"{label}格式不正确{hint}"})
        else:
            values.append((field.name, value))
    if problems:
        raise InvalidRequest("请检查充值信息：" + "；".join(p["msg"] for p in problems), fields=problems)
    return tuple(values)


def delivery_for(kind: Kind, has_suppliers: bool, available: int, quantity: int) -> Delivery:
    """Where an order's goods come from: stock while it lasts, then the suppliers (a card key)."""
    if kind is Kind.LOOP:
        return Delivery.LOOP
    if kind is Kind.MANUAL:
        return Delivery.MANUAL
    if kind is Kind.DIRECT:
        return Delivery.SUPPLIER
    return Delivery.SUPPLIER if has_suppliers and available < quantity else Delivery.STOCK


def promise(delivery_hours: int) -> timedelta:
    return timedelta(hours=delivery_hours)
