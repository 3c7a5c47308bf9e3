"""Refunds through the gateway: automatic for money that cannot be delivered, by the owner for a delivered order.

The gateway's refund is idempotent per (order, amount), and the order moves to
refunded only under the store's condition, so a retry, a second sweeper or a
second command never gives money back twice.
"""
from __future__ import annotations

import logging

from kameng.deps import Deps
from kameng.domain.errors import DomainError, GatewayUnavailable
from kameng.domain.order import Applied, Order, OrderStatus
from kameng.domain.refund import refund_delivered, refund_undelivered, wants_automatic_refund
from kameng.services.lookup import find_order

log = logging.getLogger(__name__)


class NotRefundable(DomainError):
    code = "not_refundable"


def refund_undeliverable(order_id: str, deps: Deps) -> Order | None:
    """Give back a payment whose order can never be delivered; on a gateway failure the sweeper retries."""
    order = deps.store.orders.order(order_id)
    if order is None or not wants_automatic_refund(order):
        return order
    try:
        # All of what was paid: for an amount mismatch that is not the order's total.
        refund_id = deps.gateway.refund(order.payment_ref, None, order.id)
    except Exception:
        log.exception("automatic refund failed; the sweeper will try again", extra={"order_id": order.id})
        return order
    outcome, updated = deps.store.orders.apply(
        refund_undelivered(order, refund_id, ledger_from=len(deps.store.orders.ledger(order.id))), deps.clock())
    if outcome is Applied.DONE:
        log.info("order refunded automatically", extra={"order_id": order.id, "refund_id": refund_id,
                                                         "reason": order.attention_reason})
        return updated
    return deps.store.orders.order(order_id)


def refund_order(order_id: str, reason: str | None, deps: Deps) -> tuple[Order, bool]:
    """The owner refunds a delivered order in full; returns the order and whether this call refunded it."""
    order = find_order(order_id, deps)
    reason = " ".join((reason or "").split()) or "owner refund"
    if order.status is OrderStatus.REFUNDED:
        return order, False
    if order.status is not OrderStatus.DELIVERED:
        hint = " (a payment that could not be delivered is refunded automatically)" \
            if order.status is OrderStatus.NEEDS_ATTENTION else ""
        raise NotRefundable(f"order {order.id} is {order.status.value}: only a delivered order can be refunded{hint}")
    if not order.payment_ref:
        raise NotRefundable(f"order {order.id} has no payment reference to refund")
    try:
        refund_id = deps.gateway.refund(order.payment_ref, order.total, order.id)
    except Exception as error:
        log.exception("refund failed at the gateway", extra={"order_id": order.id})
        raise GatewayUnavailable(
            f"the payment gateway did not take the refund of order {order.id} ({type(error).__name__}); "
            "nothing was changed, run the command again") from None
    outcome, updated = deps.store.orders.apply(
        refund_delivered(order, deps.store.orders.ledger(order.id), refund_id, reason), deps.clock())
    if outcome is Applied.DONE:
        log.info("order refunded by the owner", extra={"order_id": order.id, "refund_id": refund_id})
        return updated, True
    current = deps.store.orders.order(order.id)
    if current is not None and current.status is OrderStatus.REFUNDED:
        return current, False
    raise NotRefundable(f"order {order.id} changed while it was being refunded; run the command again")
