"""Orders, their state machine, and the decisions taken on payment events.

The domain decides a change; the store applies it only if the order is still
in the state that was read, so two racing workers cannot both win.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from kameng.domain.fulfilment import AWAITED, Delivery
from kameng.domain.member import Commission, Earning, IssuedCoupon, MemberDelta, earnings_for
from kameng.domain.quota import Quota

class OrderStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    # Paid, and its goods are being bought from a supplier or wait for the owner's hand (待发货).
    AWAITING_DELIVERY = "awaiting_delivery"
    DELIVERED = "delivered"
    EXPIRED = "expired"
    FAILED = "failed"
    NEEDS_ATTENTION = "needs_attention"
    REFUNDED = "refunded"
    # Paid, and held by the station's risk rules (domain/risk.py) until an owner approves or rejects it.
    NEEDS_REVIEW = "needs_review"


S = OrderStatus
NEXT: dict[OrderStatus, set[OrderStatus]] = {
    S.PENDING: {S.PAID, S.AWAITING_DELIVERY, S.EXPIRED, S.FAILED, S.NEEDS_ATTENTION},
    S.PAID: {S.DELIVERED, S.NEEDS_ATTENTION, S.NEEDS_REVIEW},
    # Approved (→ paid, its reserved keys delivered as usual) or rejected (→ needs_attention, refunded).
    S.NEEDS_REVIEW: {S.PAID, S.NEEDS_ATTENTION},
    # Card keys bought for it are in stock (→ paid, reserving them), a top-up or the owner's delivery is
    # done (→ delivered), or nothing came in time (→ needs_attention, and refunded).
    S.AWAITING_DELIVERY: {S.PAID, S.DELIVERED, S.NEEDS_ATTENTION},
    # a payment can land after its reservation lapsed: sell again if stock allows
    S.EXPIRED: {S.PAID, S.AWAITING_DELIVERY, S.NEEDS_ATTENTION},
    S.FAILED: {S.PAID, S.AWAITING_DELIVERY, S.NEEDS_ATTENTION},
    # An owner delivers one by hand: it takes keys from stock again (domain/hand_delivery.py).
    S.NEEDS_ATTENTION: {S.PAID, S.DELIVERED, S.REFUNDED},
    S.DELIVERED: {S.REFUNDED},
    # Alipay and WeChat Pay refunds settle later and can fail: the money is back in a person's hands.
    S.REFUNDED: {S.NEEDS_ATTENTION},
}
# The one change that leaves an order in its status: a pending order's reservation moved forward when
# its pay page is opened (hold_for_payment). No status moves to itself in NEXT.
STAYS: frozenset[OrderStatus] = frozenset({S.PENDING})


class KeyMove(StrEnum):
    NONE = "none"
    # available → reserved for this order, with the order's quotas taken again after they went back
    # (an order that holds no stock takes only its quotas: see takes_stock)
    RESERVE = "reserve"
    RETURN = "return"  # reserved → available
    SELL = "sell"  # reserved → sold
    # Sold keys of a refunded order stay sold (the shopper has seen them) and are flagged.
    FLAG_REFUNDED = "flag_refunded"


class RefundPaid(BaseModel):
    """An owner's record that they transferred a refund by hand back to the buyer (a bank order's)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bank_ref: str  # their bank's reference of the outgoing transfer
    note: str | None
    by: str
    at: datetime
    # The order's refund by hand when it was recorded: a key refund after it is owed again, beyond this.
    amount: int = Field(ge=0)


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
    # Where the gateway takes the payment; the pay step sends the shopper there.
    payment_url: str | None = None
    payment_ref: str | None = None
    attention_reason: str | None = None
    # What the gateway said was paid, when it is not simply the total (an amount mismatch).
    paid_amount: int | None = None
    paid_currency: str | None = None
    refund_id: str | None = None
    refund_reason: str | None = None
    # Refunds the gateway reported failed: each retry is a new refund there, with its own idempotency key.
    refund_failures: int = 0
    # A refund given back by hand, once the owner records the transfer to the buyer (first record wins).
    refund_paid: RefundPaid | None = None
    # The order token sealed with the cipher (base64), so a delivery mail can carry the order link;
    # the token itself is never stored in plain.
    token_sealed: str | None = None
    # The flash sale this order was priced at (its id in the store), if any, and the counters it
    # holds its quantity in: taken with its keys, given back when its keys are returned.
    flash_sale: str | None = None
    quotas: tuple[Quota, ...] = ()
    # What came off unit_price × quantity, and why: total = subtotal − level_discount − coupon_discount.
    level: str | None = None
    level_discount: int = 0
    coupon: str | None = None
    coupon_discount: int = 0
    # Decided at checkout from the shopper's referral chain, paid at delivery, reversed by a refund.
    commissions: tuple[Commission, ...] = ()
    # The main station's fee on a substation paid out through its own Stripe account, and the
    # whole share Stripe was told to keep for the platform (wholesale + fee + commissions).
    platform_fee: int = 0
    application_fee: int = 0
    payout_account: str | None = None
    # What delivery credited the shopper and the referrers (spend, `points`, earnings): a refund
    # takes back exactly that, and nothing for an order delivered before such credits existed.
    credited: bool = False
    points: int = 0
    # Keys refunded one by one while the order stayed delivered, and what those refunds gave back: the
    # refund of the rest takes back only what is left (domain/key_refund.py).
    refunded_key_ids: tuple[str, ...] = ()
    partly_refunded: int = 0
    # Where its goods come from (domain/fulfilment.py), and what the buyer of a top-up filled in.
    delivery: Delivery = Delivery.STOCK
    buyer_fields: tuple[tuple[str, str], ...] = ()
    # A manual order is delivered within these hours of its payment (by `deliver_by`), or refunded.
    delivery_hours: int | None = None
    deliver_by: datetime | None = None
    # What delivered it, besides keys: a top-up's receipt, the owner's sealed message, a loop credential.
    receipt: str | None = None
    message_sealed: str | None = None
    shared_key_id: str | None = None
    # What each supplier charged for what reached this order, (supplier, minor units): booked at delivery.
    supply_charges: tuple[tuple[str, int], ...] = ()
    # Units its suppliers never delivered: it holds (and sells) quantity - short keys, and the short units'
    # share of everything is refunded once it is delivered (`short_refunded` then).
    short: int = 0
    short_refunded: bool = False

    @property
    def units_held(self) -> int:
        """The keys (or top-ups) this order delivers: all it was paid for, but units never supplied."""
        return self.quantity - self.short
    # The selling substation's own goods (PricedSku.owner): the whole sale is its own, no wholesale to anyone.
    own_goods: bool = False
    # The payment rail the shopper chose at checkout (ports/outside.PaymentGateway.rail).
    rail: str = "stripe"
    # A business buyer's invoice details for a bank transfer: (("title", 发票抬头), ("tax_id", 税号)).
    invoice: tuple[tuple[str, str], ...] = ()
    # 分账 on Alipay or WeChat Pay: the station's share sent to its own account after payment, and the rail's id for it.
    split_sent: int = 0
    split_ref: str | None = None
    # The risk rule that holds it for an owner's review once paid (decided at checkout), and the owner's decision.
    review: str | None = None
    reviewed: str | None = None

    @property
    def wholesale_total(self) -> int:
        return self.unit_wholesale * self.quantity

    @property
    def subtotal(self) -> int:
        return self.total + self.level_discount + self.coupon_discount

    def charges(self) -> dict:
        """What the shopper is charged and why, as the quote, checkout and the order page show it."""
        return {
            "unit_price": self.unit_price, "subtotal": self.subtotal,
            "level": self.level, "level_discount": self.level_discount,
            "coupon": self.coupon, "coupon_discount": self.coupon_discount, "total": self.total,
        }


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
    # The shopper's counters, referrers' earnings and coupons that move with this change.
    member: MemberDelta | None = None
    earnings: tuple[Earning, ...] = ()
    coupons: tuple[IssuedCoupon, ...] = ()
    # A refund of some keys: the keys it flags, and the order's refunded keys as read (a racing refund
    # of other keys makes the read stale, and the change a conflict).
    key_ids: tuple[str, ...] = ()
    seen_refunded: tuple[str, ...] = ()
    # A refund of the units a delivered order's suppliers never delivered (Order.short), once.
    refunds_short: bool = False

    def __post_init__(self) -> None:
        if self.refunds_some_keys:
            if (self.from_status is not S.DELIVERED or self.to_status not in (S.DELIVERED, S.REFUNDED)
                    or self.keys is not KeyMove.FLAG_REFUNDED):
                raise ValueError("only a delivered order's sold keys are refunded one by one")
        elif self.refunds_short:
            if self.from_status is not S.DELIVERED or self.to_status is not S.DELIVERED or self.keys is not KeyMove.NONE:
                raise ValueError("only a delivered order's units never supplied are refunded so")
        elif self.stays:
            if self.from_status not in STAYS or self.keys is not KeyMove.NONE or self.reservation_expires_at is None:
                raise ValueError(f"a change that stays {self.from_status} only moves its reservation forward")
        elif self.to_status not in NEXT[self.from_status]:
            raise ValueError(f"no transition {self.from_status} → {self.to_status}")

    @property
    def stays(self) -> bool:
        return self.from_status is self.to_status

    @property
    def refunds_some_keys(self) -> bool:
        return bool(self.key_ids)

    @property
    def refunds_part(self) -> bool:
        """A refund of part of a delivered order: it is conditional on the order as read, not on its status."""
        return self.refunds_some_keys or self.refunds_short

    def repeats(self, order: Order) -> bool:
        """Whether the order as read already has what this change would give it: a reservation that
        stays must only move forward, so one moved there (or further) before is left alone."""
        if self.refunds_short:
            return order.short_refunded
        if self.refunds_some_keys:
            return self.stays and set(self.key_ids) <= set(order.refunded_key_ids)
        return (self.stays and self.reservation_expires_at is not None
                and order.expires_at >= self.reservation_expires_at)

    def stale(self, order: Order) -> bool:
        """Whether the order moved since this change was decided in a way its status does not show."""
        return self.refunds_part and order.refunded_key_ids != self.seen_refunded

    def order_fields(self, now: datetime) -> dict:
        """The order's fields this change sets, before any key move adds its own."""
        fields: dict = {"status": self.to_status, "updated_at": now, "due_at": self.due_at}
        if self.reservation_expires_at is not None:
            fields["expires_at"] = self.reservation_expires_at
        if self.payment_ref:
            fields["payment_ref"] = self.payment_ref
        if self.reason:
            fields["attention_reason"] = self.reason
        return fields | dict(self.record)


class Applied(StrEnum):
    DONE = "done"
    DUPLICATE = "duplicate"  # this event id was already processed, or the change already made
    CONFLICT = "conflict"  # the order moved since it was read


class PaymentKind(StrEnum):
    COMPLETED = "completed"
    ASYNC_SUCCEEDED = "async_succeeded"
    ASYNC_FAILED = "async_failed"
    EXPIRED = "expired"
    REFUND_UPDATED = "refund_updated"  # pending, needing action or succeeded: nothing to change
    REFUND_FAILED = "refund_failed"  # failed or canceled: the shopper did not get the money back
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
    # Set for a refund's events only.
    refund_id: str | None = None
    refund_status: str | None = None
    refund_failure: str | None = None  # the gateway's reason, when it gives one


# Paid orders that are not delivered this long after payment are retried by the sweeper.
RELEASE_RETRY_AFTER = timedelta(minutes=1)
# A payment that cannot be delivered is refunded at once; if the gateway fails, the sweeper tries again then.
REFUND_RETRY_AFTER = timedelta(minutes=1)
PAID_TOO_LATE = "paid_after_reservation_lapsed_and_stock_is_gone"
AMOUNT_MISMATCH = "amount_mismatch"
# Its goods never came: every supplier failed, or the owner did not deliver by hand in the time promised.
NOT_SUPPLIED = "not_supplied"
# An order bought from suppliers is delivered within this of its payment, or refunded.
SUPPLY_DEADLINE = timedelta(minutes=5)


def not_supplied(order: Order, why: str, now: datetime) -> OrderChange:
    """Refunded at once; if the gateway fails, the sweeper asks again."""
    return OrderChange(order.id, S.AWAITING_DELIVERY, S.NEEDS_ATTENTION, reason=f"{NOT_SUPPLIED}: {why}",
                       due_at=now + REFUND_RETRY_AFTER)


def supplied_keys(order: Order, charges: tuple[tuple[str, int], ...], now: datetime, short: int = 0) -> OrderChange:
    """The card keys bought for the order are in stock: it takes them (all but `short` units, which never
    came and are refunded once it is delivered), and release sells them."""
    return OrderChange(order.id, S.AWAITING_DELIVERY, S.PAID, keys=KeyMove.RESERVE,
                       record=(("supply_charges", charges), ("short", short)), due_at=now + RELEASE_RETRY_AFTER)


def keys_wanted(order: Order, change: OrderChange) -> int:
    """How many keys a RESERVE takes for the order: its units but those the change (or the order) says
    were never supplied."""
    return order.quantity - int(dict(change.record).get("short", order.short))  # type: ignore[call-overload]


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
        awaited = order.delivery in AWAITED
        by = deliver_by(order, now)
        return OrderChange(
            order.id, status, S.AWAITING_DELIVERY if awaited else S.PAID,
            keys=KeyMove.NONE if status is S.PENDING else KeyMove.RESERVE,
            event_id=event.id, payment_ref=event.payment_ref,
            # The owner has until the promise; a supplier's order is asked about again soon.
            due_at=by if order.delivery is Delivery.MANUAL else now + RELEASE_RETRY_AFTER,
            record=(("deliver_by", by),) if awaited else (),
        )
    if status is not S.PENDING:
        return None
    if event.kind is PaymentKind.ASYNC_FAILED:
        return OrderChange(order.id, S.PENDING, S.FAILED, keys=KeyMove.RETURN, event_id=event.id)
    if event.kind is PaymentKind.EXPIRED:
        return OrderChange(order.id, S.PENDING, S.EXPIRED, keys=KeyMove.RETURN, event_id=event.id)
    return None


def deliver_by(order: Order, now: datetime) -> datetime | None:
    """When an order paid now must be delivered: a manual one within its promise, one bought from suppliers
    within SUPPLY_DEADLINE."""
    if order.delivery is Delivery.MANUAL and order.delivery_hours is not None:
        return now + timedelta(hours=order.delivery_hours)
    return now + SUPPLY_DEADLINE if order.delivery is Delivery.SUPPLIER else None


def takes_stock(order: Order, change: OrderChange) -> bool:
    """Whether a RESERVE takes keys from stock: always for an order sold from stock, and for one that
    waited for its goods once they are in stock; an order of a loop, a top-up or a manual product
    taking its holds again after a late payment takes only its quotas."""
    return change.keys is KeyMove.RESERVE and (
        order.delivery is Delivery.STOCK or change.from_status is S.AWAITING_DELIVERY)


def paid_too_late(order: Order, event: PaymentEvent, now: datetime | None = None) -> OrderChange:
    """A payment arrived for keys that are gone: keep the money visible, never lose it, and give it back."""
    return OrderChange(
        order.id, order.status, S.NEEDS_ATTENTION, event_id=event.id, payment_ref=event.payment_ref,
        reason=PAID_TOO_LATE,
        record=(("paid_amount", event.amount), ("paid_currency", (event.currency or "").upper() or None)),
        due_at=now + REFUND_RETRY_AFTER if now is not None and event.payment_ref else None,
    )


# A rejected order's money goes back without waiting for anyone else (domain/refund.REFUNDED_AUTOMATICALLY).
RISK_REJECTED = "risk_rejected"


def hold_for_review(order: Order) -> OrderChange | None:
    """A paid order its risk rule holds: the keys stay reserved for it, and nothing is due until an owner decides."""
    if order.status is not S.PAID or order.review is None or order.reviewed is not None:
        return None
    return OrderChange(order.id, S.PAID, S.NEEDS_REVIEW, due_at=None)


def approve(order: Order, owner: str, now: datetime) -> OrderChange | None:
    """Back to paid, to be delivered as any paid order (and retried by the sweeper if that stalls); None when
    it is not held, so a second approval changes nothing."""
    if order.status is not S.NEEDS_REVIEW:
        return None
    return OrderChange(order.id, S.NEEDS_REVIEW, S.PAID, due_at=now + RELEASE_RETRY_AFTER,
                       record=(("reviewed", f"approved by {owner}"),))


def reject(order: Order, owner: str, reason: str, now: datetime) -> OrderChange | None:
    """Its keys go back to stock and its payment is refunded (by the sweeper again if the gateway fails)."""
    if order.status is not S.NEEDS_REVIEW:
        return None
    return OrderChange(order.id, S.NEEDS_REVIEW, S.NEEDS_ATTENTION,
                       keys=KeyMove.RETURN if order.key_ids else KeyMove.NONE,
                       reason=f"{RISK_REJECTED}: {reason}", due_at=now + REFUND_RETRY_AFTER,
                       record=(("reviewed", f"rejected by {owner}"),))


def lapse(order: Order) -> OrderChange:
    return OrderChange(order.id, S.PENDING, S.EXPIRED, keys=KeyMove.RETURN)


def hold_for_payment(order: Order, reservation: timedelta, now: datetime) -> OrderChange | None:
    """The whole reservation, counted from the order's creation, for a shopper who opened the pay page.

    Checkout holds keys only briefly, so that orders nobody goes on to pay for give their keys
    back soon. None when there is nothing to move: the order is no longer pending, its reservation
    lapsed already, or it was moved this far before.
    """
    until = order.created_at + reservation
    if order.status is not S.PENDING or order.expires_at <= now or until <= order.expires_at:
        return None
    return OrderChange(order.id, S.PENDING, S.PENDING, reservation_expires_at=until, due_at=until)


def shopper_account(order: Order) -> str:
    return f"shopper:{order.shopper_key[:16]}"


def referrer_account(referrer: str) -> str:
    return f"referrer:{referrer[:16]}"


def ledger_for(order: Order, main_station: str) -> tuple[LedgerEntry, ...]:
    """Who gets what of a sale; the entries sum to zero.

    The shopper pays the total. The main station earns the wholesale cost (the
    whole sale, on its own station). The selling station keeps the gross margin
    and bears what came off it: the level and coupon discounts, the platform fee
    and the referral commissions. A substation's own goods are its whole sale:
    nothing is due to the main station but the platform fee, if its payouts set one.
    """
    currency = order.currency
    seller = f"station:{order.station}"
    main = f"station:{main_station}"

    def entry(account: str, amount: int, memo: str) -> LedgerEntry:
        return LedgerEntry(order.id, account, amount, currency, memo)

    entries = [entry(shopper_account(order), -order.total, "paid")]
    if order.station == main_station or order.own_goods:
        entries.append(entry(seller, order.subtotal, "sale"))
    else:
        entries.append(entry(main, order.wholesale_total, "wholesale"))
        entries.append(entry(seller, order.subtotal - order.wholesale_total, "margin"))
    if order.level_discount:
        entries.append(entry(seller, -order.level_discount, f"level discount ({order.level})"))
    if order.coupon_discount:
        entries.append(entry(seller, -order.coupon_discount, f"coupon {order.coupon}"))
    if order.platform_fee:
        entries.append(entry(seller, -order.platform_fee, "platform fee"))
        entries.append(entry(main, order.platform_fee, "platform fee"))
    for commission in order.commissions:
        if commission.amount:
            memo = f"referral commission, level {commission.level}"
            entries.append(entry(seller, -commission.amount, memo))
            entries.append(entry(referrer_account(commission.referrer), commission.amount, memo))
    return tuple(entries)


def supply_entries(order: Order, main_station: str) -> tuple[LedgerEntry, ...]:
    """What the suppliers were paid for this order, borne by the main station that buys from them (by the
    selling substation, for its own goods)."""
    entries = []
    buyer = order.station if order.own_goods else main_station
    for supplier, amount in order.supply_charges:
        if amount:
            entries.append(LedgerEntry(order.id, f"station:{buyer}", -amount, order.currency, f"supply cost ({supplier})"))
            entries.append(LedgerEntry(order.id, f"supplier:{supplier}", amount, order.currency, "supply cost"))
    return tuple(entries)


def deliver(order: Order, main_station: str, now: datetime, points: int = 0, holding_days: int = 0,
            reward: IssuedCoupon | None = None, record: tuple[tuple[str, object], ...] = ()) -> OrderChange | None:
    """Sell the keys, book the sale, and credit the shopper (spend, `points`) and their referrers.

    `reward` is the referrer's coupon when this is the shopper's first delivered order. An order that
    holds no keys (a top-up, a manual delivery, a loop credential) is delivered from awaiting_delivery or
    paid with what `record` sets on it: a receipt, the owner's sealed message, the credential's key id.
    """
    holds_keys = bool(order.key_ids)
    if order.status is not S.PAID and (holds_keys or order.status is not S.AWAITING_DELIVERY):
        return None
    short = int(dict(record).get("short", order.short))  # type: ignore[call-overload]
    return OrderChange(
        order.id, order.status, S.DELIVERED, keys=KeyMove.SELL if holds_keys else KeyMove.NONE,
        # Units never supplied are refunded right after; if the gateway fails then, the sweeper asks again.
        due_at=now + REFUND_RETRY_AFTER if short else None,
        ledger=ledger_for(order, main_station) + supply_entries(order, main_station),
        member=MemberDelta(order.station, order.shopper_key, spend=order.total, points=points, orders=1),
        earnings=earnings_for(order.station, order.id, order.commissions, now, holding_days),
        coupons=() if reward is None else (reward,),
        record=(("credited", True), ("points", points)) + record,
    )
