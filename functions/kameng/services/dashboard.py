"""The owner's dashboard: a station's figures for today, 7 and 30 days, read from the statistics rollups.

A handful of reads of at most 30 days' (or 12 weeks') rollup rows answer it, however many orders the station
has had: it never reads orders, so its cost does not grow with the shop's history.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kameng.deps import Deps
from kameng.domain.dashboard import COVER_DAYS, Activity, Cohort, Cover, activity, cohort_table, top_referrers
from kameng.domain.errors import NotFound
from kameng.domain.owners import NO_SUCH_RECORD, Owner, Permission, check
from kameng.domain.stats import (BASIS_POINTS, DEFAULT_TIME_ZONE, DayTotals, Figures, ReferrerShare, SkuTotals,
                                 Summary, Tally, best_sellers, daily, half_up, station_day, summarise, week_of)

PERIODS = (1, 7, 30)
SERIES_DAYS = max(PERIODS)
BEST_SELLERS = 10
TOP_REFERRERS = 10
# Cohorts shown: the weeks of first purchase from this many weeks back to this week.
COHORT_ROWS = 12


@dataclass(frozen=True)
class Dashboard:
    station: str
    today: date
    time_zone: str
    # Days counted back from today, today included: 1 is today alone.
    periods: dict[int, Summary]
    # The last SERIES_DAYS days, oldest first, days without orders included.
    series: list[DayTotals]
    by_revenue: list[SkuTotals]
    by_keys: list[SkuTotals]
    activity: dict[int, Activity]
    # The tallies of each day of `series`, in its order.
    series_tallies: list[dict[Tally, int]]
    cohorts: list[Cohort]
    referrers: list[ReferrerShare]
    cover: list[Cover]

    def view(self, days: int = SERIES_DAYS) -> dict[str, Any]:
        """The dashboard as JSON for scripts and the console, with the series cut to the last `days`; money
        in minor units, rates in basis points."""
        series = list(zip(self.series, self.series_tallies))[-days:]
        return {
            "station": self.station, "today": self.today.isoformat(), "time_zone": self.time_zone,
            "periods": {str(n): _summary_view(s) | _activity_view(self.activity[n]) for n, s in self.periods.items()},
            "days": [_day_view(d, tallies) for d, tallies in series],
            "best_sellers": {"by_revenue": [_sku_view(s) for s in self.by_revenue],
                             "by_keys": [_sku_view(s) for s in self.by_keys]},
            "cohorts": [_cohort_view(c) for c in self.cohorts],
            "referrers": [_referrer_view(r) for r in self.referrers],
            "cover": [_cover_view(c) for c in self.cover],
        }


def _figures_view(figures: Figures) -> dict[str, int]:
    return {"gmv": figures.gmv, "orders": figures.orders, "keys": figures.keys, "refunded": figures.refunded,
            "refunds": figures.refunds}


def _summary_view(summary: Summary) -> dict[str, Any]:
    return {"from": summary.first_day.isoformat(), "to": summary.last_day.isoformat(),
            **_figures_view(summary.figures), "average_order": summary.average_order,
            "refund_rate_bp": summary.refund_rate}


def _activity_view(period: Activity) -> dict[str, int]:
    return {"paying_buyers": period.paying_buyers, "repeat_buyers": period.repeat_buyers,
            "repeat_rate_bp": period.repeat_rate, "new_members": period.new_members, "new_buyers": period.new_buyers,
            "checkouts": period.checkouts, "delivered": period.delivered, "conversion_bp": period.conversion,
            "invitees": period.invitees, "invitee_orders": period.invitee_orders,
            "invitee_gmv": period.invitee_gmv, "commissions": period.commissions}


def _day_view(day: DayTotals, tallies: dict[Tally, int]) -> dict[str, Any]:
    checkouts, delivered = tallies.get(Tally.CHECKOUTS, 0), day.figures.orders + day.figures.refunds
    return {"day": day.day.isoformat(), **_figures_view(day.figures),
            "new_members": tallies.get(Tally.MEMBERS, 0), "new_buyers": tallies.get(Tally.NEW_BUYERS, 0),
            "checkouts": checkouts, "conversion_bp": half_up(delivered * BASIS_POINTS, checkouts),
            # Checkouts the station's risk rules refused (风控): its blocklists, its orders per hour.
            "risk_blocked": tallies.get(Tally.RISK_BLOCKED, 0), "risk_throttled": tallies.get(Tally.RISK_THROTTLED, 0)}


def _sku_view(totals: SkuTotals) -> dict[str, Any]:
    return {"sku": totals.sku, **_figures_view(totals.figures)}


def _cohort_view(cohort: Cohort) -> dict[str, Any]:
    return {"week": cohort.week.isoformat(), "buyers": cohort.buyers, "returning": list(cohort.returning),
            "share_bp": list(cohort.shares)}


def _referrer_view(share: ReferrerShare) -> dict[str, Any]:
    return {"referrer": share.referrer, "orders": share.orders, "gmv": share.gmv, "commissions": share.commissions}


def _cover_view(cover: Cover) -> dict[str, Any]:
    return {"sku": cover.sku, "available": cover.available, f"sold_{COVER_DAYS}_days": cover.sold,
            "cover_days": cover.days}


def station_today(deps: Deps, time_zone: str = DEFAULT_TIME_ZONE) -> date:
    return station_day(deps.clock(), ZoneInfo(time_zone))


def _cover(station: str, sku_days: list[DayTotals], deps: Deps) -> list[Cover]:
    book = deps.store.price_books.price_book(station)
    sold: dict[str, int] = {}
    for d in sku_days:
        if d.sku is not None:
            sold[d.sku] = sold.get(d.sku, 0) + d.figures.keys
    skus = sorted(book.skus) if book is not None else sorted(sold)
    stock = deps.store.inventory.stock(skus)
    return [Cover(sku, stock[sku].available, max(sold.get(sku, 0), 0)) for sku in skus]


def overview(station: str, today: date, deps: Deps, time_zone: str = DEFAULT_TIME_ZONE) -> Dashboard:
    """The station's dashboard as of `today`, a day in the station's time zone."""
    first = today - timedelta(days=SERIES_DAYS - 1)
    statistics = deps.store.statistics
    days = statistics.days(station, first, today)
    sku_days = statistics.sku_days(station, None, first, today)
    tallies = statistics.tallies(station, first, today)
    periods, activities = {}, {}
    for n in PERIODS:
        start = today - timedelta(days=n - 1)
        periods[n] = summarise(days, start, today)
        activities[n] = activity(periods[n], statistics.paying_buyers(station, start, today),
                                 (t for day, t in tallies.items() if start <= day <= today))
    series = daily(station, days, first, today)
    this_week = week_of(today)
    first_week = this_week - timedelta(weeks=COHORT_ROWS - 1)
    return Dashboard(station, today, time_zone, periods, series,
                     best_sellers(sku_days, "gmv", BEST_SELLERS), best_sellers(sku_days, "keys", BEST_SELLERS),
                     activities, [tallies.get(d.day, {}) for d in series],
                     cohort_table(statistics.cohorts(station, first_week, this_week), first_week, this_week),
                     top_referrers(statistics.referrers(station, first, today), TOP_REFERRERS),
                     _cover(station, sku_days, deps))


def station_overview(station: str, deps: Deps) -> Dashboard:
    """The station's dashboard as of now, in the zone its content names."""
    book = deps.store.price_books.price_book(station)
    zone = book.time_zone if book is not None else DEFAULT_TIME_ZONE
    return overview(station, station_today(deps, zone), deps, zone)


def for_owner(owner: Owner, station: str, deps: Deps) -> Dashboard:
    """The dashboard of a station the owner may see; another station's answers as an unknown one does."""
    check(owner, Permission.VIEW_STATS, station)
    if deps.store.price_books.price_book(station) is None:
        # The words check() answers for another station's resource, so a guess tells the two apart by nothing.
        raise NotFound(NO_SUCH_RECORD)
    return station_overview(station, deps)


def for_platform(owner: Owner, deps: Deps) -> list[Dashboard]:
    """Every published station's dashboard, by station name: the platform owner's alone."""
    check(owner, Permission.VIEW_STATS, None)
    return [station_overview(station, deps) for station in deps.store.price_books.stations()]


def platform_view(dashboards: list[Dashboard]) -> dict[str, Any]:
    """The stations side by side (their periods) and the platform's total of each period. A shopper who buys
    at two stations is a buyer of each, so the total counts them twice."""
    total = {}
    for n in PERIODS:
        summed = sum((d.periods[n].figures for d in dashboards), Figures())
        delivered = summed.orders + summed.refunds
        total[str(n)] = {**_figures_view(summed), "average_order": half_up(summed.gmv, summed.orders),
                         "refund_rate_bp": half_up(summed.refunds * BASIS_POINTS, delivered),
                         **_activity_view(sum((d.activity[n] for d in dashboards), Activity()))}
    return {"stations": [{"station": d.station, "today": d.today.isoformat(), "time_zone": d.time_zone,
                          "periods": d.view()["periods"]} for d in dashboards],
            "total": {"periods": total}}
