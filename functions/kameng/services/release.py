"""Release: a paid order's reserved keys become sold, exactly once."""
from __future__ import annotations

import logging

from kameng.deps import Deps
from kameng.domain.order import Applied, Order, OrderStatus, deliver
from kameng.domain.stats import Counted
from kameng.services.membership import delivery_credits
from kameng.services.notify import send_delivery_mail
from kameng.services.stats import count_after

log = logging.getLogger(__name__)


def release(order_id: str, deps: Deps) -> Order | None:
    """Deliver the order if it is paid; a repeat, or a race with another worker, is a no-op."""
    for _ in range(3):
        order = deps.store.orders.order(order_id)
        if order is None:
            return None
        if order.status is not OrderStatus.PAID:
            return order
        now = deps.clock()
        credits = delivery_credits(order, deps.store.price_books.price_book(order.station), deps, now)
        change = deliver(order, deps.settings.main_station, now, **credits)
        outcome, updated = deps.store.orders.apply(change, now)
        if outcome is Applied.DONE:
            log.info("order delivered", extra={"order_id": order_id, "quantity": order.quantity})
            # Only the worker whose transition applied sends: a repeated release sends nothing.
            send_delivery_mail(updated, deps)
            count_after(updated, Counted.DELIVERED, deps)
            return updated
    return deps.store.orders.order(order_id)


def is_final(order: Order) -> bool:
    return order.status in (OrderStatus.DELIVERED, OrderStatus.REFUNDED, OrderStatus.NEEDS_ATTENTION)
