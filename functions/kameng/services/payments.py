"""Payment events from the gateway, applied once each, in any order."""
from __future__ import annotations

import logging
from enum import StrEnum

from kameng.deps import Deps
from kameng.domain.errors import SoldOut
from kameng.domain.order import Applied, KeyMove, Order, OrderStatus, PaymentEvent, PaymentKind, decide_payment, paid_too_late
from kameng.domain.fulfilment import Delivery
from kameng.services.notify import check_low_stock_of, send_awaiting_mail
from kameng.services.refunds import refund_event, refund_undeliverable
from kameng.services.release import release
from kameng.services.splits import send_split

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"


REFUND_KINDS = (PaymentKind.REFUND_UPDATED, PaymentKind.REFUND_FAILED)
# A refund event that lost a race to its twin (refund.updated and refund.failed tell one failure) changed nothing.
REFUND_OUTCOMES = {Applied.DONE: Outcome.APPLIED, Applied.DUPLICATE: Outcome.DUPLICATE}


def handle_event(event: PaymentEvent, deps: Deps) -> Outcome:
    if event.kind is PaymentKind.OTHER or not event.order_id:
        return Outcome.IGNORED
    if deps.store.orders.event_seen(event.id):
        return Outcome.DUPLICATE
    if event.kind in REFUND_KINDS:
        return REFUND_OUTCOMES.get(refund_event(event, deps), Outcome.IGNORED)
    for _ in range(3):
        order = deps.store.orders.order(event.order_id)
        if order is None:
            log.warning("payment event for an unknown order", extra={"event_id": event.id, "order_id": event.order_id})
            return Outcome.IGNORED
        change = decide_payment(order, event, deps.clock())
        if change is None:
            return Outcome.IGNORED
        try:
            outcome, updated = deps.store.orders.apply(change, deps.clock())
        except SoldOut:
            outcome, updated = deps.store.orders.apply(paid_too_late(order, event, deps.clock()), deps.clock())
        if outcome is Applied.DUPLICATE:
            return Outcome.DUPLICATE
        if outcome is Applied.DONE:
            _after_payment(updated, change.keys is KeyMove.RESERVE, deps)
            if updated.status in (OrderStatus.PAID, OrderStatus.AWAITING_DELIVERY):
                send_split(updated, deps)
            return Outcome.APPLIED
    raise RuntimeError(f"order {event.order_id} kept changing while event {event.id} was applied")


def _after_payment(updated: Order, reserved: bool, deps: Deps) -> None:
    """What a payment applied sets going: delivery from stock, the suppliers, the owner's hand, or a refund."""
    if updated.status is OrderStatus.NEEDS_ATTENTION:
        log.error("order needs attention", extra={"order_id": updated.id, "reason": updated.attention_reason})
        refund_undeliverable(updated.id, deps)
    elif updated.status is OrderStatus.PAID:
        if reserved:
            check_low_stock_of(updated, deps)
        release(updated.id, deps)
    elif updated.status is OrderStatus.AWAITING_DELIVERY and updated.delivery is Delivery.MANUAL:
        send_awaiting_mail(updated, deps)
    elif updated.status is OrderStatus.AWAITING_DELIVERY:
        # Loaded for the orders that need it: most payments are of keys in stock, and the webhook starts cold.
        from kameng.services.supply_routing import fulfil

        fulfil(updated.id, deps)
