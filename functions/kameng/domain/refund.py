"""Refunds: which orders are given their money back, and the ledger entries that say so.

Every order's entries still sum to zero after a refund, and per account a
refunded sale nets to zero: the reversal negates each sale entry exactly.
"""
from __future__ import annotations

from typing import Iterable, Sequence

from dataclasses import replace

from kameng.domain.member import MemberDelta, earnings_for
from kameng.domain.order import (
    AMOUNT_MISMATCH, PAID_TOO_LATE, KeyMove, LedgerEntry, Order, OrderChange, OrderStatus, shopper_account,
)

S = OrderStatus
# Money was taken for an order that can never be delivered: it goes back without waiting for a person.
REFUNDED_AUTOMATICALLY = (PAID_TOO_LATE, AMOUNT_MISMATCH)
# Where an undelivered payment sits between arriving and going back.
HELD_ACCOUNT = "gateway:undelivered"


def wants_automatic_refund(order: Order) -> bool:
    reason = order.attention_reason or ""
    return (
        order.status is S.NEEDS_ATTENTION and order.payment_ref is not None and order.refund_id is None
        and any(reason == cause or reason.startswith(f"{cause}:") for cause in REFUNDED_AUTOMATICALLY)
    )


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
        order.id, S.DELIVERED, S.REFUNDED, keys=KeyMove.FLAG_REFUNDED,
        ledger=reversal_of(order.id, sale), ledger_from=len(sale),
        record=(("refund_id", refund_id), ("refund_reason", reason)),
        member=credited.negated() if order.credited else None,
        earnings=tuple(replace(e, reversed=True) for e in earnings) if order.credited else (),
    )
