"""The owner's files as validated specs (documented in the README, "Content").

Each spec checks what one file can check on its own; checks that need
several files (categories, SKU ids across products, `sells`) live in load.py.
A spec whose concept the domain owns (a tier, a flash sale, a level, a coupon,
the referral and points rules) becomes the domain's model by `to_domain()`.
"""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from kameng.domain.commissions import ReferralRule, check_levels_percent
from kameng.domain.coupons import CouponRule
from kameng.domain.fulfilment import check_pattern
from kameng.domain.points import PointsRule
from kameng.domain.price_book import DEFAULT_TIME_ZONE, UnpaidLimits
from kameng.domain.pricing import FlashSale, Level, Tier
from kameng.sitegen.content_types import (
    MAX_PER_ORDER, AwareTime, Colour, ContactEmail, Currency, Domain, Id, ImageName, Money, OneLine, Percent, Rate,
    Spec, all_or_list, amount_text, coupon_code,
)
from kameng.sitegen.risk_content import StationRulesFields
from kameng.sitegen.payment_content import PaymentsSpec
from kameng.sitegen.storefront_content import BestSellerField, DirectoryField
from kameng.sitegen.translations import Translatable, TranslatableTags

class ColorsSpec(Spec):
    primary: Colour | None = None
    accent: Colour | None = None

    @field_validator("primary", "accent", mode="before")
    @classmethod
    def _written_but_empty(cls, value: Any) -> Any:
        # `primary: #c81e1e` without quotes is a YAML comment, so the value is empty.
        if value is None:
            raise ValueError('expected a colour in quotes like "#c81e1e": without quotes YAML reads # as a comment')
        return value


class CategorySpec(Spec):
    id: Id
    name: Translatable


class PricingSpec(Spec):
    markup_percent: Percent
    fixed: dict[Id, Money] = {}


class PayoutsSpec(Spec):
    # Revenue split (分账): the substation is paid through its own account on the rail the shopper paid by
    # (a Stripe connected account, an Alipay account bound for royalties, a WeChat Pay receiver merchant);
    # the main station keeps the wholesale cost plus this fee on each sale.
    stripe_account: Annotated[str | None, Field(pattern=r"^acct_[A-Za-z0-9]{6,64}$")] = None
    alipay_account: Annotated[str | None, Field(pattern=r"^2088[0-9]{12}$")] = None
    wechat_merchant: Annotated[str | None, Field(pattern=r"^[0-9]{8,12}$")] = None
    platform_fee_percent: Percent = Decimal(0)

    @model_validator(mode="after")
    def _some_account(self) -> PayoutsSpec:
        if not (self.stripe_account or self.alipay_account or self.wechat_merchant):
            raise ValueError("expected stripe_account, alipay_account or wechat_merchant to pay the station's share to")
        return self

    @field_validator("platform_fee_percent")
    @classmethod
    def _at_most_the_sale(cls, value: Decimal) -> Decimal:
        if value > 100:
            raise ValueError(f"expected a percentage from 0 to 100 (got {value})")
        return value


class LevelSpec(Spec):
    """会员等级: reached at a cumulative delivered spend, giving a discount."""

    name: OneLine
    spend: Money
    discount_percent: Percent

    @field_validator("discount_percent")
    @classmethod
    def _at_most_everything(cls, value: Decimal) -> Decimal:
        if value > 100:
            raise ValueError(f"expected a percentage from 0 to 100 (got {value})")
        return value

    def to_domain(self) -> Level:
        return Level(name=self.name, spend=self.spend, discount_percent=self.discount_percent)


class FlashSaleSpec(Spec):
    """限时秒杀: one SKU's price for a window, for a limited quantity."""

    sku: Id
    price: Money
    starts: AwareTime
    ends: AwareTime
    quantity: int = Field(ge=1)
    per_shopper: int = Field(ge=1)

    @field_validator("ends")
    @classmethod
    def _after_start(cls, ends: datetime, info: ValidationInfo) -> datetime:
        starts = info.data.get("starts")
        if starts is not None and ends <= starts:
            raise ValueError(f"must be after starts {starts.isoformat()} (got {ends.isoformat()})")
        return ends

    @field_validator("per_shopper")
    @classmethod
    def _within_quantity(cls, per_shopper: int, info: ValidationInfo) -> int:
        quantity = info.data.get("quantity")
        if quantity is not None and per_shopper > quantity:
            raise ValueError(f"must be ≤ quantity {quantity} (got {per_shopper})")
        return per_shopper

    def to_domain(self) -> FlashSale:
        return FlashSale(sku=self.sku, price=self.price, starts=self.starts, ends=self.ends, quantity=self.quantity,
                         per_shopper=self.per_shopper)


class ReferralsSpec(Spec):
    """分销: commissions on delivered orders, up to three levels (PRC law; the cap is in domain code)."""

    basis: Literal["margin", "price"] = "margin"
    levels_percent: list[Percent] = []
    welcome_coupon: Money = 0
    referrer_reward: Money = 0
    holding_days: int = Field(7, ge=0, le=365)
    min_withdrawal: Money = 100

    @field_validator("min_withdrawal")
    @classmethod
    def _above_zero(cls, amount: int) -> int:
        if amount == 0:
            raise ValueError("expected an amount above 0.00 (got 0.00)")
        return amount

    @field_validator("levels_percent")
    @classmethod
    def _lawful(cls, levels: list[Decimal]) -> list[Decimal]:
        check_levels_percent(levels)
        return levels

    def to_domain(self) -> ReferralRule:
        return ReferralRule(
            basis=self.basis, levels_percent=tuple(self.levels_percent), welcome_coupon=self.welcome_coupon,
            referrer_reward=self.referrer_reward, holding_days=self.holding_days, min_withdrawal=self.min_withdrawal,
        )


class RedeemSpec(Spec):
    points: int = Field(ge=1)
    coupon: Money

    @field_validator("coupon")
    @classmethod
    def _worth_something(cls, coupon: int) -> int:
        if coupon == 0:
            raise ValueError("expected an amount above 0.00 (got 0.00)")
        return coupon


class PointsSpec(Spec):
    """成长值: points per yuan paid on delivered orders, redeemed into coupons."""

    per_yuan: Rate = Decimal(1)
    redeem: RedeemSpec | None = None

    def to_domain(self) -> PointsRule:
        if self.redeem is None:
            return PointsRule(per_yuan=self.per_yuan)
        return PointsRule(per_yuan=self.per_yuan, redeem_points=self.redeem.points, redeem_coupon=self.redeem.coupon)


class CouponSpec(Spec):
    """A station coupon code: a fixed amount or a percentage off, under the station's own limits."""

    code: Annotated[str, AfterValidator(coupon_code)]
    amount: Money | None = None
    percent: Percent | None = None
    min_spend: Money = 0
    starts: AwareTime | None = None
    ends: AwareTime | None = None
    products: Annotated[list[Id] | None, BeforeValidator(all_or_list)] = None
    max_uses: int | None = Field(None, ge=1)
    per_shopper: int | None = Field(1, ge=1)

    @field_validator("percent")
    @classmethod
    def _at_most_everything(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and not 0 < value <= 100:
            raise ValueError(f"expected a percentage above 0 and at most 100 (got {value})")
        return value

    @field_validator("ends")
    @classmethod
    def _after_start(cls, ends: datetime | None, info: ValidationInfo) -> datetime | None:
        starts = info.data.get("starts")
        if ends is not None and starts is not None and ends <= starts:
            raise ValueError(f"must be after starts {starts.isoformat()} (got {ends.isoformat()})")
        return ends

    @model_validator(mode="after")
    def _one_kind(self) -> CouponSpec:
        if (self.amount is None) == (self.percent is None):
            raise ValueError("expected exactly one of amount (such as 5.00) or percent (such as 10)")
        if self.amount == 0:
            raise ValueError("expected an amount above 0.00 (got 0.00)")
        return self

    def to_domain(self) -> CouponRule:
        return CouponRule(
            code=self.code, kind="fixed" if self.amount is not None else "percent", amount=self.amount or 0,
            percent=self.percent or Decimal(0), min_spend=self.min_spend, starts=self.starts, ends=self.ends,
            products=None if self.products is None else tuple(self.products), max_uses=self.max_uses,
            per_shopper=self.per_shopper,
        )


class UnpaidHoldsSpec(Spec):
    """How much stock one client's unpaid orders may hold at a time (by e-mail, address and device alike)."""

    orders: int = Field(UnpaidLimits().orders, ge=1, le=100)
    keys: int = Field(UnpaidLimits().keys, ge=1, le=10_000)

    def to_domain(self) -> UnpaidLimits:
        return UnpaidLimits(orders=self.orders, keys=self.keys)


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ValueError, ZoneInfoNotFoundError):
        raise ValueError(f"expected an IANA time zone like Asia/Shanghai or Europe/London (got {value!r})") from None
    return value


TimeZone = Annotated[str, AfterValidator(_time_zone)]


class _StationSpec(Spec, StationRulesFields):
    name: OneLine
    domain: Domain
    language: Literal["zh-CN", "en"] = "zh-CN"
    theme: Id = "default"
    logo: ImageName | None = None
    colors: ColorsSpec = ColorsSpec()
    announcement: OneLine | None = None
    tagline: OneLine | None = None
    support_email: ContactEmail | None = None
    levels: list[LevelSpec] = []
    flash_sales: list[FlashSaleSpec] = []
    referrals: ReferralsSpec | None = None
    points: PointsSpec | None = None
    coupons: list[CouponSpec] = []
    unpaid_holds: UnpaidHoldsSpec = UnpaidHoldsSpec()
    time_zone: TimeZone = DEFAULT_TIME_ZONE
    payments: PaymentsSpec = PaymentsSpec()
    mail_keys: bool = False  # the delivery mail lists the keys, not only the order link
    # Where the file lies decides its kind: (the kind it must say, what to tell a file that says otherwise).
    _kind_rule: ClassVar[tuple[str, str]]

    @field_validator("kind", mode="before", check_fields=False)
    @classmethod
    def _kind(cls, value: Any) -> Any:
        expected, rule = cls._kind_rule
        if value != expected:
            raise ValueError(f"{rule}; expected {expected} (got {value!r})")
        return value


class MainStationSpec(_StationSpec):
    _kind_rule = ("main", "content/main is the main station")
    kind: Literal["main"]
    currency: Currency
    categories: list[CategorySpec] = Field(min_length=1)


class SubstationSpec(_StationSpec, DirectoryField):
    _kind_rule = ("substation", "only content/main can be the main station")
    kind: Literal["substation"]
    # None: the main station's currency, which is the only one allowed anyway.
    currency: Currency | None = None
    sells: Annotated[list[Id] | None, BeforeValidator(all_or_list)] = None
    pricing: PricingSpec
    payouts: PayoutsSpec | None = None


class TierSpec(Spec):
    """From `min` keys in one order, each costs `price` at the main station."""

    min: int = Field(ge=2, le=MAX_PER_ORDER)
    price: Money

    def to_domain(self, price: int | None = None) -> Tier:
        """The main station's tier, or a station's at its own `price`."""
        return Tier(min_quantity=self.min, price=self.price if price is None else price)


class SkuSpec(Spec):
    id: Id
    name: Translatable
    face_value: Money
    wholesale: Money
    retail: Money
    min_per_order: int = Field(1, ge=1, le=MAX_PER_ORDER)
    max_per_order: int = Field(10, ge=1, le=MAX_PER_ORDER)
    low_stock: int = Field(10, ge=0)
    tiers: list[TierSpec] = []
    max_per_shopper_per_day: int | None = Field(None, ge=1)
    # Where the SKU is bought when the stock is short (a card key) or always (a direct top-up).
    supply: list[SupplyOfferSpec] = []

    # Fields validate in declaration order, so wholesale and min_per_order are
    # already in info.data when these run (absent if they were invalid).
    @field_validator("retail")
    @classmethod
    def _retail_covers_wholesale(cls, retail: int, info: ValidationInfo) -> int:
        wholesale = info.data.get("wholesale")
        if wholesale is not None and retail < wholesale:
            raise ValueError(
                f"must be ≥ the wholesale price {amount_text(wholesale)} (got {amount_text(retail)})"
            )
        return retail

    @field_validator("max_per_order")
    @classmethod
    def _max_covers_min(cls, maximum: int, info: ValidationInfo) -> int:
        minimum = info.data.get("min_per_order")
        if minimum is not None and maximum < minimum:
            raise ValueError(f"must be ≥ min_per_order {minimum} (got {maximum})")
        return maximum

    @field_validator("supply")
    @classmethod
    def _offers_below_retail(cls, supply: list[SupplyOfferSpec], info: ValidationInfo) -> list[SupplyOfferSpec]:
        retail = info.data.get("retail")
        seen: set[str] = set()
        for index, offer in enumerate(supply):
            if retail is not None and offer.cost > retail:
                raise ValueError(f"expected supply[{index}].cost ≤ the retail price {amount_text(retail)}: never sell "
                                 f"below cost (got {amount_text(offer.cost)})")
            if offer.supplier in seen:
                raise ValueError(f"expected each supplier once (got {offer.supplier} twice)")
            seen.add(offer.supplier)
        return supply

    @field_validator("max_per_shopper_per_day")
    @classmethod
    def _daily_covers_one_order(cls, daily: int | None, info: ValidationInfo) -> int | None:
        minimum = info.data.get("min_per_order")
        if daily is not None and minimum is not None and daily < minimum:
            raise ValueError(f"must be ≥ min_per_order {minimum} (got {daily})")
        return daily


class BuyerFieldSpec(Spec):
    """What a direct top-up's buyer types: `name` is what the supplier receives it as."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
    label: dict[Literal["zh-CN", "en"], OneLine] = Field(min_length=1)
    pattern: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    example: OneLine | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        return check_pattern(pattern)

    @model_validator(mode="after")
    def _example_fits(self) -> "BuyerFieldSpec":
        if self.example is not None and not re.fullmatch(self.pattern, self.example):
            raise ValueError(f"expected an example that matches the pattern {self.pattern!r} (got {self.example!r})")
        return self


class SupplyOfferSpec(Spec):
    """One supplier's product for a SKU; a SKU's offers are tried in the order they are listed."""

    supplier: Id
    product: OneLine
    cost: Money


class ProductSpec(Spec, BestSellerField):
    title: Translatable
    category: Id
    summary: Translatable | None = None
    fulfilment: Literal["card_key", "loop", "direct", "manual"] = "card_key"
    # direct: what the buyer fills in; manual: the hours the owner promises to deliver within;
    # loop: how many times the credential may be sold (none: without limit).
    fields: list[BuyerFieldSpec] = Field([], validate_default=True)
    delivery_hours: int | None = Field(None, ge=1, le=720, validate_default=True)
    loop_limit: int | None = Field(None, ge=1)
    images: list[ImageName] = []
    tags: TranslatableTags = []
    sort: int | None = None
    skus: list[SkuSpec] = Field(min_length=1)

    # `fulfilment` is declared first, so it is in info.data when these run (absent if it was invalid).
    @field_validator("fields")
    @classmethod
    def _fields_for_the_kind(cls, fields: list[BuyerFieldSpec], info: ValidationInfo) -> list[BuyerFieldSpec]:
        kind = info.data.get("fulfilment")
        if kind == "direct" and not fields:
            raise ValueError("expected the fields a direct top-up's buyer fills in (an account, a phone number), "
                             "each with name, label and pattern")
        if fields and kind not in ("direct", "manual", None):
            raise ValueError(f"expected no fields: only a direct or manual product asks the buyer (this one is {kind})")
        names = [field.name for field in fields]
        if len(set(names)) != len(names):
            raise ValueError(f"expected each field name once (got {', '.join(names)})")
        return fields

    @field_validator("delivery_hours")
    @classmethod
    def _hours_for_manual(cls, hours: int | None, info: ValidationInfo) -> int | None:
        kind = info.data.get("fulfilment")
        if kind == "manual" and hours is None:
            raise ValueError("expected the hours within which the owner delivers a manual product, such as 24")
        if hours is not None and kind not in ("manual", None):
            raise ValueError(f"expected no delivery_hours: only a manual product promises them (this one is {kind})")
        return hours

    @field_validator("loop_limit")
    @classmethod
    def _limit_for_loop(cls, limit: int | None, info: ValidationInfo) -> int | None:
        kind = info.data.get("fulfilment")
        if limit is not None and kind not in ("loop", None):
            raise ValueError(f"expected no loop_limit: only a loop product is sold again and again (this one is {kind})")
        return limit

    @field_validator("skus")
    @classmethod
    def _supply_for_the_kind(cls, skus: list[SkuSpec], info: ValidationInfo) -> list[SkuSpec]:
        kind = info.data.get("fulfilment")
        for index, sku in enumerate(skus):
            if kind == "direct" and not sku.supply:
                raise ValueError(f"expected skus[{index}].supply to list the suppliers a direct top-up is sent to")
            if sku.supply and kind in ("loop", "manual"):
                raise ValueError(f"expected no skus[{index}].supply: a {kind} product is not bought from suppliers")
        return skus


class PageSpec(Spec):
    title: OneLine

