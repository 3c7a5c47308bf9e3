"""Counters an order takes its quantity from, under a cap: a flash sale's, a shopper's per day, a coupon's uses.

The store takes them in the same transaction that reserves the order's keys
(a counter goes up only while it stays within its cap) and gives them back in
the transaction that returns the keys, so a lapsed or failed order frees its
share. The counter names are the same on every store adapter.
"""
from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from kameng.domain.errors import CouponUsedUp, DomainError, FlashSaleSoldOut, RiskVelocity, ShopperLimit, SoldOut

if TYPE_CHECKING:
    from kameng.domain.coupons import CouponRule
    from kameng.domain.price_book import PricedOrder
    from kameng.domain.pricing import FlashSale

EVERYONE = "*"


class QuotaKind(StrEnum):
    FLASH_TOTAL = "flash_total"  # the sale's quantity, over every shopper
    FLASH_SHOPPER = "flash_shopper"  # the sale's per_shopper
    DAILY = "daily"  # a SKU's max_per_shopper_per_day, per UTC date
    COUPON_TOTAL = "coupon_total"  # a coupon's max_uses, over every shopper (one use per order)
    COUPON_SHOPPER = "coupon_shopper"  # a coupon's per_shopper
    UNPAID_ORDERS = "unpaid_orders"  # a client's pending orders at a station (one per order)
    UNPAID_KEYS = "unpaid_keys"  # the keys a client's pending orders hold at a station
    LOOP = "loop"  # the sales a loop credential allows, over every station (LOOP#<sku>)
    RISK_VELOCITY = "risk_velocity"  # a client's orders at a station in one clock hour (domain/risk.py)


# Held only while the order waits for its payment: paying, lapsing or failing gives them back.
UNPAID_KINDS = frozenset({QuotaKind.UNPAID_ORDERS, QuotaKind.UNPAID_KEYS})
# Taken when the order is placed and never given back: they count attempts, not what is held.
KEPT_KINDS = frozenset({QuotaKind.RISK_VELOCITY})


class Quota(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: QuotaKind
    # FLASH#<station>#<sale id>, DAILY#<station>#<sku>#<YYYY-MM-DD>, COUPON#<station>#<code>, UNPAID#<station>#<client>
    counter: str
    holder: str  # "*" for everyone, else the shopper's key; "orders" or "keys" for an unpaid hold
    cap: int = Field(ge=1)

    def units(self, quantity: int) -> int:
        """What an order of `quantity` keys counts in this quota: a coupon is used once per order."""
        once = (QuotaKind.COUPON_TOTAL, QuotaKind.COUPON_SHOPPER, QuotaKind.UNPAID_ORDERS, QuotaKind.RISK_VELOCITY)
        return 1 if self.kind in once else quantity

    @property
    def while_unpaid(self) -> bool:
        return self.kind in UNPAID_KINDS

    @property
    def kept(self) -> bool:
        return self.kind in KEPT_KINDS

    def refusal(self) -> DomainError:
        if self.kind is QuotaKind.RISK_VELOCITY:
            # Which name hit its cap (e-mail, address, device) is for the owner's log, not the shopper.
            return RiskVelocity("下单过于频繁：请一小时后再试；如有疑问，请联系本站客服")
        if self.kind is QuotaKind.UNPAID_ORDERS:
            return ShopperLimit(f"您已有 {self.cap} 笔未支付的订单：请先支付或等待其过期后再下单")
        if self.kind is QuotaKind.UNPAID_KEYS:
            return ShopperLimit(f"未支付的订单最多占用 {self.cap} 件库存：请先支付已下的订单，或减少数量")
        if self.kind is QuotaKind.COUPON_TOTAL:
            return CouponUsedUp("优惠券已被领用完或已使用")
        if self.kind is QuotaKind.COUPON_SHOPPER:
            return CouponUsedUp(f"此优惠券每人限用 {self.cap} 次，您已用完")
        if self.kind is QuotaKind.FLASH_TOTAL:
            return FlashSaleSoldOut("秒杀名额已抢完：本场秒杀已结束，可按原价购买")
        if self.kind is QuotaKind.FLASH_SHOPPER:
            return ShopperLimit(f"秒杀商品每人限购 {self.cap} 件，您的秒杀名额已用完或不足本次数量")
        if self.kind is QuotaKind.LOOP:
            return SoldOut("此商品已售完")
        return ShopperLimit(f"此商品每人每天限购 {self.cap} 件，您今天的额度已用完或不足本次数量")


def flash_sale_id(sale: FlashSale) -> str:
    """A sale's name in the store: its SKU and its start, which together pick one sale."""
    return f"{sale.sku}@{sale.starts.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}"


def coupon_counter(station: str, code: str) -> str:
    return f"COUPON#{station}#{code}"


def coupon_quotas(station: str, coupon: CouponRule, shopper_key: str | None) -> list[Quota]:
    """A coupon's use limits: in all, and this shopper's (when the shopper is known)."""
    counter = coupon_counter(station, coupon.code)
    quotas = []
    if coupon.max_uses is not None:
        quotas.append(Quota(kind=QuotaKind.COUPON_TOTAL, counter=counter, holder=EVERYONE, cap=coupon.max_uses))
    if coupon.per_shopper is not None and shopper_key:
        quotas.append(Quota(kind=QuotaKind.COUPON_SHOPPER, counter=counter, holder=shopper_key, cap=coupon.per_shopper))
    return quotas


def quotas_for(priced: PricedOrder, station: str, shopper_key: str, now: datetime,
               coupon: CouponRule | None = None) -> tuple[Quota, ...]:
    """The counters an order priced so must stay within."""
    quotas: list[Quota] = []
    if coupon is not None and priced.coupon is not None:
        quotas += coupon_quotas(station, coupon, shopper_key)
    sale = priced.flash_sale
    if sale is not None:
        counter = f"FLASH#{station}#{flash_sale_id(sale)}"
        quotas.append(Quota(kind=QuotaKind.FLASH_TOTAL, counter=counter, holder=EVERYONE, cap=sale.quantity))
        quotas.append(Quota(kind=QuotaKind.FLASH_SHOPPER, counter=counter, holder=shopper_key, cap=sale.per_shopper))
    if priced.line.loop_limit is not None:
        quotas.append(Quota(kind=QuotaKind.LOOP, counter=f"LOOP#{priced.line.sku}", holder=EVERYONE,
                            cap=priced.line.loop_limit))
    daily = priced.line.max_per_shopper_per_day
    if daily is not None:
        day = now.astimezone(timezone.utc).date().isoformat()
        quotas.append(Quota(kind=QuotaKind.DAILY, counter=f"DAILY#{station}#{priced.line.sku}#{day}",
                            holder=shopper_key, cap=daily))
    return tuple(quotas)
