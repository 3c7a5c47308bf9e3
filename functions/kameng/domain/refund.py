"""Refunds: which orders are given their money back, and the ledger entries that say so.

Every order's entries still sum to zero after a refund, and per account a
refunded sale nets to zero: the reversal negates each sale entry exactly.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Iterable, Sequence

from kameng.domain.key_refund import sale_entries
from kameng.domain.member import MemberDelta, earnings_for
from kameng.domain.order import (
    AMOUNT_MISMATCH, NOT_SUPPLIED, PAID_TOO_LATE, RISK_REJECTED, KeyMove, LedgerEntry, Order, OrderChange, OrderStatus,
    PaymentEvent, shopper_account,
)

S = OrderStatus
# Money was taken for an order that can never be delivered: it goes back without waiting for a person.
REFUNDED_AUTOMATICALLY = (PAID_TOO_LATE, AMOUNT_MISMATCH, NOT_SUPPLIED, RISK_REJECTED)
# Where an undelivered payment sits between arriving and going back, and a refund the gateway could not make.
HELD_ACCOUNT = "gateway:undelivered"
REFUND_FAILED = "refund_failed"
# A refund can fail for good (a closed card or wallet): the sweeper asks again a few times, then leaves
# it to the owner (`kameng refund`), who may have to pay the shopper back another way.
AUTOMATIC_REFUND_FAILURES = 3
REFUND_FAILED_RETRY_AFTER = timedelta(hours=1)


def _has_cause(order: Order, cause: str) -> bool:
    reason = order.attention_reason or ""
    return reason == cause or reason.startswith(f"{cause}:")


def refund_has_failed(order: Order) -> bool:
    return order.status is S.NEEDS_ATTENTION and order.refund_id is None and _has_cause(order, REFUND_FAILED)


def wants_automatic_refund(order: Order) -> bool:
    if order.status is not S.NEEDS_ATTENTION or order.payment_ref is None or order.refund_id is not None:
        return False
    if refund_has_failed(order):
        return order.refund_failures < AUTOMATIC_REFUND_FAILURES
    return any(_has_cause(order, cause) for cause in REFUNDED_AUTOMATICALLY)


def paid_amount(order: Order) -> tuple[int, str]:
    if order.paid_amount is not None:
        return order.paid_amount, order.paid_currency or order.currency
    return order.total, order.currency


def refund_undelivered(order: Order, refund_id: str, ledger_from: int = 0) -> OrderChange:
    """Nothing was sold, so no sale entries exist: record the payment held and given back."""
    amount, currency = paid_amount(order)
    shopper = shopper_account(order)
    entries = (
        LedgerEntry(order.id, shopper, -amount, currency, "paid, not delivered"),
        LedgerEntry(order.id, HELD_ACCOUNT, amount, currency, "paid, not delivered"),
        LedgerEntry(order.id, HELD_ACCOUNT, -amount, currency, "refund"),
        LedgerEntry(order.id, shopper, amount, currency, "refund"),
    )
    return OrderChange(
        order.id, S.NEEDS_ATTENTION, S.REFUNDED, ledger=entries, ledger_from=ledger_from,
        record=(("refund_id", refund_id), ("refund_reason", order.attention_reason)),
    )


def reversal_of(order_id: str, sale: Iterable[LedgerEntry]) -> tuple[LedgerEntry, ...]:
    return tuple(LedgerEntry(order_id, e.account, -e.amount, e.currency, f"refund: {e.memo}") for e in sale)


def refund_delivered(order: Order, sale: Sequence[LedgerEntry], refund_id: str, reason: str) -> OrderChange:
    """The keys stay sold (the shopper has seen them) and are flagged; the sale's entries are negated.

    What delivery credited goes back too: the spend (level progress), the points
    and the referrers' commissions. The first-order reward coupon stays given.
    """
    credited = MemberDelta(order.station, order.shopper_key, spend=order.total, points=order.points)
    earnings = earnings_for(order.station, order.id, order.commissions, order.updated_at, 0)
    return OrderChange(
        order.id, S.DELIVERED, S.REFUNDED, keys=KeyMove.FLAG_REFUNDED if order.key_ids else KeyMove.NONE,
        ledger=reversal_of(order.id, sale_entries(sale)), ledger_from=len(sale),
        record=(("refund_id", refund_id), ("refund_reason", reason)),
        member=credited.negated() if order.credited else None,
        earnings=tuple(replace(e, reversed=True) for e in earnings) if order.credited else (),
    )


def refund_failed(order: Order, event: PaymentEvent, now: datetime, ledger_from: int) -> OrderChange | None:
    """The gateway could not give the money back: the order needs attention again and its ledger holds the money.

    Only the refund the order holds counts: a late failure of an earlier refund, after a retry
    succeeded, changes nothing; and once moved, the order no longer holds that refund, so the
    same failure told twice (refund.updated and refund.failed) moves it once.
    """
    if order.status is not S.REFUNDED or event.refund_id is None or event.refund_id != order.refund_id:
        return None
    amount, currency = paid_amount(order)
    failures = order.refund_failures + 1
    return OrderChange(
        order.id, S.REFUNDED, S.NEEDS_ATTENTION, event_id=event.id,
        reason=f"{REFUND_FAILED}: refund {order.refund_id} of {amount} {currency} failed "
               f"({event.refund_failure or event.refund_status or 'no reason given'})",
        ledger=(LedgerEntry(order.id, shopper_account(order), -amount, currency, "refund failed"),
                LedgerEntry(order.id, HELD_ACCOUNT, amount, currency, "refund failed")),
        ledger_from=ledger_from,
        record=(("refund_id", None), ("refund_failures", failures)),
        due_at=now + REFUND_FAILED_RETRY_AFTER if failures < AUTOMATIC_REFUND_FAILURES else None,
    )


def refund_again(order: Order, refund_id: str, ledger_from: int) -> OrderChange:
    """A new refund of money held since the last one failed; what the first refund reversed stays reversed."""
    amount, currency = paid_amount(order)
    return OrderChange(
        order.id, S.NEEDS_ATTENTION, S.REFUNDED, ledger_from=ledger_from,
        ledger=(LedgerEntry(order.id, HELD_ACCOUNT, -amount, currency, "refund"),
                LedgerEntry(order.id, shopper_account(order), amount, currency, "refund")),
        record=(("refund_id", refund_id),),
    )
