"""Statistics kept as orders are delivered and refunded: each (order, kind) is counted once by the store,
so the embedded call after delivery and the DynamoDB stream may both run without counting twice."""
from __future__ import annotations

import logging

from kameng.deps import Deps
from kameng.domain.order import Order
from kameng.domain.stats import Counted, contribution

log = logging.getLogger(__name__)


def count(order: Order, kind: Counted, deps: Deps) -> bool:
    """Count the order's delivery or refund; False when it was counted already (or, for a refund,
    when its delivery never was)."""
    return deps.store.statistics.record(order.id, kind, contribution(order, kind))


def count_after(order: Order, kind: Counted, deps: Deps) -> None:
    """Count a change already made: a failure here must not undo or fail it, and the stream (or a
    recount) can count it later without counting it twice."""
    try:
        count(order, kind, deps)
    except Exception:
        log.exception("statistics not counted", extra={"order_id": order.id, "kind": kind.value})
