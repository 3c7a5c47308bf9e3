"""Statistics kept as orders are delivered and refunded (in whole, or some keys at a time): each (order, kind),
and each key refund, is counted once by the store, so the embedded call after delivery and the DynamoDB
stream may both run without counting twice.

The other events the dashboard counts (an account opened, a shopper bound to a referrer, a checkout
placed) are counted once each by a marker of their own, after the change they count, never failing it.
"""
from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from kameng.deps import Deps
from kameng.domain.key_refund import KeyRefund, UnitRefund
from kameng.domain.order import Order
from kameng.domain.stats import DEFAULT_TIME_ZONE, Counted, Tally, contribution, key_refund_contribution, station_day

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


def count_key_refund_after(refund: KeyRefund | UnitRefund, deps: Deps) -> None:
    """Count a refund of some keys, made already, once (by the keys its order had refunded before it),
    never failing it. The refund of the last keys refunds the order: that one counts as REFUNDED. A refund of
    units never supplied (one per order) is marked past every count of keys refunded before."""
    order = refund.order
    before = len(order.refunded_key_ids) if refund.key_ids else order.quantity
    try:
        deps.store.statistics.record(order.id, Counted.KEYS_REFUNDED,
                                     key_refund_contribution(refund, station_zone(order.station, deps)),
                                     refunded_before=before)
    except Exception:
        log.exception("statistics not counted", extra={"order_id": order.id, "kind": Counted.KEYS_REFUNDED.value})


def tally_after(marker: str, station: str, at: datetime, tally: Tally, deps: Deps) -> None:
    """Count one event (once per marker) on the station's day of `at`, never failing what it counts."""
    try:
        day = station_day(at, station_zone(station, deps))
        deps.store.statistics.count_once(f"{tally.value}:{marker}", station, day, tally)
    except Exception:
        log.exception("statistics not counted", extra={"marker": marker, "tally": tally.value})
