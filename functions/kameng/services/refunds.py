"""Refunds through the gateway: automatic for money that cannot be delivered, by the owner for a delivered order,
and again after the gateway reports that a refund failed.

The gateway's refund is idempotent per (order, amount, attempt), and the order moves to
refunded only under the store's condition, so a retry, a second sweeper or a
second command never gives money back twice.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import timedelta
from typing import Iterator

from kameng.deps import Deps
from kameng.ports.outside import TakeBack
from kameng.ports.store import RequestClaim
from kameng.domain.errors import Busy, GatewayUnavailable, NotRefundable
from kameng.domain.order import Applied, Order, OrderStatus, PaymentEvent, PaymentKind
from kameng.domain.split import share_taken_back
from kameng.domain.key_refund import (
    KeyRefund, UnitRefund, UnknownKeys, key_refund, refund_keys_change, rest_refund, sale_entries, short_refund,
)
from kameng.domain.stats import Counted
from kameng.domain.refund import (
    paid_amount, refund_again, refund_delivered, refund_failed, refund_has_failed, refund_undelivered,
    wants_automatic_refund,
)
from kameng.domain.wholesale import paying_reseller
from kameng.services import audit
from kameng.services.lookup import find_order
from kameng.services.stats import count_after, count_key_refund_after

log = logging.getLogger(__name__)


def pay_back(order: Order, amount: int | None, attempt: int, deps: Deps) -> str:
    """Give money back where it came from (all that was paid when `amount` is None): through the gateway, or
    to the prepaid balance of the reseller who bought it wholesale. Idempotent per (order, attempt); returns
    the refund's id."""
    reseller = paying_reseller(order.payment_ref)
    if reseller is None:
        return deps.rail(order.rail).refund(order.payment_ref, amount, order.id, attempt=attempt,
                                            take_back=split_taken_back(order, amount))
    reference = f"refund:{order.id}:{attempt}"
    deps.store.resellers.top_up(reseller, paid_amount(order)[0] if amount is None else amount, reference, deps.clock())
    return reference


def split_taken_back(order: Order, amount: int | None) -> TakeBack | None:
    """What a refund takes back from the station's account of the share it was sent (分账): the share in the
    proportion of what has been refunded once this refund is done, less what earlier refunds took, so that the
    refunds of an order together take back exactly the share (domain/split.share_taken_back)."""
    if not order.split_sent or not order.payout_account:
        return None
    refunded_after = order.total if amount is None else min(order.total, order.partly_refunded + amount)
    before, after = share_taken_back(order, order.partly_refunded), share_taken_back(order, refunded_after)
    return None if after <= before else TakeBack(order.payout_account, after - before, after)


# How long one refund may hold an order while it asks the gateway and records the answer; a process that died
# holding it lets the next refund of that order in after this.
REFUND_LEASE = timedelta(minutes=5)


@contextmanager
def one_refund_at_a_time(order_id: str, deps: Deps) -> Iterator[None]:
    """Hold the order's refund lease: two refunds decided from one reading of the order (the owner's and the
    automatic one of units never supplied, say) would each ask the gateway for money, together more than was
    paid. Busy for the second; it tries again, and decides from what the first recorded."""
    now = deps.clock()
    claim = RequestClaim(scope_key=f"refund-lease:{order_id}", request_hash="refund", claimed_at=now,
                         lease_ends=now + REFUND_LEASE, expires_at=now + REFUND_LEASE)
    if deps.store.idempotent_requests.begin(claim) is not None:
        raise Busy("这个订单正在退款，请稍后刷新再看")
    try:
        yield
    finally:
        deps.store.idempotent_requests.abandon(claim)


def refund_undeliverable(order_id: str, deps: Deps) -> Order | None:
    """Give back a payment whose order can never be delivered, or whose refund failed; on a gateway failure
    (or another refund of it under way) the sweeper retries."""
    try:
        with one_refund_at_a_time(order_id, deps):
            return _refund_undeliverable(order_id, deps)
    except Busy:
        return deps.store.orders.order(order_id)


def _refund_undeliverable(order_id: str, deps: Deps) -> Order | None:
    order = deps.store.orders.order(order_id)
    if order is None or not wants_automatic_refund(order):
        return order
    try:
        refund_id = _ask_for_refund(order, deps)
    except Exception:
        log.exception("automatic refund failed; the sweeper will try again", extra={"order_id": order.id})
        return order
    updated = _record_refund(order, refund_id, deps)
    if updated is not None:
        log.info("order refunded automatically", extra={"order_id": order.id, "refund_id": refund_id,
                                                         "reason": order.attention_reason})
        return updated
    return deps.store.orders.order(order_id)


def _ask_for_refund(order: Order, deps: Deps) -> str:
    # All of what was paid: for an amount mismatch that is not the order's total. After a failed
    # refund the gateway needs a new one, hence the attempt number in its idempotency key.
    return pay_back(order, None, order.refund_failures, deps)


def _record_refund(order: Order, refund_id: str, deps: Deps) -> Order | None:
    """The refunded order, or None when it changed since it was read."""
    ledger_from = len(deps.store.orders.ledger(order.id))
    change = refund_again(order, refund_id, ledger_from) if refund_has_failed(order) \
        else refund_undelivered(order, refund_id, ledger_from=ledger_from)
    outcome, updated = deps.store.orders.apply(change, deps.clock())
    return updated if outcome is Applied.DONE else None


def refund_event(event: PaymentEvent, deps: Deps) -> Applied | None:
    """A refund the gateway settled after it was asked for (Alipay, WeChat Pay). A failed one hands the money
    back to the sweeper and the owner, once; anything else is logged. None when nothing was to change."""
    order = deps.store.orders.order(event.order_id) if event.order_id else None
    if order is None:
        log.warning("refund event for an unknown order", extra={"event_id": event.id, "refund_id": event.refund_id})
        return None
    if event.kind is not PaymentKind.REFUND_FAILED:
        log.info("refund updated", extra={"order_id": order.id, "refund_id": event.refund_id,
                                          "refund_status": event.refund_status})
        return None
    change = refund_failed(order, event, deps.clock(), ledger_from=len(deps.store.orders.ledger(order.id)))
    if change is None and _refund_not_recorded_yet(order):
        # The gateway told of the refund before the order recorded it (or the process died between the
        # two): an answer of 503 has the gateway send the event again, once the refund is recorded.
        raise Busy("the refund this event is about is not recorded yet")
    if change is None:
        log.info("refund failure for a refund the order no longer holds",
                 extra={"order_id": order.id, "refund_id": event.refund_id, "order_refund_id": order.refund_id})
        return None
    outcome, updated = deps.store.orders.apply(change, deps.clock())
    if outcome is Applied.DONE:
        log.error("refund failed; order needs attention", extra={"order_id": order.id, "reason": updated.attention_reason})
    return outcome


def _refund_not_recorded_yet(order: Order) -> bool:
    """A refund is being asked for (the owner's of a delivered order, or the first automatic one of a
    held payment) and none is recorded: a failure told now is of that refund. After a failure the
    order has failed refunds counted, and a failure told again of the old one is not retried."""
    asking = order.status is OrderStatus.DELIVERED or (
        order.status is OrderStatus.NEEDS_ATTENTION and order.refund_failures == 0 and wants_automatic_refund(order))
    return asking and order.refund_id is None


def refund_order(order_id: str, reason: str | None, deps: Deps, actor: str = audit.SYSTEM) -> tuple[Order, bool]:
    """The owner refunds a delivered order in full (what is left of it), or asks again for a refund that failed;
    returns the order and whether this call refunded it."""
    with one_refund_at_a_time(find_order(order_id, deps).id, deps):
        return _refund_order(order_id, reason, deps, actor)


def _refund_order(order_id: str, reason: str | None, deps: Deps, actor: str) -> tuple[Order, bool]:
    before = find_order(order_id, deps)
    order, refunded = _refund(before, reason, deps)
    if refunded:
        audit.record(deps, actor, order.station, "order.refund", order.id, {"status": before.status.value},
                     {"status": order.status.value, "amount": order.total, "currency": order.currency,
                      "refund_id": order.refund_id})
    return order, refunded


def _refund(order: Order, reason: str | None, deps: Deps) -> tuple[Order, bool]:
    reason = " ".join((reason or "").split()) or "owner refund"
    if order.status is OrderStatus.REFUNDED:
        return order, False
    if refund_has_failed(order) and order.payment_ref:
        return _refund_again_for_owner(order, deps)
    if order.status is not OrderStatus.DELIVERED:
        hint = " (a payment that could not be delivered is refunded automatically)" \
            if order.status is OrderStatus.NEEDS_ATTENTION else ""
        raise NotRefundable(f"order {order.id} is {order.status.value}: only a delivered order can be refunded{hint}")
    if not order.payment_ref:
        raise NotRefundable(f"order {order.id} has no payment reference to refund")
    if order.partly_refunded:
        # Part of it went back already (keys, or units never supplied): only the rest goes back now.
        rest = [key for key in order.key_ids if key not in order.refunded_key_ids]
        refund = key_refund(order, rest) if rest else rest_refund(order)
        return _refund_part(order, refund, reason, deps, None), True
    try:
        refund_id = pay_back(order, order.total, 0, deps)
    except Exception as error:
        raise _gateway_refused(order, error) from None
    outcome, updated = deps.store.orders.apply(
        refund_delivered(order, deps.store.orders.ledger(order.id), refund_id, reason), deps.clock())
    if outcome is Applied.DONE:
        log.info("order refunded by the owner", extra={"order_id": order.id, "refund_id": refund_id})
        count_after(updated, Counted.REFUNDED, deps)
        return updated, True
    return _already_refunded(order, deps)


def _refund_again_for_owner(order: Order, deps: Deps) -> tuple[Order, bool]:
    try:
        refund_id = _ask_for_refund(order, deps)
    except Exception as error:
        raise _gateway_refused(order, error) from None
    updated = _record_refund(order, refund_id, deps)
    if updated is not None:
        log.info("failed refund asked for again by the owner", extra={"order_id": order.id, "refund_id": refund_id})
        return updated, True
    return _already_refunded(order, deps)


def _gateway_refused(order: Order, error: Exception) -> GatewayUnavailable:
    log.exception("refund failed at the gateway", extra={"order_id": order.id})
    return GatewayUnavailable(
        f"the payment gateway did not take the refund of order {order.id} ({type(error).__name__}); "
        "nothing was changed, run the command again")


def _already_refunded(order: Order, deps: Deps) -> tuple[Order, bool]:
    current = deps.store.orders.order(order.id)
    if current is not None and current.status is OrderStatus.REFUNDED:
        return current, False
    raise NotRefundable(f"order {order.id} changed while it was being refunded; run the command again")


def refund_keys(order_id: str, key_ids: list[str], reason: str | None, deps: Deps, actor: str = audit.SYSTEM) -> Order:
    """Refund some keys of a delivered order: their exact share of what was paid goes back, and the refund
    of the last keys refunds the order. Keys refunded already are skipped, so a repeat refunds nothing."""
    with one_refund_at_a_time(find_order(order_id, deps).id, deps):
        return _refund_keys(order_id, key_ids, reason, deps, actor)


def _refund_keys(order_id: str, key_ids: list[str], reason: str | None, deps: Deps, actor: str) -> Order:
    before = find_order(order_id, deps)
    if not key_ids:
        raise NotRefundable("choose at least one key to refund")
    try:
        refund = key_refund(before, key_ids)
    except UnknownKeys as unknown:
        raise NotRefundable(f"order {before.id} holds no key {unknown}") from None
    if before.status is OrderStatus.REFUNDED or not refund.key_ids:
        return before
    if refund.completes and not before.partly_refunded:
        return _refund_order(before.id, reason, deps, actor)[0]
    if before.status is not OrderStatus.DELIVERED or not before.payment_ref:
        raise NotRefundable(f"order {before.id} is {before.status.value}: only a delivered order's keys are refunded")
    return _refund_part(before, refund, reason, deps, actor)


def refund_short(order_id: str, deps: Deps) -> Order | None:
    """Give back the share of the units a delivered order's suppliers never delivered, once; on a gateway
    failure the sweeper asks again."""
    try:
        with one_refund_at_a_time(order_id, deps):
            order = deps.store.orders.order(order_id)
            if order is None or order.status is not OrderStatus.DELIVERED or not order.short or order.short_refunded:
                return order
            return _refund_part(order, short_refund(order), "not supplied", deps, audit.SYSTEM)
    except (GatewayUnavailable, NotRefundable, Busy):
        log.exception("refund of the units not supplied failed; the sweeper will try again", extra={"order_id": order_id})
        return deps.store.orders.order(order_id)


def _refund_part(before: Order, refund: KeyRefund | UnitRefund, reason: str | None, deps: Deps,
                 actor: str | None) -> Order:
    try:
        refund_id = pay_back(before, refund.amount, refund.attempt, deps)
    except Exception as error:
        raise _gateway_refused(before, error) from None
    ledger = deps.store.orders.ledger(before.id)
    reason = " ".join((reason or "").split()) or "owner refund"
    change = refund_keys_change(refund, sale_entries(ledger), len(ledger), refund_id, reason)
    outcome, updated = deps.store.orders.apply(change, deps.clock())
    if outcome is not Applied.DONE:
        current = find_order(before.id, deps)
        if current.status is OrderStatus.REFUNDED or (refund.key_ids and set(refund.key_ids) <= set(current.refunded_key_ids)) \
                or (not refund.key_ids and current.short_refunded):
            return current
        raise NotRefundable(f"order {before.id} changed while its keys were being refunded; try again")
    if updated.status is OrderStatus.REFUNDED:
        count_after(updated, Counted.REFUNDED, deps)  # the rest of the order, after the keys counted before
    else:
        count_key_refund_after(refund, deps)
    if actor is None:
        return updated  # the caller records what it did
    audit.record(deps, actor, updated.station, "order.refund_keys" if refund.key_ids else "order.refund_units", updated.id,
                 {"status": before.status.value, "refunded_keys": list(before.refunded_key_ids)},
                 {"status": updated.status.value, "key_ids": list(refund.key_ids), "amount": refund.amount,
                  "currency": updated.currency, "refund_id": refund_id})
    return updated
