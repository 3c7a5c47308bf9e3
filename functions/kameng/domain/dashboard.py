"""What an owner reads off the rollups beyond a day's sales: buyers, members, conversion, referrals,
retention and stock cover. Every figure is an exact integer; rates are basis points, halves rounded up.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Iterable

from kameng.domain.stats import (BASIS_POINTS, COHORT_WEEKS, BuyerCounts, CohortCell, ReferrerShare, Summary, Tally,
                                 half_up)

# The days of sales a SKU's cover is reckoned from.
COVER_DAYS = 30


@dataclass(frozen=True)
class Activity:
    """A period's people and funnel: paying and repeat buyers, members and buyers gained, checkouts started
    and delivered, and the referral programme's share."""

    paying_buyers: int = 0
    repeat_buyers: int = 0
    new_members: int = 0
    new_buyers: int = 0
    checkouts: int = 0
    delivered: int = 0
    invitees: int = 0
    invitee_orders: int = 0
    invitee_gmv: int = 0
    commissions: int = 0

    def __add__(self, other: Activity) -> Activity:
        return Activity(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def repeat_rate(self) -> int:
        """Paying buyers with two or more orders kept, per paying buyer, in basis points."""
        return half_up(self.repeat_buyers * BASIS_POINTS, self.paying_buyers)

    @property
    def conversion(self) -> int:
        """Orders delivered (refunded later or not) per checkout started, in basis points."""
        return half_up(self.delivered * BASIS_POINTS, self.checkouts)


def activity(summary: Summary, buyers: BuyerCounts, tallies: Iterable[dict[Tally, int]]) -> Activity:
    """A period's activity from its summary, its buyer counts and the tallies of its days."""
    totals: dict[Tally, int] = {}
    for day in tallies:
        for tally, value in day.items():
            totals[tally] = totals.get(tally, 0) + value
    return Activity(
        paying_buyers=buyers.paying, repeat_buyers=buyers.repeat, new_members=totals.get(Tally.MEMBERS, 0),
        new_buyers=totals.get(Tally.NEW_BUYERS, 0), checkouts=totals.get(Tally.CHECKOUTS, 0),
        delivered=summary.figures.orders + summary.figures.refunds, invitees=totals.get(Tally.INVITEES, 0),
        invitee_orders=totals.get(Tally.INVITEE_ORDERS, 0), invitee_gmv=totals.get(Tally.INVITEE_GMV, 0),
        commissions=totals.get(Tally.COMMISSIONS, 0))


@dataclass(frozen=True)
class Cohort:
    """Buyers whose first purchase fell in `week`, and the share of them (basis points) buying again in each of
    the next COHORT_WEEKS weeks; None for a week that has not begun."""

    week: date
    buyers: int
    returning: tuple[int, ...]
    shares: tuple[int | None, ...]


def cohort_table(cells: Iterable[CohortCell], first_week: date, this_week: date) -> list[Cohort]:
    """A row per week of [first_week, this_week], oldest first, weeks without new buyers included."""
    by_week: dict[date, dict[int, int]] = {}
    for cell in cells:
        by_week.setdefault(cell.week, {})[cell.offset] = cell.buyers
    rows = []
    week = first_week
    while week <= this_week:
        found = by_week.get(week, {})
        size = found.get(0, 0)
        returning = tuple(found.get(offset, 0) for offset in range(1, COHORT_WEEKS + 1))
        shares = tuple(half_up(count * BASIS_POINTS, size) if week + timedelta(weeks=offset) <= this_week else None
                       for offset, count in enumerate(returning, start=1))
        rows.append(Cohort(week, size, returning, shares))
        week += timedelta(weeks=1)
    return rows


def top_referrers(shares: Iterable[ReferrerShare], limit: int) -> list[ReferrerShare]:
    """The referrers who earned most, best first, ties by orders then name; those left with nothing after
    refunds are left out."""
    kept = [share for share in shares if share.orders > 0 or share.commissions > 0]
    return sorted(kept, key=lambda s: (-s.commissions, -s.orders, s.referrer))[:limit]


@dataclass(frozen=True)
class Cover:
    """A SKU's stock in days of its recent sales: available keys per key sold a day over COVER_DAYS days,
    rounded down; None when none sold (the stock lasts for ever at that pace)."""

    sku: str
    available: int
    sold: int

    @property
    def days(self) -> int | None:
        return self.available * COVER_DAYS // self.sold if self.sold > 0 else None
