"""The sweeper: lapsed reservations go back to stock, stalled releases and refunds are retried.

It never trusts a TTL to have deleted anything: it reads each due order and
applies the change under the same conditions as every other writer.
"""
from __future__ import annotations

import logging
from collections import Counter

from kameng.deps import Deps
from kameng.domain.order import Applied, OrderStatus, lapse
from kameng.domain.refund import wants_automatic_refund
from kameng.services.refunds import refund_undeliverable
from kameng.services.release import release

log = logging.getLogger(__name__)


def sweep(deps: Deps, limit: int = 200) -> Counter:
    now = deps.clock()
    done: Counter = Counter()
    for order in deps.store.orders.due_orders(now, limit):
        if order.status is OrderStatus.PENDING and order.expires_at <= now:
            outcome, _ = deps.store.orders.apply(lapse(order), now)
            if outcome is Applied.DONE:
                done["expired"] += 1
                if order.payment_session:
                    try:
                        deps.gateway.expire_session(order.payment_session)
                    except Exception:
                        # A late payment still lands safely (needs attention or a fresh reservation).
                        log.exception("could not expire the payment session", extra={"order_id": order.id})
        elif order.status is OrderStatus.PAID:
            delivered = release(order.id, deps)
            if delivered is not None and delivered.status is OrderStatus.DELIVERED:
                done["delivered"] += 1
        elif wants_automatic_refund(order):
            refunded = refund_undeliverable(order.id, deps)
            if refunded is not None and refunded.status is OrderStatus.REFUNDED:
                done["refunded"] += 1
    return done
