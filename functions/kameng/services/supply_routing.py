"""Buying a paid order's goods from its SKU's suppliers, one attempt at a time, in the order content lists them.

Every attempt is kept in the store before it is sent, under a request id of its own, and every answer is
applied under a condition, so a process that dies at any line, a callback that comes twice and a sweeper
racing a callback all end with the order delivered once. A supplier that times out may still have taken the
order: it is asked once at once; if it still cannot say, the next supplier is tried and the first one's
late answer is reconciled (card keys kept as stock, a top-up reported to the owner).
"""
from __future__ import annotations

import logging
from kameng.deps import Deps
from kameng.domain.errors import InvalidRequest, SupplierRefused, SupplierUnavailable
from kameng.domain.fulfilment import Delivery, Kind, SupplyOffer, check_buyer_fields
from kameng.domain.order import Order, OrderStatus
from kameng.domain.price_book import PricedSku
from kameng.domain.supply import IN_FLIGHT, SupplyAttempt, SupplyRequest
from kameng.domain.supply_sync import SkuSync
from kameng.ports.store import Duplicate
from kameng.ports.supply import Supplier
from kameng.services.release import release
from kameng.services.supply_outcome import apply_result, fail_order, give_up, settle_attempt

log = logging.getLogger(__name__)
S = OrderStatus


def deliver_paid(order_id: str, deps: Deps) -> Order | None:
    """Deliver a paid order, or send one awaiting its goods to its suppliers."""
    order = deps.store.orders.order(order_id)
    if order is not None and order.status is S.AWAITING_DELIVERY:
        return fulfil(order_id, deps)
    return release(order_id, deps)


def fulfil(order_id: str, deps: Deps) -> Order | None:
    """Send an order awaiting its goods to the next supplier that may deliver them; a no-op for any other."""
    order = deps.store.orders.order(order_id)
    if order is None or order.status is not S.AWAITING_DELIVERY or order.delivery is not Delivery.SUPPLIER:
        return order
    line = _line(order, deps)
    attempts = deps.store.supply_attempts.attempts_of(order.id)
    waiting = _waiting_on(attempts, line)
    if waiting is not None:
        if waiting.status == "placed" and deps.clock() - waiting.started_at < IN_FLIGHT:
            return order  # another worker is sending it right now
        # Taken upstream and not finished (or its answer was lost): ask before buying anywhere else.
        order = _ask_again(order, waiting, deps) or order
        if order.status is not S.AWAITING_DELIVERY or not _past_deadline(order, deps):
            return order
    stop = _why_stop(order, attempts, line, deps)
    if stop:
        return give_up(order, stop, deps)
    if line is None or deps.suppliers is None:
        return fail_order(order, "no supplier is configured for this SKU", deps)
    try:
        fields = dict(check_buyer_fields(line.fields, dict(order.buyer_fields)))
    except InvalidRequest:
        return fail_order(order, "the buyer's account fields no longer match the product", deps)
    tried = {attempt.supplier for attempt in attempts}
    synced = deps.store.supply_sync.syncs([line.sku]).get(line.sku)
    for offer in line.supply:
        if offer.supplier in tried or not _worth_asking(synced, offer, order):
            continue
        breaker = deps.suppliers.breaker(offer.supplier)
        if not breaker.allows(deps.clock()):
            log.info("supplier skipped: circuit open", extra={"order_id": order.id, "supplier": offer.supplier})
            continue
        attempt, settled = _try(order, offer.supplier, offer.product, len(attempts) + 1, fields, deps)
        attempts.append(attempt)
        if settled is not None:
            return settled
    return give_up(order, "every supplier failed or refused", deps)


def _worth_asking(synced: SkuSync | None, offer: SupplyOffer, order: Order) -> bool:
    """Skip a supplier whose last sync showed the product gone, out of stock for the order, or costing more than
    the buyer paid a unit (it would refuse); one never synced is asked."""
    figures = None if synced is None else synced.offer(offer.supplier)
    if figures is None or figures.product != offer.product or figures.covers(order.quantity, most_per_unit(order)):
        return True
    log.info("supplier skipped: its synced cost or stock does not cover the order",
             extra={"order_id": order.id, "supplier": offer.supplier, "cost": figures.cost, "stock": figures.stock})
    return False


def _waiting_on(attempts: list[SupplyAttempt], line: PricedSku | None) -> SupplyAttempt | None:
    """The attempt no other supplier may be asked before it is settled: one taken upstream and not finished;
    for a top-up also one whose supplier never answered, since a second supplier could top the account up again
    (card keys that come late are simply kept as stock)."""
    direct = line is not None and line.kind is Kind.DIRECT
    return next((a for a in attempts if a.open and (a.status != "unavailable" or direct)), None)


def _why_stop(order: Order, attempts: list[SupplyAttempt], line: PricedSku | None, deps: Deps) -> str:
    """Why no other supplier may be asked now: the deadline passed, or a top-up's supplier already did some of
    it (a process that died after keeping the answer, a supplier that failed the rest): asking another would
    top the account up again. Empty when the next one may be asked."""
    if _past_deadline(order, deps):
        return "not supplied in the time allowed"
    if line is not None and line.kind is not Kind.CARD_KEY and any(a.quantity_applied for a in attempts):
        return "the supplier delivered part of the order"
    return ""


def _past_deadline(order: Order, deps: Deps) -> bool:
    return order.deliver_by is not None and deps.clock() >= order.deliver_by


def _line(order: Order, deps: Deps) -> PricedSku | None:
    book = deps.store.price_books.price_book(order.station)
    return None if book is None else book.line(order.sku)


def _try(order: Order, supplier_name: str, product: str, number: int, fields: dict[str, str],
         deps: Deps) -> tuple[SupplyAttempt, Order | None]:
    """One attempt at one supplier: (the attempt as it ended, the order when this attempt settled it)."""
    assert deps.suppliers is not None
    now = deps.clock()
    attempt = SupplyAttempt(
        request_id=f"{order.id}-{number}", order_id=order.id, supplier=supplier_name, product_code=product,
        quantity=order.quantity, max_unit_cost=most_per_unit(order), currency=order.currency, started_at=now,
    )
    try:
        deps.store.supply_attempts.start_attempt(attempt)
    except Duplicate:
        return attempt, order  # another worker routes this order now
    breaker = deps.suppliers.breaker(supplier_name)
    request = SupplyRequest(attempt.request_id, product, order.quantity, attempt.max_unit_cost, order.currency, fields)
    supplier: Supplier | None = None
    try:
        supplier = deps.suppliers.supplier(supplier_name)
        try:
            result = supplier.place(request)
        except SupplierUnavailable:
            breaker.failed(deps.clock())
            # It may have been taken before the answer was lost: one question tells.
            result = supplier.query(attempt.request_id)
    except SupplierUnavailable as error:
        if supplier is None:
            return settle_attempt(attempt, "failed", f"not configured: {error}", deps), None
        return _no_answer(order, supplier, attempt, str(error), deps)
    except SupplierRefused as error:
        log.info("supplier refused; trying the next", extra={"order_id": order.id, "supplier": supplier_name,
                                                             "reason": error.reason})
        return settle_attempt(attempt, "failed", f"{error.reason}: {error.message}", deps), None
    breaker.succeeded()
    return attempt, apply_result(order, attempt, result, deps)


def _no_answer(order: Order, supplier: Supplier, attempt: SupplyAttempt, why: str,
               deps: Deps) -> tuple[SupplyAttempt, Order | None]:
    """The supplier did not answer, nor say whether it took the order. Card keys are bought elsewhere at once
    (any that come late are kept as stock). A top-up is first cancelled there (撤单); one that cannot be
    cancelled holds the order until the supplier tells, or the deadline refunds it."""
    line = _line(order, deps)  # the outage was counted against its circuit when the order's call failed
    if line is not None and line.kind is Kind.DIRECT and not _cancelled(supplier, attempt):
        log.warning("supplier did not answer about a top-up: waiting for it", extra={
            "order_id": order.id, "supplier": attempt.supplier, "request_id": attempt.request_id})
        return settle_attempt(attempt, "unavailable", why, deps), order
    log.warning("supplier unavailable; trying the next", extra={
        "order_id": order.id, "supplier": attempt.supplier, "request_id": attempt.request_id})
    status = "failed" if line is not None and line.kind is Kind.DIRECT else "unavailable"
    return settle_attempt(attempt, status, f"cancelled after no answer: {why}" if status == "failed" else why, deps), None


def _cancelled(supplier: Supplier, attempt: SupplyAttempt) -> bool:
    try:
        return supplier.cancel(attempt.request_id)
    except (SupplierUnavailable, SupplierRefused):
        return False


def _ask_again(order: Order, attempt: SupplyAttempt, deps: Deps) -> Order | None:
    assert deps.suppliers is not None
    supplier: Supplier | None = None
    try:
        supplier = deps.suppliers.supplier(attempt.supplier)
        result = supplier.query(attempt.request_id)
    except SupplierUnavailable:
        if supplier is not None and attempt.status == "unavailable" and _cancelled(supplier, attempt):
            settle_attempt(attempt, "failed", "cancelled after no answer", deps)
            return fulfil(order.id, deps)
        return order
    except SupplierRefused as error:
        # It never took the order (the process died before sending it): the next supplier may.
        settle_attempt(attempt, "failed", f"{error.reason}: {error.message}", deps)
        return fulfil(order.id, deps)
    settled = apply_result(order, attempt, result, deps)
    return fulfil(order.id, deps) if settled is None else settled


def most_per_unit(order: Order) -> int:
    """The most a unit may cost upstream: what the buyer paid for it, so no order is sold below cost."""
    return order.total // order.quantity

