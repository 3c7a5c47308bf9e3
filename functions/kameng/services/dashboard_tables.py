"""The dashboard's tables as rows for a CSV download: each row names its station, so a platform export and a
station's read alike. Money in minor units and rates in basis points, as in the JSON."""
from __future__ import annotations

from typing import Callable, Iterable, Sequence

from kameng.domain.dashboard import COHORT_WEEKS, COVER_DAYS
from kameng.domain.errors import InvalidRequest
from kameng.domain.stats import Figures
from kameng.services.dashboard import PERIODS, Dashboard

Rows = list[Sequence[object]]
_FIGURES = ["gmv", "orders", "keys", "refunded", "refunds"]


def _figures(figures: Figures) -> list[int]:
    return [figures.gmv, figures.orders, figures.keys, figures.refunded, figures.refunds]


def _days(d: Dashboard) -> Rows:
    return [[d.station, row["day"], *(row[name] for name in _FIGURES), row["new_members"], row["new_buyers"],
             row["checkouts"], row["conversion_bp"]] for row in d.view()["days"]]


def _best(by: str) -> Callable[[Dashboard], Rows]:
    def rows(d: Dashboard) -> Rows:
        return [[d.station, rank, s.sku, *_figures(s.figures)]
                for rank, s in enumerate(d.by_revenue if by == "revenue" else d.by_keys, start=1)]
    return rows


def _cohorts(d: Dashboard) -> Rows:
    return [[d.station, c.week.isoformat(), c.buyers, *("" if share is None else share for share in c.shares)]
            for c in d.cohorts]


def _referrers(d: Dashboard) -> Rows:
    return [[d.station, rank, r.referrer, r.orders, r.gmv, r.commissions]
            for rank, r in enumerate(d.referrers, start=1)]


def _cover(d: Dashboard) -> Rows:
    return [[d.station, c.sku, c.available, c.sold, "" if c.days is None else c.days] for c in d.cover]


def _stations(d: Dashboard) -> Rows:
    periods = d.view()["periods"]
    return [[d.station, n, *(periods[str(n)][name] for name in _STATION_COLUMNS)] for n in PERIODS]


_STATION_COLUMNS = [*_FIGURES, "average_order", "refund_rate_bp", "paying_buyers", "repeat_buyers", "repeat_rate_bp",
                    "new_members", "new_buyers", "checkouts", "delivered", "conversion_bp", "invitees",
                    "invitee_orders", "invitee_gmv", "commissions"]

TABLES: dict[str, tuple[list[str], Callable[[Dashboard], Rows]]] = {
    "days": (["station", "day", *_FIGURES, "new_members", "new_buyers", "checkouts", "conversion_bp"], _days),
    "best_sellers_revenue": (["station", "rank", "sku", *_FIGURES], _best("revenue")),
    "best_sellers_keys": (["station", "rank", "sku", *_FIGURES], _best("keys")),
    "cohorts": (["station", "week", "buyers", *(f"week_{n}_bp" for n in range(1, COHORT_WEEKS + 1))], _cohorts),
    "referrers": (["station", "rank", "referrer", "orders", "gmv", "commissions"], _referrers),
    "cover": (["station", "sku", "available", f"sold_{COVER_DAYS}_days", "cover_days"], _cover),
    "stations": (["station", "period_days", *_STATION_COLUMNS], _stations),
}


def table(name: str | None, dashboards: Iterable[Dashboard]) -> tuple[list[str], Rows]:
    """The named table's header and the rows of every dashboard, in order."""
    if name not in TABLES:
        raise InvalidRequest(f"未知的表：{name!r}，可选 {', '.join(TABLES)}",
                             [{"loc": "table", "msg": f"expected one of {', '.join(TABLES)}"}])
    header, rows_of = TABLES[name]
    return header, [row for d in dashboards for row in rows_of(d)]
