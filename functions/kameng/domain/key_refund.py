"""Refunding some of an order's keys: each key's exact share of everything its order moved.

The total (and every ledger entry, the points and each commission) is spread over the order's keys in
key order, the first `remainder` keys taking one minor unit more, so the shares of all keys add up to
each amount exactly, whatever order the keys are refunded in. The seller's account absorbs the rounding
between a refund's entries, so every refund's entries sum to zero too.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Sequence

from kameng.domain.member import MemberDelta, earnings_for
from kameng.domain.order import KeyMove, LedgerEntry, Order, OrderChange, OrderStatus

S = OrderStatus
# Gateway refunds are idempotent per (order, amount, attempt); whole refunds use attempts from 0 up, so
# key refunds number theirs from here, one per state of the order (its refunded keys so far).
KEY_REFUND_ATTEMPTS = 1000


def piece(amount: int, index: int, count: int) -> int:
    """Key `index`'s share of `amount` spread over `count` keys (negative amounts too)."""
    base, remainder = divmod(amount, count)
    return base + (1 if index < remainder else 0)


def share(amount: int, indexes: Iterable[int], count: int) -> int:
    return sum(piece(amount, index, count) for index in indexes)


class UnknownKeys(ValueError):
    """Keys the order does not hold."""


@dataclass(frozen=True)
class KeyRefund:
    """What refunding `key_ids` of `order` gives back: decided from the order as read."""

    order: Order
    key_ids: tuple[str, ...]  # the keys asked for that are not refunded yet, in the order's key order

    @property
    def indexes(self) -> list[int]:
        return [self.order.key_ids.index(key_id) for key_id in self.key_ids]

    @property
    def amount(self) -> int:
        return share(self.order.total, self.indexes, self.order.quantity)

    @property
    def completes(self) -> bool:
        return set(self.order.key_ids) == set(self.order.refunded_key_ids) | set(self.key_ids)

    @property
    def attempt(self) -> int:
        return KEY_REFUND_ATTEMPTS + len(self.order.refunded_key_ids)


@dataclass(frozen=True)
class UnitRefund:
    """Units of a delivered order refunded by their places in its quantity rather than by key, each with the
    share a key in that place would have: the units its suppliers never delivered (the last `order.short`
    places, refunded once it is delivered), or, for an order that holds no keys, the rest of it."""

    order: Order
    places: tuple[int, ...]
    completes: bool = False
    attempt: int = KEY_REFUND_ATTEMPTS - 1
    key_ids: tuple[str, ...] = ()

    @property
    def indexes(self) -> list[int]:
        return list(self.places)

    @property
    def amount(self) -> int:
        return share(self.order.total, self.places, self.order.quantity)


def short_refund(order: Order) -> UnitRefund:
    return UnitRefund(order, tuple(range(order.units_held, order.quantity)))


def rest_refund(order: Order) -> UnitRefund:
    """What is left of a keyless order (a top-up) once its short units were refunded: the order is refunded."""
    return UnitRefund(order, tuple(range(order.units_held)), completes=True, attempt=KEY_REFUND_ATTEMPTS - 2)


def key_refund(order: Order, key_ids: Sequence[str]) -> KeyRefund:
    unknown = sorted(set(key_ids) - set(order.key_ids))
    if unknown:
        raise UnknownKeys(", ".join(unknown))
    wanted = set(key_ids) - set(order.refunded_key_ids)
    return KeyRefund(order, tuple(k for k in order.key_ids if k in wanted))


def sale_entries(ledger: Iterable[LedgerEntry]) -> list[LedgerEntry]:
    """The entries a refund reverses: not the suppliers' costs, which the shop paid whatever the buyer gets back."""
    return [e for e in ledger if not e.memo.startswith(("refund", "supply cost"))]


def reversal(refund: KeyRefund, sale: Sequence[LedgerEntry]) -> tuple[LedgerEntry, ...]:
    order, count = refund.order, refund.order.quantity
    entries = [LedgerEntry(order.id, e.account, -share(e.amount, refund.indexes, count), e.currency,
                           f"refund: {e.memo}") for e in sale]
    seller = f"station:{order.station}"
    absorbing = next((i for i, e in enumerate(entries) if e.account == seller), 0)
    rounding = sum(e.amount for e in entries)
    entries[absorbing] = replace(entries[absorbing], amount=entries[absorbing].amount - rounding)
    return tuple(e for e in entries if e.amount)


def refund_keys_change(refund: KeyRefund | UnitRefund, sale: Sequence[LedgerEntry], ledger_from: int, refund_id: str,
                       reason: str) -> OrderChange:
    """Flag the keys refunded and take back their share; the refund of the last keys refunds the order.
    A refund of units never supplied flags no key and is made once."""
    order, count = refund.order, refund.order.quantity
    credited = MemberDelta(order.station, order.shopper_key, spend=refund.amount,
                           points=share(order.points, refund.indexes, count))
    earnings = earnings_for(order.station, order.id, order.commissions, order.updated_at, 0)
    if refund.completes:
        taken = tuple(replace(e, reversed=True) for e in earnings)
        record: tuple = (("refund_id", refund_id), ("refund_reason", reason))
    else:
        taken = tuple(replace(e, amount=share(e.amount, refund.indexes, count), take_back=True) for e in earnings)
        record = (("refund_id", refund_id), ("refund_reason", reason),
                  ("refunded_key_ids", order.refunded_key_ids + refund.key_ids),
                  ("partly_refunded", order.partly_refunded + refund.amount))
        if isinstance(refund, UnitRefund):
            record += (("short_refunded", True),)
    return OrderChange(
        order.id, S.DELIVERED, S.REFUNDED if refund.completes else S.DELIVERED,
        keys=KeyMove.FLAG_REFUNDED if refund.key_ids else KeyMove.NONE,
        refunds_short=isinstance(refund, UnitRefund) and not refund.completes,
        key_ids=refund.key_ids, seen_refunded=order.refunded_key_ids,
        ledger=reversal(refund, sale), ledger_from=ledger_from, record=record,
        member=credited.negated() if order.credited else None,
        earnings=tuple(e for e in taken if e.reversed or e.amount) if order.credited else (),
    )
