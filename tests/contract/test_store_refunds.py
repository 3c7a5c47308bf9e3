"""Refunds and low-stock flags, as every store adapter keeps them."""
from __future__ import annotations

from collections import defaultdict

from kameng.domain.order import Applied, KeyMove, OrderChange, OrderStatus, deliver, ledger_for
from kameng.domain.refund import refund_delivered, refund_undelivered

from .store_world import START, an_order
from .test_store_concurrency import race
from .test_store_contract import LATER, paid

S = OrderStatus


def delivered_order(store, inventory, quantity=2, station="game-zone"):
    sku = inventory.new_sku(quantity + 2)
    placed = store.orders.place_order(an_order(sku, quantity=quantity, station=station))
    delivered = store.orders.apply(deliver(store.orders.apply(paid(placed), START)[1], "main", START), START)[1]
    return sku, delivered


def refunded_order(store, inventory, **kwargs):
    sku, delivered = delivered_order(store, inventory, **kwargs)
    outcome, refunded = store.orders.apply(refund_delivered(delivered, store.orders.ledger(delivered.id), "re_1", "owner"), LATER)
    assert outcome is Applied.DONE
    return sku, delivered, refunded


def test_a_refund_of_a_delivered_order_records_the_refund(store, inventory):
    _, delivered, _ = refunded_order(store, inventory)
    stored = store.orders.order(delivered.id)
    assert (stored.status, stored.refund_id, stored.refund_reason, stored.due_at) == (S.REFUNDED, "re_1", "owner", None)


def test_a_refunded_orders_keys_stay_sold_and_are_flagged(store, inventory):
    sku, delivered, _ = refunded_order(store, inventory)
    keys = store.inventory.sealed_keys(delivered)
    assert (len(keys), {k.refunded for k in keys}, inventory.count(sku).sold) == (2, {True}, 2)


def test_a_refund_leaves_the_stock_equation_as_it_was(store, inventory):
    sku, delivered = delivered_order(store, inventory)
    before = inventory.count(sku)
    store.orders.apply(refund_delivered(delivered, store.orders.ledger(delivered.id), "re_1", "owner"), LATER)
    assert inventory.count(sku) == before and inventory.balanced(sku)


def test_keys_of_other_orders_are_not_flagged(store, inventory):
    sku, delivered = delivered_order(store, inventory)
    other = store.orders.place_order(an_order(sku, at=LATER))
    other = store.orders.apply(deliver(store.orders.apply(paid(other, event_id="evt_other"), LATER)[1], "main", LATER), LATER)[1]
    store.orders.apply(refund_delivered(delivered, store.orders.ledger(delivered.id), "re_1", "owner"), LATER)
    assert [k.refunded for k in store.inventory.sealed_keys(other)] == [False]


def test_a_delivered_orders_keys_are_not_flagged(store, inventory):
    _, delivered = delivered_order(store, inventory)
    assert {k.refunded for k in store.inventory.sealed_keys(delivered)} == {False}


def test_the_reversal_follows_the_sale_and_negates_it_per_account(store, inventory):
    _, delivered, _ = refunded_order(store, inventory)
    rows = store.orders.ledger(delivered.id)
    sale = list(ledger_for(delivered, "main"))
    per_account: dict[str, int] = defaultdict(int)
    for entry in rows:
        per_account[entry.account] += entry.amount
    assert rows[:len(sale)] == sale and len(rows) == 2 * len(sale)
    assert sum(entry.amount for entry in rows) == 0 and set(per_account.values()) == {0}


def test_a_second_refund_of_the_same_order_is_a_conflict_and_writes_nothing(store, inventory):
    _, delivered, _ = refunded_order(store, inventory)
    before = (store.orders.order(delivered.id), store.orders.ledger(delivered.id))
    again = refund_delivered(delivered, store.orders.ledger(delivered.id)[:2], "re_2", "owner")
    assert store.orders.apply(again, LATER) == (Applied.CONFLICT, None)
    assert (store.orders.order(delivered.id), store.orders.ledger(delivered.id)) == before


def test_two_refunds_racing_apply_once(store, inventory):
    _, delivered = delivered_order(store, inventory)
    sale = store.orders.ledger(delivered.id)
    outcomes = race(4, lambda i: store.orders.apply(refund_delivered(delivered, sale, f"re_{i}", "owner"), LATER)[0])
    assert sorted(outcomes) == sorted([Applied.DONE] + [Applied.CONFLICT] * 3) and len(store.orders.ledger(delivered.id)) == 2 * len(sale)


def test_an_undelivered_payment_refunded_balances_to_zero_and_leaves_the_due_list(store, inventory):
    sku = inventory.new_sku(1)
    placed = store.orders.place_order(an_order(sku))
    attention = OrderChange(placed.id, S.PENDING, S.NEEDS_ATTENTION, keys=KeyMove.RETURN, payment_ref="pi_1",
                            reason="amount_mismatch: paid 1 cny", record=(("paid_amount", 1), ("paid_currency", "CNY")),
                            due_at=LATER)
    held = store.orders.apply(attention, START)[1]
    assert (held.paid_amount, [o.id for o in store.orders.due_orders(LATER, 10)]) == (1, [placed.id])
    store.orders.apply(refund_undelivered(held, "re_1"), LATER)
    rows = store.orders.ledger(placed.id)
    assert (store.orders.order(placed.id).refund_id, store.orders.due_orders(LATER, 10), sum(entry.amount for entry in rows)) == ("re_1", [], 0)
    assert {entry.amount for entry in rows} == {1, -1} and inventory.balanced(sku)


# ---------------------------------------------------------------- low-stock flag


def test_a_sku_starts_without_a_low_stock_alert(store, inventory):
    assert inventory.count(inventory.new_sku(3)).low_alerted is False


def test_the_low_stock_flag_is_set_once(store, inventory):
    sku = inventory.new_sku(3)
    assert (store.inventory.set_low_stock_alert(sku, True), store.inventory.set_low_stock_alert(sku, True), inventory.count(sku).low_alerted) == (
        True, False, True)


def test_the_low_stock_flag_is_cleared_once(store, inventory):
    sku = inventory.new_sku(3)
    store.inventory.set_low_stock_alert(sku, True)
    assert (store.inventory.set_low_stock_alert(sku, False), store.inventory.set_low_stock_alert(sku, False), inventory.count(sku).low_alerted) == (
        True, False, False)


def test_a_flag_that_was_never_set_is_not_cleared(store, inventory):
    assert store.inventory.set_low_stock_alert(inventory.new_sku(1), False) is False


def test_the_low_stock_flag_leaves_the_counts_alone(store, inventory):
    sku = inventory.new_sku(3)
    store.orders.place_order(an_order(sku))
    store.inventory.set_low_stock_alert(sku, True)
    counted = inventory.count(sku)
    assert (counted.available, counted.reserved, inventory.balanced(sku)) == (2, 1, True)


def test_a_sku_with_no_keys_can_be_flagged(store):
    assert store.inventory.set_low_stock_alert("never-stocked", True) and store.inventory.stock(["never-stocked"])["never-stocked"].low_alerted


def test_racing_alerts_are_won_by_one(store, inventory):
    sku = inventory.new_sku(1)
    assert sorted(race(8, lambda i: store.inventory.set_low_stock_alert(sku, True))) == [False] * 7 + [True]
