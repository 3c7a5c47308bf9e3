"""The price book: what a station charges for each SKU it sells.

`build.py` writes it and checkout reads it, through these same models, so a
page and a checkout can never disagree on a price.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from kameng.domain.commissions import ReferralRule
from kameng.domain.coupons import CouponNotApplicable, CouponRule, coupon_discount
from kameng.domain.errors import QuantityOutOfRange, UnknownSku
from kameng.domain.fulfilment import BuyerField, Kind, SupplyOffer
from kameng.domain.points import PointsRule
from kameng.domain.real_name import RealNameRule
from kameng.domain.risk import RiskRules
from kameng.domain.supply import SupplierSource
from kameng.domain.pricing import FlashSale, Level, Tier, level_for, open_flash_sale, tier_price
from kameng.domain.money import percent_of

# Where the shops are run from: a station that names no zone of its own closes its day at midnight here.
DEFAULT_TIME_ZONE = "Asia/Shanghai"


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
    # Fields added later have defaults, so books published before them still load.
    tiers: tuple[Tier, ...] = ()
    """This station's prices by quantity, minimum increasing, price non-increasing, none below wholesale."""
    max_per_shopper_per_day: int | None = Field(None, ge=1)
    # How it is delivered (domain/fulfilment.py): the buyer's fields of a direct top-up, the suppliers to
    # buy from in order, a manual product's promised hours, how often a loop credential may be sold.
    kind: Kind = Kind.CARD_KEY
    fields: tuple[BuyerField, ...] = ()
    supply: tuple[SupplyOffer, ...] = ()
    delivery_hours: int | None = None
    loop_limit: int | None = None
    # The substation whose own goods (独立商品库) this is, sold there alone at its retail, its wholesale the
    # station's own cost, owed to nobody; None: the main station's supply, resold by every station.
    owner: str | None = None

    def unit_price(self, quantity: int) -> int:
        return tier_price(self.price, self.tiers, quantity)


# A book that says nothing of suppliers or payment rails hashes as it did before they existed.
_STATION_DEFAULTS = {"suppliers": {}, "rails": ["stripe"], "bank": None, "receivers": {}, "name": "", "mail_keys": False,
                     "real_name": None, "risk": None}
_DELIVERY_DEFAULTS = {"kind": Kind.CARD_KEY.value, "fields": [], "supply": [], "delivery_hours": None, "loop_limit": None,
                      "owner": None}


class UnpaidLimits(BaseModel):
    """What one client may hold in unpaid orders at a station at a time, so a few cannot reserve all the stock."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    orders: int = Field(default=3, ge=1)
    keys: int = Field(default=10, ge=1)


class BankAccount(BaseModel):
    """Where a business buyer transfers to (对公转账), and how many days the order waits for it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bank: str
    branch: str | None = None
    account_name: str
    account_no: str
    days: int = 3


class PriceBook(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    station: str
    domain: str
    # The shop's name, as its mail to shoppers signs; "" (a book published before it was kept): the domain.
    name: str = ""
    language: str = "zh-CN"
    currency: str
    skus: dict[str, PricedSku]
    # Revenue split (分账): a substation paid out through its own connected account.
    payout_account: str | None = None
    platform_fee_percent: Decimal = Decimal(0)
    levels: tuple[Level, ...] = ()
    flash_sales: tuple[FlashSale, ...] = ()
    referrals: ReferralRule | None = None
    points: PointsRule | None = None
    coupons: tuple[CouponRule, ...] = ()
    """The station's own coupon codes (a shopper's personal coupons live in the store)."""
    # None (a book published before these limits existed): no cap until the station is built again.
    unpaid_holds: UnpaidLimits | None = None
    # The IANA zone whose midnight closes the station's statistics day (and whose Monday starts its week).
    time_zone: str = DEFAULT_TIME_ZONE
    # The main station's suppliers, by name (every station's SKUs are bought through the main station's).
    suppliers: dict[str, SupplierSource] = {}
    # The payment rails its pay step offers, in that order, and the bank account of its transfers.
    rails: tuple[str, ...] = ("stripe",)
    bank: BankAccount | None = None
    # 分账 on Alipay and WeChat Pay: the station's own account there, by rail (Stripe's is payout_account).
    receivers: dict[str, str] = {}
    # The delivery mail lists the card keys themselves, not only the order link (station.yaml `mail_keys`).
    mail_keys: bool = False
    # Orders that need a verified identity (station.yaml `real_name`); None: none do.
    real_name: RealNameRule | None = None
    # The station's risk rules (station.yaml `risk`): blocklists, orders per hour, orders held for review.
    risk: RiskRules | None = None

    def receiver(self, rail: str) -> str | None:
        """The station's own account on `rail` its share is paid to at each sale; None: paid out by the platform."""
        return self.payout_account if rail == "stripe" else self.receivers.get(rail)

    @property
    def version(self) -> str:
        # A book in the default zone hashes as it did before books named a zone, so publishing it again
        # is not a change.
        dumped = self.model_dump(mode="json", exclude={"time_zone"} if self.time_zone == DEFAULT_TIME_ZONE else None)
        # Likewise a book of card keys alone (and of the main station's goods alone) hashes as it did before
        # other kinds of delivery (and substations' own goods) existed.
        for name, default in _STATION_DEFAULTS.items():
            if dumped.get(name) == default:
                dumped.pop(name, None)
        for line in dumped["skus"].values():
            for name, default in _DELIVERY_DEFAULTS.items():
                if line.get(name) == default:
                    line.pop(name, None)
        canonical = json.dumps(dumped, sort_keys=True, separators=(",", ":"))
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


class PricedOrder(BaseModel):
    """What the server charges for one order line, and why.

    subtotal = unit_price × quantity (tier or flash-sale price); the level
    discount comes off the subtotal (not off a flash-sale price), the coupon off
    what is left; total = subtotal − discounts, and never below the wholesale
    cost (the discounts shrink first, the coupon before the level's).
    """

    model_config = ConfigDict(frozen=True)

    line: PricedSku
    quantity: int
    unit_price: int
    subtotal: int
    level: str | None
    level_discount: int
    coupon: str | None
    coupon_discount: int
    total: int
    wholesale_total: int
    currency: str
    flash_sale: FlashSale | None = None
    coupon_nominal: int = 0
    """What the coupon's rule would take off, before the wholesale floor cut it to coupon_discount."""

    @property
    def margin(self) -> int:
        return self.total - self.wholesale_total

    @property
    def charged_level(self) -> str | None:
        """The level the order names: only one that took something off."""
        return self.level if self.level_discount else None

    @property
    def coupon_capped(self) -> bool:
        """The wholesale floor took part of the coupon: the shopper is told it was adjusted."""
        return self.coupon_nominal > self.coupon_discount


def price_order(
    book: PriceBook,
    sku: str,
    quantity: int,
    now: datetime,
    spend: int = 0,
    coupon: CouponRule | None = None,
) -> PricedOrder:
    """Price an order from the published book and the server's own facts.

    `now` is the server's clock (the only judge of a flash sale's window),
    `spend` the shopper's delivered spend net of refunds (their level), and
    `coupon` a rule the caller has already found valid for this shopper's use
    counts. Raises UnknownSku, QuantityOutOfRange, CouponNotApplicable.
    """
    line = quote(book, sku, quantity).line
    unit = line.unit_price(quantity)
    sale = open_flash_sale(book.flash_sales, sku, now)
    # An order larger than one shopper's share of the sale is simply not a sale order: it
    # pays the usual (tier) price, as the page's estimate shows. Across a shopper's orders
    # and against the sale's total, the store counts.
    if sale is not None and sale.price < unit and quantity <= sale.per_shopper:
        unit = sale.price
    else:
        sale = None
    subtotal = unit * quantity
    wholesale_total = line.wholesale * quantity
    level = level_for(book.levels, spend)
    level_off = 0 if level is None or sale is not None else percent_of(subtotal, level.discount_percent)
    coupon_off = 0 if coupon is None else coupon_discount(coupon, subtotal - level_off, line.product, now, book.currency)
    coupon_nominal = coupon_off
    room = max(0, subtotal - wholesale_total)
    level_off = min(level_off, room)
    coupon_off = min(coupon_off, room - level_off)
    if coupon is not None and coupon_off == 0:
        # A use would be spent for nothing: the price is at its floor, or the percentage rounds to 0.
        raise CouponNotApplicable("coupon_no_room", "优惠券在此订单上抵扣不到任何金额（价格已是最低），未使用")
    return PricedOrder(
        line=line, quantity=quantity, unit_price=unit, subtotal=subtotal,
        level=None if level is None else level.name, level_discount=level_off,
        coupon=None if coupon is None else coupon.code, coupon_discount=coupon_off,
        total=subtotal - level_off - coupon_off, wholesale_total=wholesale_total,
        currency=book.currency, flash_sale=sale, coupon_nominal=coupon_nominal,
    )
