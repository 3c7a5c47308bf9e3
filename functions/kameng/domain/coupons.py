"""Coupon rules: what a coupon takes off an order. Redemption (use counts, concurrency) is the store's."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kameng.domain.errors import CouponNotApplicable
from kameng.domain.money import format_minor, percent_of


__all__ = ["CouponNotApplicable", "CouponRule", "coupon_discount", "normalize_code"]

COUPON_CODE = r"^[A-Z0-9][A-Z0-9-]{2,31}$"


def normalize_code(text: str) -> str:
    """Shoppers type codes in any case and with stray spaces: one spelling is stored and looked up."""
    return text.strip().upper()


class CouponRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    kind: Literal["fixed", "percent"]
    amount: int = Field(0, ge=0)
    """Minor units off, for a fixed coupon."""
    percent: Decimal = Field(Decimal(0), ge=0, le=100)
    """Percent off, for a percent coupon."""
    min_spend: int = Field(0, ge=0)
    starts: datetime | None = None
    ends: datetime | None = None
    products: tuple[str, ...] | None = None
    """None: every product of the station."""
    max_uses: int | None = Field(None, ge=1)
    per_shopper: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _shape(self) -> CouponRule:
        if self.kind == "fixed" and self.amount == 0:
            raise ValueError("a fixed coupon needs an amount")
        if self.kind == "percent" and self.percent == 0:
            raise ValueError("a percent coupon needs a percent")
        if self.starts is not None and self.ends is not None and self.ends <= self.starts:
            raise ValueError("ends must be after starts")
        return self


def coupon_discount(rule: CouponRule, amount: int, product: str, now: datetime, currency: str = "CNY") -> int:
    """What the coupon takes off `amount` (after the level discount); raises CouponNotApplicable."""
    if rule.starts is not None and now < rule.starts or rule.ends is not None and now >= rule.ends:
        raise CouponNotApplicable("coupon_expired", "优惠券不在有效期内")
    if rule.products is not None and product not in rule.products:
        raise CouponNotApplicable("coupon_scope", "优惠券不适用于此商品")
    if amount < rule.min_spend:
        raise CouponNotApplicable("coupon_min_spend", f"满 {format_minor(rule.min_spend, currency)} 才能使用此优惠券")
    off = rule.amount if rule.kind == "fixed" else percent_of(amount, rule.percent)
    return min(amount, off)
