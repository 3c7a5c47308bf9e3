"""The pay step: the link checkout hands out, between the shop and the gateway's pay page.

Neither gateway says when a shopper opens its pay page, so the shop's own link
is where it learns that someone means to pay: checkout holds the keys only for
`unopened_hold`, and opening this link holds them for the whole reservation.
"""
from __future__ import annotations

from kameng.deps import Deps
from kameng.domain.errors import NotFound
from kameng.domain.order import Applied, Order, OrderStatus, hold_for_payment
from kameng.services.order_link import order_page, pay_proof_matches
from kameng.services.stations import published_book


def open_pay_page(order_id: str, proof: str | None, deps: Deps) -> str:
    """Where the holder of the pay link goes: the gateway's pay page while the order waits for payment,
    with its keys held for the rest of the reservation; else the order page, which says what became of it."""
    order = deps.store.orders.order(order_id) if order_id else None
    # One answer for "no such order" and "wrong link": ids must not be probeable.
    if order is None or not pay_proof_matches(order, proof, deps):
        raise NotFound("订单不存在")
    if _held(order, deps) and order.payment_url:
        return order.payment_url
    book = published_book(order.station, deps)
    return order_page(deps, order.station, book.domain, order.id)


def _held(order: Order, deps: Deps) -> bool:
    """Whether the order still holds its keys for the shopper, its reservation moved forward if it can be."""
    now = deps.clock()
    if order.status is not OrderStatus.PENDING or order.expires_at <= now:
        return False
    change = hold_for_payment(order, deps.settings.reservation_ttl, now)
    if change is None:
        return True
    outcome, _ = deps.store.orders.apply(change, now)
    # A conflict is a payment, a lapse or a failure that came first: the order page tells which.
    return outcome is not Applied.CONFLICT
