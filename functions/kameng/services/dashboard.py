"""The owner's dashboard: a station's figures for today, 7 and 30 days, read from the statistics rollups.

Two reads of at most 30 days' rollup rows answer it, however many orders the station has had: it never
reads orders, so its cost does not grow with the shop.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kameng.deps import Deps
from kameng.domain.stats import (DEFAULT_TIME_ZONE, DayTotals, Figures, SkuTotals, Summary, best_sellers, daily,
                                 station_day, summarise)

PERIODS = (1, 7, 30)
SERIES_DAYS = max(PERIODS)
BEST_SELLERS = 10


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

    def view(self, days: int = SERIES_DAYS) -> dict[str, Any]:
        """The dashboard as JSON for scripts and the console, with the series cut to the last `days`; money
        in minor units, rates in basis points."""
        return {
            "station": self.station, "today": self.today.isoformat(), "time_zone": self.time_zone,
            "periods": {str(n): _summary_view(s) for n, s in self.periods.items()},
            "days": [{"day": d.day.isoformat(), **_figures_view(d.figures)} for d in self.series[-days:]],
            "best_sellers": {"by_revenue": [_sku_view(s) for s in self.by_revenue],
                             "by_keys": [_sku_view(s) for s in self.by_keys]},
        }


def _figures_view(figures: Figures) -> dict[str, int]:
    return {"gmv": figures.gmv, "orders": figures.orders, "keys": figures.keys, "refunded": figures.refunded,
            "refunds": figures.refunds}


def _summary_view(summary: Summary) -> dict[str, Any]:
    return {"from": summary.first_day.isoformat(), "to": summary.last_day.isoformat(),
            **_figures_view(summary.figures), "average_order": summary.average_order,
            "refund_rate_bp": summary.refund_rate}


def _sku_view(totals: SkuTotals) -> dict[str, Any]:
    return {"sku": totals.sku, **_figures_view(totals.figures)}


def station_today(deps: Deps, time_zone: str = DEFAULT_TIME_ZONE) -> date:
    return station_day(deps.clock(), ZoneInfo(time_zone))


def overview(station: str, today: date, deps: Deps) -> Dashboard:
    """The station's dashboard as of `today`, a day in the station's time zone."""
    first = today - timedelta(days=SERIES_DAYS - 1)
    statistics = deps.store.statistics
    days = statistics.days(station, first, today)
    sku_days = statistics.sku_days(station, None, first, today)
    periods = {n: summarise(days, today - timedelta(days=n - 1), today) for n in PERIODS}
    return Dashboard(station, today, DEFAULT_TIME_ZONE, periods, daily(station, days, first, today),
                     best_sellers(sku_days, "gmv", BEST_SELLERS), best_sellers(sku_days, "keys", BEST_SELLERS))
