"""A bank refund given back by hand, recorded as paid back to the buyer, as every store adapter keeps it."""
from __future__ import annotations

import pytest

from kameng.domain.bank_transfer import REFUND_BY_HAND, refund_owed_by_hand
from kameng.domain.order import Applied, OrderChange, OrderStatus, deliver
from kameng.domain.refund import refund_delivered
from kameng.ports.store import Conflict, UnknownRecord

from .store_world import START, an_order
from .test_store_concurrency import race
from .test_store_contract import LATER, paid
from .test_store_key_refunds import refund_of

S = OrderStatus
OWNER = "owner@shop.example"


def delivered_bank_order(store, inventory, quantity=1, rail="bank"):
    placed = store.orders.place_order(an_order(inventory.new_sku(quantity + 1), quantity=quantity)
                                      .model_copy(update={"rail": rail}))
    return store.orders.apply(deliver(store.orders.apply(paid(placed, event_id=f"evt_{placed.id}"), START)[1], "main", START), START)[1]


def refunded_by_hand(store, inventory, rail="bank", refund_id=REFUND_BY_HAND + "r1"):
    order = delivered_bank_order(store, inventory, rail=rail)
    outcome, refunded = store.orders.apply(
        refund_delivered(order, store.orders.ledger(order.id), refund_id, "owner"), LATER)
    assert outcome is Applied.DONE
    return refunded


def test_a_refund_paid_back_is_kept_with_the_order(store, inventory):
    order = refunded_by_hand(store, inventory)

    answered = store.orders.record_refund_paid(order.id, "ICBC-OUT-1", "退回买家对公账户", OWNER, LATER)

    kept = store.orders.order(order.id).refund_paid
    assert answered.refund_paid == kept
    assert (kept.bank_ref, kept.note, kept.by, kept.at) == ("ICBC-OUT-1", "退回买家对公账户", OWNER, LATER)
    assert store.orders.order(order.id).status is S.REFUNDED


def test_the_first_record_wins_and_a_later_one_changes_nothing(store, inventory):
    order = refunded_by_hand(store, inventory)
    store.orders.record_refund_paid(order.id, "FIRST", None, OWNER, LATER)

    again = store.orders.record_refund_paid(order.id, "SECOND", "another", "other@shop.example", LATER)

    assert again.refund_paid.bank_ref == "FIRST" and again.refund_paid.by == OWNER
    assert store.orders.order(order.id).refund_paid.bank_ref == "FIRST"


def test_an_order_owing_no_refund_by_hand_is_refused_and_left_as_it_was(store, inventory):
    stripe_refunded = refunded_by_hand(store, inventory, rail="stripe", refund_id="re_1")
    bank_delivered = delivered_bank_order(store, inventory)
    for order in (stripe_refunded, bank_delivered):
        with pytest.raises(Conflict):
            store.orders.record_refund_paid(order.id, "R1", None, OWNER, LATER)
        assert store.orders.order(order.id).refund_paid is None
    with pytest.raises(UnknownRecord):
        store.orders.record_refund_paid("01NOSUCHORDER0000000000000", "R1", None, OWNER, LATER)


def test_two_owners_recording_different_references_at_once_leave_exactly_one(store, inventory):
    order = refunded_by_hand(store, inventory)

    outcomes = race(8, lambda i: store.orders.record_refund_paid(order.id, f"REF-{i}", None, OWNER, LATER))

    assert not [o for o in outcomes if isinstance(o, Exception)]
    answered = {o.refund_paid.bank_ref for o in outcomes}
    assert len(answered) == 1 and answered == {store.orders.order(order.id).refund_paid.bank_ref}


def test_the_record_survives_a_later_change_of_the_order(store, inventory):
    order = refunded_by_hand(store, inventory)
    store.orders.record_refund_paid(order.id, "R1", None, OWNER, LATER)

    # Decided from the order read before the record was made.
    outcome, _ = store.orders.apply(OrderChange(order.id, S.REFUNDED, S.NEEDS_ATTENTION, reason="refund_failed"), LATER)

    kept = store.orders.order(order.id)
    assert outcome is Applied.DONE and kept.status is S.NEEDS_ATTENTION and kept.refund_paid.bank_ref == "R1"


def test_a_key_refund_after_a_record_is_owed_again_and_a_new_record_covers_it(store, inventory):
    order = delivered_bank_order(store, inventory, quantity=3)
    _, order = store.orders.apply(refund_of(store, order, [order.key_ids[0]], REFUND_BY_HAND + "k1"), LATER)
    first = store.orders.record_refund_paid(order.id, "R1", None, OWNER, LATER).refund_paid
    assert first.amount == order.partly_refunded > 0 and refund_owed_by_hand(store.orders.order(order.id)) == 0
    order = store.orders.order(order.id)

    outcome, updated = store.orders.apply(refund_of(store, order, [order.key_ids[1]], REFUND_BY_HAND + "k2"), LATER)

    # The record stands for what it covered; the second key's refund is owed on top of it, not hidden by it.
    assert outcome is Applied.DONE and updated.refund_paid.bank_ref == "R1"
    owed = refund_owed_by_hand(store.orders.order(order.id))
    assert owed == updated.partly_refunded - first.amount > 0

    second = store.orders.record_refund_paid(order.id, "R2", None, OWNER, LATER).refund_paid
    assert (second.bank_ref, second.amount) == ("R2", updated.partly_refunded)
    assert refund_owed_by_hand(store.orders.order(order.id)) == 0
    # Nothing more owed: a third record changes nothing.
    assert store.orders.record_refund_paid(order.id, "R3", None, OWNER, LATER).refund_paid == second
