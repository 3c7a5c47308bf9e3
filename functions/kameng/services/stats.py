"""Statistics kept as orders are delivered and refunded: each (order, kind) is counted once by the store,
so the embedded call after delivery and the DynamoDB stream may both run without counting twice.

The other events the dashboard counts (an account opened, a shopper bound to a referrer, a checkout
placed) are counted once each by a marker of their own, after the change they count, never failing it.
"""
from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from kameng.deps import Deps
from kameng.domain.order import Order
from kameng.domain.stats import DEFAULT_TIME_ZONE, Counted, Tally, contribution, station_day

log = logging.getLogger(__name__)


def station_zone(station: str, deps: Deps) -> ZoneInfo:
    """The zone the station's content names (its published price book), the default for one not published."""
    book = deps.store.price_books.price_book(station)
    return ZoneInfo(book.time_zone if book is not None else DEFAULT_TIME_ZONE)


def count(order: Order, kind: Counted, deps: Deps) -> bool:
    """Count the order's delivery or refund; False when it was counted already (or, for a refund,
    when its delivery never was)."""
    return deps.store.statistics.record(order.id, kind, contribution(order, kind, station_zone(order.station, deps)))


def count_after(order: Order, kind: Counted, deps: Deps) -> None:
    """Count a change already made: a failure here must not undo or fail it, and the stream (or a
    recount) can count it later without counting it twice."""
    try:
        count(order, kind, deps)
    except Exception:
        log.exception("statistics not counted", extra={"order_id": order.id, "kind": kind.value})


def tally_after(marker: str, station: str, at: datetime, tally: Tally, deps: Deps) -> None:
    """Count one event (once per marker) on the station's day of `at`, never failing what it counts."""
    try:
        day = station_day(at, station_zone(station, deps))
        deps.store.statistics.count_once(f"{tally.value}:{marker}", station, day, tally)
    except Exception:
        log.exception("statistics not counted", extra={"marker": marker, "tally": tally.value})
