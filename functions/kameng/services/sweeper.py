"""The sweeper: lapsed reservations go back to stock, stalled releases and refunds are retried.

It never trusts a TTL to have deleted anything: it reads each due order and
applies the change under the same conditions as every other writer. Nor does it
trust a webhook to have arrived: before an order with a payment session lapses,
the gateway is asked whether that session was paid.
"""
from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from kameng.deps import Deps
from kameng.domain.fulfilment import Delivery
from kameng.domain.order import Applied, Order, OrderStatus, lapse
from kameng.domain.refund import wants_automatic_refund
from kameng.services.payments import Outcome, handle_event
from kameng.services.refunds import refund_short, refund_undeliverable
from kameng.services.supply_routing import deliver_paid
from kameng.services.supply_outcome import lapse_promise
from kameng.services.supply_reconcile import reconcile_attempts

log = logging.getLogger(__name__)

# What a payment found at the gateway became, as the sweeper counts it.
SETTLED = {OrderStatus.DELIVERED: "delivered", OrderStatus.REFUNDED: "refunded"}


def sweep(deps: Deps, limit: int = 200) -> Counter:
    now = deps.clock()
    done: Counter = Counter()
    for order in deps.store.orders.due_orders(now, limit):
        if order.status is OrderStatus.PENDING and order.expires_at <= now:
            if not (order.payment_session and _apply_missed_payment(order, deps, done)):
                _lapse(order, now, deps, done)
        elif order.status in (OrderStatus.PAID, OrderStatus.AWAITING_DELIVERY):
            # A manual order past its promise, or a supplier's order past its deadline, is refunded here.
            moved = lapse_promise(order, deps) if order.delivery is Delivery.MANUAL else deliver_paid(order.id, deps)
            if moved is not None and moved.status in SETTLED:
                done[SETTLED[moved.status]] += 1
        elif order.status is OrderStatus.DELIVERED and order.short and not order.short_refunded:
            # Units its suppliers never delivered, whose refund the gateway failed: asked for again.
            if (refund_short(order.id, deps) or order).short_refunded:
                done["short refunded"] += 1
        elif wants_automatic_refund(order):
            refunded = refund_undeliverable(order.id, deps)
            if refunded is not None and refunded.status is OrderStatus.REFUNDED:
                done["refunded"] += 1
    done.update(reconcile_attempts(deps, limit))
    return done


def _apply_missed_payment(order: Order, deps: Deps, done: Counter) -> bool:
    """Apply a payment the gateway took but whose webhook never came, as that webhook would have;
    True when the order is no longer to lapse."""
    try:
        payment = deps.rail(order.rail).session_payment(order.payment_session)
    except Exception:
        # A payment it could not tell about still lands by its webhook (Stripe retries for days).
        log.exception("could not ask the gateway about the payment session", extra={"order_id": order.id})
        return False
    if payment is None:
        return False
    if payment.order_id != order.id:
        log.error("payment session names another order", extra={"order_id": order.id, "named": payment.order_id})
        return False
    try:
        outcome = handle_event(payment, deps)
    except Exception:
        # Paid at the gateway: the keys stay reserved for it, and the next sweep tries again.
        log.exception("could not apply a payment found at the gateway", extra={"order_id": order.id})
        return True
    current = deps.store.orders.order(order.id)
    if current is None or current.status is OrderStatus.PENDING:
        return False
    if outcome is Outcome.APPLIED:
        log.warning("payment found at the gateway without its webhook", extra={"order_id": order.id,
                                                                            "status": current.status.value})
        done["recovered"] += 1
        if current.status in SETTLED:
            done[SETTLED[current.status]] += 1
    return True


def _lapse(order: Order, now: datetime, deps: Deps, done: Counter) -> None:
    outcome, _ = deps.store.orders.apply(lapse(order), now)
    if outcome is not Applied.DONE:
        return
    done["expired"] += 1
    if order.payment_session:
        try:
            deps.rail(order.rail).expire_session(order.payment_session)
        except Exception:
            # A late payment still lands safely (needs attention or a fresh reservation).
            log.exception("could not expire the payment session", extra={"order_id": order.id})
