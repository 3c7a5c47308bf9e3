"""Release: a paid order's reserved keys become sold, exactly once."""
from __future__ import annotations

import logging

from kameng.deps import Deps
from kameng.domain.fulfilment import Delivery
from kameng.domain.order import Applied, Order, OrderChange, OrderStatus, deliver, hold_for_review
from kameng.domain.stats import Counted
from kameng.services import audit
from kameng.services.membership import delivery_credits
from kameng.services.notify import send_delivery_mail
from kameng.services.refunds import refund_short
from kameng.services.stats import count_after

log = logging.getLogger(__name__)


def release(order_id: str, deps: Deps) -> Order | None:
    """Deliver the order if it is paid; a repeat, or a race with another worker, is a no-op.
    (An order awaiting its goods goes to supply_routing.deliver_paid.)"""
    for _ in range(3):
        order = deps.store.orders.order(order_id)
        if order is None:
            return None
        if order.status is not OrderStatus.PAID:
            return order
        held = hold_for_review(order)
        if held is not None:
            # Held before anything is sold: an owner approves (delivered here again) or rejects (refunded).
            return _hold(order, held, deps)
        now = deps.clock()
        credits = delivery_credits(order, deps.store.price_books.price_book(order.station), deps, now)
        record: tuple[tuple[str, object], ...] = ()
        if order.delivery is Delivery.LOOP:
            credential = deps.store.inventory.shared_key(order.sku, None)
            if credential is None:
                log.error("a loop product has no credential in stock", extra={"order_id": order_id, "sku": order.sku})
                return order
            record = (("shared_key_id", credential.key_id),)
        delivered = after_delivery(order, deliver(order, deps.settings.main_station, now, **credits, record=record), deps)
        if delivered is not None:
            return delivered
    return deps.store.orders.order(order_id)


def _hold(order: Order, change: OrderChange, deps: Deps) -> Order | None:
    outcome, updated = deps.store.orders.apply(change, deps.clock())
    if outcome is not Applied.DONE:
        return deps.store.orders.order(order.id)
    log.warning("order held for review", extra={"order_id": order.id, "station": order.station, "rule": order.review})
    audit.record(deps, audit.SYSTEM, order.station, "order.risk_hold", order.id, {"status": order.status.value},
                 {"status": updated.status.value, "rule": order.review})
    return updated


def after_delivery(order: Order, change: OrderChange | None, deps: Deps) -> Order | None:
    """Apply a delivery; the worker whose change applied (only it) mails the shopper and counts the sale.
    None when another worker moved the order first."""
    if change is None:
        return None
    outcome, updated = deps.store.orders.apply(change, deps.clock())
    if outcome is not Applied.DONE:
        return None
    log.info("order delivered", extra={"order_id": order.id, "quantity": updated.units_held})
    send_delivery_mail(updated, deps)
    count_after(updated, Counted.DELIVERED, deps)
    if updated.short:
        return refund_short(updated.id, deps)
    return updated


def is_final(order: Order) -> bool:
    return order.status in (OrderStatus.DELIVERED, OrderStatus.REFUNDED, OrderStatus.NEEDS_ATTENTION)
