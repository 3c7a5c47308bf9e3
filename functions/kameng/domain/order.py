"""Orders, their state machine, and the decisions taken on payment events.

The domain decides a change; the store applies it only if the order is still
in the state that was read, so two racing workers cannot both win.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from kameng.domain.quota import Quota

class OrderStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    DELIVERED = "delivered"
    EXPIRED = "expired"
    FAILED = "failed"
    NEEDS_ATTENTION = "needs_attention"
    REFUNDED = "refunded"


S = OrderStatus
NEXT: dict[OrderStatus, set[OrderStatus]] = {
    S.PENDING: {S.PAID, S.EXPIRED, S.FAILED, S.NEEDS_ATTENTION},
    S.PAID: {S.DELIVERED, S.NEEDS_ATTENTION},
    # a payment can land after its reservation lapsed: sell again if stock allows
    S.EXPIRED: {S.PAID, S.NEEDS_ATTENTION},
    S.FAILED: {S.PAID, S.NEEDS_ATTENTION},
    S.NEEDS_ATTENTION: {S.DELIVERED, S.REFUNDED},
    S.DELIVERED: {S.REFUNDED},
    S.REFUNDED: set(),
}


class KeyMove(StrEnum):
    NONE = "none"
    RESERVE = "reserve"  # available → reserved for this order
    RETURN = "return"  # reserved → available
    SELL = "sell"  # reserved → sold
    # Sold keys of a refunded order stay sold (the shopper has seen them) and are flagged.
    FLAG_REFUNDED = "flag_refunded"


class Order(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    station: str
    sku: str
    title: str
    quantity: int
    unit_price: int
    unit_wholesale: int
    total: int
    currency: str
    email: str
    shopper_key: str  # keyed hash of the e-mail: the lookup index, not the address
    password_hash: str
    token_hash: str
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    expires_at: datetime  # the reservation lapses then
    due_at: datetime | None  # when the sweeper should look at it again
    key_ids: tuple[str, ...] = ()
    payment_session: str | None = None
    payment_ref: str | None = None
    attention_reason: str | None = None
    # What the gateway said was paid, when it is not simply the total (an amount mismatch).
    paid_amount: int | None = None
    paid_currency: str | None = None
    refund_id: str | None = None
    refund_reason: str | None = None
    # The order token sealed with the cipher (base64), so a delivery mail can carry the order link;
    # the token itself is never stored in plain.
    token_sealed: str | None = None
    # The flash sale this order was priced at (its id in the store), if any, and the counters it
    # holds its quantity in: taken with its keys, given back when its keys are returned.
    flash_sale: str | None = None
    quotas: tuple[Quota, ...] = ()

    @property
    def wholesale_total(self) -> int:
        return self.unit_wholesale * self.quantity


@dataclass(frozen=True)
class LedgerEntry:
    order_id: str
    account: str
    amount: int  # minor units; an order's entries sum to zero
    currency: str
    memo: str


@dataclass(frozen=True)
class OrderChange:
    order_id: str
    from_status: OrderStatus
    to_status: OrderStatus
    keys: KeyMove = KeyMove.NONE
    event_id: str | None = None
    payment_ref: str | None = None
    reason: str | None = None
    ledger: tuple[LedgerEntry, ...] = ()
    reservation_expires_at: datetime | None = None
    due_at: datetime | None = None
    # Order fields this change sets, as (name, value) pairs: a refund id, the amount paid.
    record: tuple[tuple[str, object], ...] = ()
    # The sequence number of the first ledger entry: a refund adds to the sale's entries.
    ledger_from: int = 0

    def __post_init__(self) -> None:
        if self.to_status not in NEXT[self.from_status]:
            raise ValueError(f"no transition {self.from_status} → {self.to_status}")

    def order_fields(self, now: datetime) -> dict:
        """The order's fields this change sets, before any key move adds its own."""
        fields: dict = {"status": self.to_status, "updated_at": now, "due_at": self.due_at}
        if self.payment_ref:
            fields["payment_ref"] = self.payment_ref
        if self.reason:
            fields["attention_reason"] = self.reason
        return fields | dict(self.record)


class Applied(StrEnum):
    DONE = "done"
    DUPLICATE = "duplicate"  # this event id was already processed
    CONFLICT = "conflict"  # the order moved since it was read


class PaymentKind(StrEnum):
    COMPLETED = "completed"
    ASYNC_SUCCEEDED = "async_succeeded"
    ASYNC_FAILED = "async_failed"
    EXPIRED = "expired"
    OTHER = "other"


@dataclass(frozen=True)
class PaymentEvent:
    id: str
    kind: PaymentKind
    order_id: str | None
    session_id: str | None
    paid: bool  # the session's payment_status is "paid"
    amount: int | None
    currency: str | None
    payment_ref: str | None


# Paid orders that are not delivered this long after payment are retried by the sweeper.
RELEASE_RETRY_AFTER = timedelta(minutes=1)
# A payment that cannot be delivered is refunded at once; if the gateway fails, the sweeper tries again then.
REFUND_RETRY_AFTER = timedelta(minutes=1)
PAID_TOO_LATE = "paid_after_reservation_lapsed_and_stock_is_gone"
AMOUNT_MISMATCH = "amount_mismatch"


def decide_payment(order: Order, event: PaymentEvent, now: datetime) -> OrderChange | None:
    """The change a payment event asks for, or None when it changes nothing.

    Every branch is idempotent: a repeat of an event already applied, or an
    event that arrives after a later one, finds the order past the state it
    acts on and asks for nothing.
    """
    status = order.status
    succeeded = (event.kind is PaymentKind.COMPLETED and event.paid) or event.kind is PaymentKind.ASYNC_SUCCEEDED
    if succeeded:
        if status not in (S.PENDING, S.EXPIRED, S.FAILED):
            return None
        if event.amount != order.total or (event.currency or "").upper() != order.currency:
            return OrderChange(
                order.id, status, S.NEEDS_ATTENTION,
                keys=KeyMove.RETURN if status is S.PENDING else KeyMove.NONE,
                event_id=event.id, payment_ref=event.payment_ref,
                reason=f"{AMOUNT_MISMATCH}: paid {event.amount} {event.currency}, order total {order.total} {order.currency}",
                record=(("paid_amount", event.amount), ("paid_currency", (event.currency or "").upper() or None)),
                due_at=now + REFUND_RETRY_AFTER if event.payment_ref else None,
            )
        return OrderChange(
            order.id, status, S.PAID,
            keys=KeyMove.NONE if status is S.PENDING else KeyMove.RESERVE,
            event_id=event.id, payment_ref=event.payment_ref,
            due_at=now + RELEASE_RETRY_AFTER,
        )
    if status is not S.PENDING:
        return None
    if event.kind is PaymentKind.ASYNC_FAILED:
        return OrderChange(order.id, S.PENDING, S.FAILED, keys=KeyMove.RETURN, event_id=event.id)
    if event.kind is PaymentKind.EXPIRED:
        return OrderChange(order.id, S.PENDING, S.EXPIRED, keys=KeyMove.RETURN, event_id=event.id)
    return None


def paid_too_late(order: Order, event: PaymentEvent, now: datetime | None = None) -> OrderChange:
    """A payment arrived for keys that are gone: keep the money visible, never lose it, and give it back."""
    return OrderChange(
        order.id, order.status, S.NEEDS_ATTENTION, event_id=event.id, payment_ref=event.payment_ref,
        reason=PAID_TOO_LATE,
        record=(("paid_amount", event.amount), ("paid_currency", (event.currency or "").upper() or None)),
        due_at=now + REFUND_RETRY_AFTER if now is not None and event.payment_ref else None,
    )


def lapse(order: Order) -> OrderChange:
    return OrderChange(order.id, S.PENDING, S.EXPIRED, keys=KeyMove.RETURN)


def ledger_for(order: Order, main_station: str) -> tuple[LedgerEntry, ...]:
    """Shopper pays the total; main station earns wholesale; the substation keeps the margin."""
    entries = [LedgerEntry(order.id, f"shopper:{order.shopper_key[:16]}", -order.total, order.currency, "paid")]
    if order.station == main_station:
        entries.append(LedgerEntry(order.id, f"station:{main_station}", order.total, order.currency, "sale"))
    else:
        entries.append(LedgerEntry(order.id, f"station:{main_station}", order.wholesale_total, order.currency, "wholesale"))
        entries.append(LedgerEntry(order.id, f"station:{order.station}", order.total - order.wholesale_total, order.currency, "margin"))
    return tuple(entries)


def deliver(order: Order, main_station: str) -> OrderChange | None:
    if order.status is not S.PAID:
        return None
    return OrderChange(order.id, S.PAID, S.DELIVERED, keys=KeyMove.SELL, ledger=ledger_for(order, main_station))
