"""The price book: what a station charges for each SKU it sells.

`build.py` writes it and checkout reads it, through these same models, so a
page and a checkout can never disagree on a price.
"""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from kameng.domain.errors import QuantityOutOfRange, UnknownSku


class PricedSku(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str
    product: str
    title: str
    price: int = Field(ge=0)
    wholesale: int = Field(ge=0)
    min_quantity: int = Field(ge=1)
    max_quantity: int = Field(ge=1)
    low_stock: int = Field(ge=0)


class PriceBook(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    station: str
    domain: str
    language: str = "zh-CN"
    currency: str
    skus: dict[str, PricedSku]
    # Revenue split (分账): a substation paid out through its own connected account.
    payout_account: str | None = None
    platform_fee_percent: Decimal = Decimal(0)

    @property
    def version(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def line(self, sku: str) -> PricedSku | None:
        return self.skus.get(sku)


class Quote(BaseModel):
    model_config = ConfigDict(frozen=True)

    line: PricedSku
    quantity: int
    total: int
    currency: str


def quote(book: PriceBook, sku: str, quantity: int) -> Quote:
    """Price an order from the published book alone; nothing the browser says about price counts."""
    line = book.line(sku)
    if line is None:
        raise UnknownSku(f"此商品规格在本站不存在：{sku}")
    if not line.min_quantity <= quantity <= line.max_quantity:
        raise QuantityOutOfRange(f"每单购买数量须在 {line.min_quantity} 到 {line.max_quantity} 之间")
    return Quote(line=line, quantity=quantity, total=line.price * quantity, currency=book.currency)
