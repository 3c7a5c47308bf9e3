"""Refunding some keys of a delivered order, as every store adapter applies it."""
from __future__ import annotations

from kameng.domain.key_refund import key_refund, refund_keys_change, sale_entries
from kameng.domain.order import Applied, OrderStatus

from .test_store_contract import LATER
from .test_store_refunds import delivered_order


def refund_of(store, order, key_ids, refund_id="re_k1"):
    ledger = store.orders.ledger(order.id)
    return refund_keys_change(key_refund(order, key_ids), sale_entries(ledger), len(ledger), refund_id, "owner")


def test_refunding_one_key_flags_it_only_and_keeps_the_order_delivered(store, inventory):
    sku, order = delivered_order(store, inventory, quantity=3)
    outcome, updated = store.orders.apply(refund_of(store, order, [order.key_ids[1]]), LATER)

    flagged = [k.refunded for k in store.inventory.sealed_keys(order)]
    assert outcome is Applied.DONE and updated.status is OrderStatus.DELIVERED
    assert flagged == [False, True, False] and inventory.balanced(sku)
    assert sum(e.amount for e in store.orders.ledger(order.id)) == 0


def test_a_key_refund_decided_on_a_stale_read_changes_nothing(store, inventory):
    _, order = delivered_order(store, inventory, quantity=3)
    first, second = refund_of(store, order, [order.key_ids[0]]), refund_of(store, order, [order.key_ids[1]], "re_k2")
    store.orders.apply(first, LATER)

    outcome, _ = store.orders.apply(second, LATER)

    assert outcome is Applied.CONFLICT
    assert [k.refunded for k in store.inventory.sealed_keys(order)] == [True, False, False]


def test_the_same_key_refund_applied_twice_is_a_duplicate(store, inventory):
    _, order = delivered_order(store, inventory, quantity=2)
    change = refund_of(store, order, [order.key_ids[0]])
    store.orders.apply(change, LATER)
    assert store.orders.apply(change, LATER)[0] is Applied.DUPLICATE


def test_refunding_the_last_keys_refunds_the_order_and_nets_every_account_to_zero(store, inventory):
    _, order = delivered_order(store, inventory, quantity=3)
    _, order = store.orders.apply(refund_of(store, order, [order.key_ids[0]]), LATER)
    outcome, final = store.orders.apply(refund_of(store, order, list(order.key_ids), "re_k2"), LATER)

    per_account: dict[str, int] = {}
    for entry in store.orders.ledger(order.id):
        per_account[entry.account] = per_account.get(entry.account, 0) + entry.amount
    assert outcome is Applied.DONE and final.status is OrderStatus.REFUNDED
    assert set(per_account.values()) == {0}
    assert {k.refunded for k in store.inventory.sealed_keys(order)} == {True}


def test_a_key_refund_after_the_split_was_recorded_applies(store, inventory):
    # The split (分账) is kept beside the order, not in what its changes write: a refund must not take it for
    # a racing change and refuse the owner's refund forever.
    _, order = delivered_order(store, inventory, quantity=2)
    store.orders.record_split(order.id, 120, "alipay:split-1")
    order = store.orders.order(order.id)

    outcome, updated = store.orders.apply(refund_of(store, order, [order.key_ids[0]]), LATER)

    assert outcome is Applied.DONE and updated.partly_refunded > 0
    assert [k.refunded for k in store.inventory.sealed_keys(order)] == [True, False]
