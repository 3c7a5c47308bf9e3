"""What a supplier's answer does, whether it came back from a call, a callback or the sweeper's question.

An attempt records how much of its delivery was applied (`quantity_applied`), and moves only from what
was read, so an answer applied twice adds nothing. Card keys go into stock first, as a batch of their
supplier at the price charged (fingerprints make that idempotent), and the order takes them from there;
keys that arrive for an order that no longer waits for them simply stay in stock.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from typing import Sequence

from kameng.deps import Deps
from kameng.domain.card_key import CardKey
from kameng.domain.errors import SoldOut
from kameng.domain.fulfilment import Kind
from kameng.domain.order import (
    Applied, Order, OrderStatus, deliver, not_supplied, supplied_keys,
)
from kameng.domain.supply import SuppliedKey, SupplyAttempt, SupplyResult
from kameng.services.import_keys import BatchSource, import_card_keys
from kameng.services.refunds import refund_undeliverable
from kameng.services.release import after_delivery, release

log = logging.getLogger(__name__)
S = OrderStatus


def settle_attempt(attempt: SupplyAttempt, status: str, note: str, deps: Deps, **fields: object) -> SupplyAttempt:
    """Write the attempt's new state if nobody moved it since it was read; the stored one otherwise."""
    settled = replace(attempt, status=status, note=note[:300], updated_at=deps.clock(), **fields)  # type: ignore[arg-type]
    if deps.store.supply_attempts.update_attempt(settled, attempt):
        return settled
    return deps.store.supply_attempts.attempt(attempt.request_id) or attempt


def apply_result(order: Order, attempt: SupplyAttempt, result: SupplyResult, deps: Deps) -> Order | None:
    """Apply the answer: the order as it now stands once this attempt delivered it or still works on it,
    None when the attempt failed and the next supplier should be tried."""
    if result.status == "failed" and attempt.status == "delivered":
        # A late or out-of-order failure never undoes what was delivered (nor sends the order elsewhere).
        log.warning("supplier told of a failure after a delivery: ignored", extra={
            "order_id": order.id, "request_id": attempt.request_id, "supplier": attempt.supplier})
        return deps.store.orders.order(order.id) or order
    if result.status == "failed":
        settle_attempt(attempt, "failed", result.message or "the supplier could not deliver", deps)
        return None
    wrong = _wrong_answer(attempt, result)
    if wrong:
        # Never applied: what it claims is not what was asked for. The owner settles it with the supplier.
        log.error("supplier answer refused", extra={"order_id": order.id, "request_id": attempt.request_id,
                                                    "supplier": attempt.supplier, "reason": wrong})
        if _kind(order, deps) is Kind.DIRECT:
            # It may have topped the account up all the same: no other supplier is asked; the order waits on
            # this one (its answers refused each time) until the deadline refunds it.
            settle_attempt(attempt, "unavailable", f"answer refused: {wrong}", deps)
            return deps.store.orders.order(order.id) or order
        settle_attempt(attempt, "failed", f"answer refused: {wrong}", deps)
        return None
    fresh = result.quantity_delivered - attempt.quantity_applied
    kind = _kind(order, deps)
    if fresh > 0 and kind is Kind.CARD_KEY:
        _stock_keys(order, attempt, result.keys[attempt.quantity_applied:], result.unit_cost, deps)
    status = "delivered" if result.status == "delivered" else "pending"
    if fresh <= 0 and status == attempt.status:
        return deps.store.orders.order(order.id)  # told before: nothing new
    settled = replace(attempt, status=status, note=result.message[:300], updated_at=deps.clock(),
                      quantity_delivered=result.quantity_delivered,
                      quantity_applied=max(attempt.quantity_applied, result.quantity_delivered),
                      unit_cost=result.unit_cost, supplier_ref=result.supplier_ref, receipt=result.receipt)
    current = deps.store.orders.order(order.id) or order
    if not deps.store.supply_attempts.update_attempt(settled, attempt):
        return current  # a racing callback or sweeper applied this answer (or a newer one): it goes on from there
    attempt = settled
    if current.status is not S.AWAITING_DELIVERY or current.delivery.value != "supplier":
        if kind is not Kind.CARD_KEY and fresh > 0:
            log.error("a top-up was delivered for an order that no longer waits for it: settle it with the supplier",
                      extra={"order_id": order.id, "request_id": attempt.request_id, "supplier": attempt.supplier})
        return current
    if status != "delivered":
        return current  # the callback, or the sweeper's question, brings the rest
    return finish(current, attempt, deps)


def finish(order: Order, attempt: SupplyAttempt, deps: Deps) -> Order | None:
    """The attempt delivered: a top-up's order is delivered now; a card-key order takes its keys from stock.
    A supplier that calls fewer units than asked for delivered gives the order what came and the rest back."""
    if attempt.quantity_delivered < order.quantity:
        return give_up(order, "the supplier delivered part of the order", deps)
    charges = order.supply_charges + ((attempt.supplier, attempt.unit_cost * attempt.quantity_delivered),)
    return _deliver(order, charges, (attempt,), 0, deps)


def give_up(order: Order, why: str, deps: Deps) -> Order | None:
    """Nothing more will come in time: deliver what arrived and refund the rest, or refund it all."""
    attempts = [a for a in deps.store.supply_attempts.attempts_of(order.id) if a.quantity_applied]
    arrived = min(order.quantity, sum(a.quantity_applied for a in attempts))
    if not arrived:
        return fail_order(order, why, deps)
    if arrived < order.quantity:
        log.warning("order supplied in part: delivering what arrived, refunding the rest",
                    extra={"order_id": order.id, "arrived": arrived, "quantity": order.quantity, "reason": why})
    charges = tuple((a.supplier, a.unit_cost * a.quantity_applied) for a in attempts)
    return _deliver(order, charges, tuple(attempts), order.quantity - arrived, deps, last=True)


def _deliver(order: Order, charges: tuple[tuple[str, int], ...], attempts: tuple[SupplyAttempt, ...], short: int,
             deps: Deps, last: bool = False) -> Order | None:
    """Deliver what arrived; `last`: nothing more will be bought, so keys sold to another buyer first refund it."""
    now = deps.clock()
    if _kind(order, deps) is not Kind.CARD_KEY:
        receipt = "; ".join(a.receipt or f"{a.supplier} {a.supplier_ref}".strip() for a in attempts)
        record = (("receipt", receipt), ("supply_charges", charges), ("short", short))
        change = deliver(order.model_copy(update=dict(record)), deps.settings.main_station, now, record=record)
        # Another worker delivering it first is no failure of this supplier's: never ask the next one then.
        delivered = after_delivery(order, change, deps) if change is not None else None
        return delivered or deps.store.orders.order(order.id) or order
    try:
        outcome, updated = deps.store.orders.apply(supplied_keys(order, charges, now, short), now)
    except SoldOut:
        if short or last:
            return fail_order(order, "the keys that arrived were sold first", deps)
        # A buyer from stock took the fresh keys first: the next try buys again.
        log.warning("supplied keys were sold to another order first", extra={"order_id": order.id})
        return order
    if outcome is not Applied.DONE:
        return deps.store.orders.order(order.id) or order
    return release(updated.id, deps) or updated


def fail_order(order: Order, why: str, deps: Deps) -> Order | None:
    """Nothing came: the order needs attention and its money goes back at once (the sweeper retries a refund)."""
    outcome, updated = deps.store.orders.apply(not_supplied(order, why, deps.clock()), deps.clock())
    if outcome is not Applied.DONE:
        return deps.store.orders.order(order.id)
    log.error("order not supplied; refunding", extra={"order_id": order.id, "reason": why})
    return refund_undeliverable(updated.id, deps)


def _wrong_answer(attempt: SupplyAttempt, result: SupplyResult) -> str:
    """Why an answer cannot be about this attempt; empty when it can."""
    if result.request_id != attempt.request_id:
        return f"an answer about request {result.request_id[:64]}"
    if result.quantity_delivered > attempt.quantity or len(result.keys) > attempt.quantity:
        return f"{result.quantity_delivered} delivered of {attempt.quantity} asked for"
    if result.unit_cost > attempt.max_unit_cost:
        return f"unit cost {result.unit_cost} above the {attempt.max_unit_cost} allowed"
    return ""


def _kind(order: Order, deps: Deps) -> Kind:
    book = deps.store.price_books.price_book(order.station)
    line = None if book is None else book.line(order.sku)
    return Kind.CARD_KEY if line is None else line.kind


def _stock_keys(order: Order, attempt: SupplyAttempt, keys: Sequence[SuppliedKey], unit_cost: int, deps: Deps) -> None:
    import_card_keys(order.sku, (CardKey(key.code, key.password) for key in keys), deps,
                     BatchSource(attempt.supplier, unit_cost, f"bought for order {order.id} ({attempt.request_id})"))


def lapse_promise(order: Order, deps: Deps) -> Order | None:
    """A manual order the owner did not deliver in the time its product promised is refunded."""
    if order.status is not S.AWAITING_DELIVERY or order.deliver_by is None or deps.clock() < order.deliver_by:
        return order
    return fail_order(order, "not delivered by hand in the time promised", deps)
