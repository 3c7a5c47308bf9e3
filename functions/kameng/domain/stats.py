"""What one order adds to its station's statistics when it is delivered, and takes back when refunded.

Rollups are kept as orders change, never by reading orders back: each delivery and refund brings
a delta of exact integers, applied once per (order, kind) by the store (once per key refund for a
refund of some keys). An order counts on the day it was placed, in the station's time zone, so a
refund lands on the same day as its delivery, and the counts of a fully refunded order (its delivery,
each key refund, the refund of the rest) add up to exactly nothing but the refund.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Iterable, Literal
from zoneinfo import ZoneInfo

from kameng.domain.key_refund import KeyRefund, UnitRefund, share
from kameng.domain.order import Order
from kameng.domain.price_book import DEFAULT_TIME_ZONE


class Counted(StrEnum):
    DELIVERED = "delivered"
    REFUNDED = "refunded"
    KEYS_REFUNDED = "keys_refunded"  # some keys of a delivered order: counted once per key refund


def counted_marker(kind: Counted, refunded_before: int = 0) -> str:
    """What marks (order, kind) counted: a key refund's names the keys its order had refunded before it
    (as its gateway attempt does), so each key refund of an order is counted once."""
    return f"{kind.value}#{refunded_before}" if kind is Counted.KEYS_REFUNDED else kind.value


@dataclass(frozen=True)
class Figures:
    """A day's counters. `gmv`, `orders` and `keys` are net of refunds; `refunded` and `refunds` say
    how much of that was given back."""

    gmv: int = 0
    orders: int = 0
    keys: int = 0
    refunded: int = 0
    refunds: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(self.gmv + other.gmv, self.orders + other.orders, self.keys + other.keys,
                       self.refunded + other.refunded, self.refunds + other.refunds)

    @property
    def average_order(self) -> int:
        """AOV in minor units, rounded down; 0 for a day without orders."""
        return self.gmv // self.orders if self.orders > 0 else 0


class Tally(StrEnum):
    """A station's day counters beside its Figures: each kept as events happen, never from orders read back."""

    MEMBERS = "members"  # accounts opened
    INVITEES = "invitees"  # shoppers bound to a referrer
    CHECKOUTS = "checkouts"  # orders placed, paid or not
    NEW_BUYERS = "new_buyers"  # buyers whose first delivered order was counted that day
    INVITEE_ORDERS = "invitee_orders"  # orders that carry referral commissions, net of refunds
    INVITEE_GMV = "invitee_gmv"
    COMMISSIONS = "commissions"
    RISK_BLOCKED = "risk_blocked"  # checkouts the risk rules' blocklists refused
    RISK_THROTTLED = "risk_throttled"  # checkouts over the risk rules' orders per hour


@dataclass(frozen=True)
class ReferrerShare:
    """What orders brought one referrer (any level): the orders, their GMV and the referrer's commissions."""

    referrer: str
    orders: int
    gmv: int
    commissions: int


@dataclass(frozen=True)
class StatsDelta:
    """One order's contribution: to the station's day, to its SKU's day, to the buyer's record, day and
    week, and to its referrers."""

    station: str
    sku: str
    day: date
    shopper_key: str
    figures: Figures
    spend: int
    buyer_orders: int
    referrers: tuple[ReferrerShare, ...] = ()

    @property
    def week(self) -> date:
        return week_of(self.day)

    @property
    def tallies(self) -> dict[Tally, int]:
        if not self.referrers:
            return {}
        return {Tally.INVITEE_ORDERS: self.buyer_orders, Tally.INVITEE_GMV: self.spend,
                Tally.COMMISSIONS: sum(share.commissions for share in self.referrers)}


# Retention follows a cohort this many weeks after the week of its first purchase.
COHORT_WEEKS = 8


def week_of(day: date) -> date:
    """The Monday that starts the day's week (weeks are the station's own, as its days are)."""
    return day - timedelta(days=day.weekday())


def week_offset(cohort: date, week: date) -> int | None:
    """Which of the cohort's following weeks `week` is (1..COHORT_WEEKS), or None when it is not one."""
    offset = (week - cohort).days // 7
    return offset if 1 <= offset <= COHORT_WEEKS else None


@dataclass(frozen=True)
class BuyerCounts:
    """Distinct buyers with an order kept in a period, and those of them with two or more."""

    paying: int
    repeat: int


@dataclass(frozen=True)
class CohortCell:
    """Buyers of the cohort (first purchase in `week`) who bought in its `offset`-th week after; offset 0
    is the cohort's size."""

    week: date
    offset: int
    buyers: int


@dataclass(frozen=True)
class DayTotals:
    """A station's day (sku None), or one SKU's day at the station."""

    station: str
    day: date
    sku: str | None
    figures: Figures


@dataclass(frozen=True)
class BuyerRecord:
    station: str
    shopper_key: str
    first_day: date
    last_day: date
    orders: int
    spend: int


def station_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def _referrers(order: Order, indexes: Iterable[int], sign: int, orders: int, gmv: int) -> tuple[ReferrerShare, ...]:
    """Each referrer's orders and GMV, and (times `sign`) the share of its commissions that the keys at
    `indexes` carry, as domain/key_refund.py spreads each commission."""
    kept = list(indexes)
    whole = len(kept) == order.quantity
    earned: dict[str, int] = {}
    for commission in order.commissions:
        taken = commission.amount if whole else share(commission.amount, kept, order.quantity)
        earned[commission.referrer] = earned.get(commission.referrer, 0) + taken
    return tuple(ReferrerShare(referrer, orders, gmv, sign * amount) for referrer, amount in sorted(earned.items()))


def _refunded_indexes(order: Order) -> list[int]:
    return [order.key_ids.index(key_id) for key_id in order.refunded_key_ids if key_id in order.key_ids]


def contribution(order: Order, kind: Counted, zone: ZoneInfo | None = None) -> StatsDelta:
    """What delivering the order adds, or what refunding it takes back (the same figures, negated,
    plus the refund itself); a key refund's is key_refund_contribution."""
    if kind is Counted.KEYS_REFUNDED:
        raise ValueError("a key refund counts by key_refund_contribution")
    day = station_day(order.created_at, zone or ZoneInfo(DEFAULT_TIME_ZONE))
    every = range(order.quantity)
    if kind is Counted.DELIVERED:
        sale = Figures(gmv=order.total, orders=1, keys=order.quantity)
        referrers = _referrers(order, every, 1, 1, order.total)
        return StatsDelta(order.station, order.sku, day, order.shopper_key, sale, order.total, 1, referrers)
    # Keys refunded one by one before were taken back by their own counts (key_refund_contribution).
    rest, rest_keys = order.total - order.partly_refunded, order.quantity - len(order.refunded_key_ids)
    refunded = set(_refunded_indexes(order))
    refund = Figures(gmv=-rest, orders=-1, keys=-rest_keys, refunded=rest, refunds=1)
    referrers = _referrers(order, [i for i in every if i not in refunded], -1, -1, -rest)
    return StatsDelta(order.station, order.sku, day, order.shopper_key, refund, -rest, -1, referrers)


def key_refund_contribution(refund: KeyRefund | UnitRefund, zone: ZoneInfo | None = None) -> StatsDelta:
    """What refunding some keys (or units never supplied) takes back: their exact share of the GMV, of the buyer's spend and of each
    commission. The order still stands, so its order count, its buyer's orders and days are left as they are."""
    order, amount = refund.order, refund.amount
    day = station_day(order.created_at, zone or ZoneInfo(DEFAULT_TIME_ZONE))
    figures = Figures(gmv=-amount, keys=-len(refund.indexes), refunded=amount)
    referrers = _referrers(order, refund.indexes, -1, 0, -amount)
    return StatsDelta(order.station, order.sku, day, order.shopper_key, figures, -amount, 0, referrers)


# Rates are given in basis points (1/100 of a percent): exact integers, as money is.
BASIS_POINTS = 10_000


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to a whole number, halves up; 0 when the denominator is 0."""
    if denominator <= 0:
        return 0
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True)
class Summary:
    """The figures of the days [first_day, last_day] and what an owner reads off them.

    `average_order` is GMV net of refunds per order kept, in minor units, halves rounded up (unlike
    Figures.average_order, which rounds down); `refund_rate` is the orders refunded per order
    delivered, in basis points, halves rounded up.
    """

    first_day: date
    last_day: date
    figures: Figures
    average_order: int
    refund_rate: int


@dataclass(frozen=True)
class SkuTotals:
    sku: str
    figures: Figures


def summarise(days: Iterable[DayTotals], first_day: date, last_day: date) -> Summary:
    """The sum of the days that fall in [first_day, last_day]; days outside it are left out."""
    total = sum((d.figures for d in days if first_day <= d.day <= last_day), Figures())
    delivered = total.orders + total.refunds
    return Summary(first_day, last_day, total, half_up(total.gmv, total.orders),
                   half_up(total.refunds * BASIS_POINTS, delivered))


def daily(station: str, days: Iterable[DayTotals], first_day: date, last_day: date) -> list[DayTotals]:
    """Every day of [first_day, last_day], oldest first: a chart needs the days without orders too."""
    kept = {d.day: d.figures for d in days if d.sku is None}
    count = (last_day - first_day).days + 1
    return [DayTotals(station, day, None, kept.get(day, Figures()))
            for day in (first_day + timedelta(days=n) for n in range(count))]


def best_sellers(sku_days: Iterable[DayTotals], by: Literal["gmv", "keys"], limit: int) -> list[SkuTotals]:
    """The SKUs with the most net revenue (or keys sold), best first, ties by SKU; a SKU whose every
    sale was refunded sold nothing."""
    totals: dict[str, Figures] = {}
    for d in sku_days:
        if d.sku is not None:
            totals[d.sku] = totals.get(d.sku, Figures()) + d.figures
    ranked = sorted((SkuTotals(sku, figures) for sku, figures in totals.items() if getattr(figures, by) > 0),
                    key=lambda s: (-getattr(s.figures, by), s.sku))
    return ranked[:limit]
