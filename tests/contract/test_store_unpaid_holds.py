"""Unpaid holds: a client's pending orders and their keys, counted exactly under racing checkouts on
every store, and given back when an order is paid or lapses."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from kameng.domain.errors import ShopperLimit
from kameng.domain.holds import unpaid_quotas
from kameng.domain.order import Applied, KeyMove, PaymentEvent, PaymentKind, decide_payment, lapse
from kameng.domain.price_book import UnpaidLimits
from kameng.domain.refund import refund_undelivered

from .store_world import START, an_order
from .test_store_concurrency import race

LIMITS = UnpaidLimits(orders=3, keys=4)
HOARDER = ("e.hoarder", "d.device-1")
ADDRESS = "a.address-1"


def held(store, client: str) -> tuple[int, int]:
    counter = f"UNPAID#main#{client}"
    return store.counters.quota_count(counter, "orders"), store.counters.quota_count(counter, "keys")


def unpaid_order(sku: str, quantity: int = 1, clients=HOARDER, address: str | None = ADDRESS, **kwargs):
    order = an_order(sku, quantity, **kwargs)
    return order.model_copy(update={"quotas": unpaid_quotas("main", LIMITS, quantity, clients, address)})


def test_racing_checkouts_of_one_client_hold_no_more_than_its_caps(store, inventory):
    sku = inventory.new_sku(19)
    outcomes = race(12, lambda i: store.orders.place_order(unpaid_order(sku, clients=(f"e.fresh-{i}", "d.device-1"))))
    assert Counter(type(o).__name__ for o in outcomes) == {"Order": 3, "ShopperLimit": 9}
    assert held(store, "d.device-1") == held(store, ADDRESS) == (3, 3)
    counted = inventory.count(sku)
    assert (counted.available, counted.reserved, inventory.balanced(sku)) == (16, 3, True)


def test_the_key_cap_refuses_an_order_that_would_pass_it(store, inventory):
    sku = inventory.new_sku(19)
    store.orders.place_order(unpaid_order(sku, 3))
    refused = race(1, lambda i: store.orders.place_order(unpaid_order(sku, 2)))[0]
    assert refused.code == "shopper_limit"
    assert held(store, "e.hoarder") == (1, 3)
    # Another client is not held back by this one's holds.
    store.orders.place_order(unpaid_order(sku, 4, clients=("e.shopper", "d.device-2"), address="a.address-2"))
    assert inventory.count(sku).available == 12


def test_one_order_larger_than_the_key_cap_fits_while_the_client_holds_nothing_else(store, inventory):
    sku = inventory.new_sku(19)
    big = store.orders.place_order(unpaid_order(sku, 6))
    assert held(store, "e.hoarder") == (1, 6)
    with pytest.raises(ShopperLimit):
        store.orders.place_order(unpaid_order(sku, 1))
    assert inventory.count(sku).reserved == big.quantity


def test_a_paid_order_frees_its_hold_and_delivery_keeps_its_keys(store, inventory):
    sku = inventory.new_sku(19)
    orders = [store.orders.place_order(unpaid_order(sku)) for _ in range(3)]
    first = orders[0]
    event = PaymentEvent("evt_1", PaymentKind.COMPLETED, first.id, None, True, first.total, "cny", "pi_1")
    assert store.orders.apply(decide_payment(first, event, START), START)[0] is Applied.DONE
    assert held(store, "e.hoarder") == held(store, "d.device-1") == held(store, ADDRESS) == (2, 2)
    # The freed share takes a new order; the paid one keeps its reserved key.
    store.orders.place_order(unpaid_order(sku))
    counted = inventory.count(sku)
    assert (counted.available, counted.reserved, inventory.balanced(sku)) == (15, 4, True)


def test_a_lapsed_order_frees_its_hold_once_and_a_late_payment_does_not_take_it_again(store, inventory):
    sku = inventory.new_sku(19)
    placed = store.orders.place_order(unpaid_order(sku, 2))
    assert store.orders.apply(lapse(placed), START + timedelta(minutes=16))[0] is Applied.DONE
    assert held(store, "e.hoarder") == (0, 0)
    late = PaymentEvent("evt_late", PaymentKind.COMPLETED, placed.id, None, True, placed.total, "cny", "pi_late")
    change = decide_payment(store.orders.order(placed.id), late, START + timedelta(minutes=20))
    assert change.keys is KeyMove.RESERVE
    assert store.orders.apply(change, START + timedelta(minutes=20))[0] is Applied.DONE
    assert held(store, "e.hoarder") == (0, 0)
    assert inventory.count(sku).reserved == 2


def test_a_payment_of_the_wrong_amount_frees_the_hold_once_and_its_refund_leaves_it_alone(store, inventory):
    sku = inventory.new_sku(19)
    placed = store.orders.place_order(unpaid_order(sku, 2))
    wrong = PaymentEvent("evt_wrong", PaymentKind.COMPLETED, placed.id, None, True, placed.total - 1, "cny", "pi_w")
    change = decide_payment(placed, wrong, START)
    assert change.to_status.value == "needs_attention"
    assert store.orders.apply(change, START)[0] is Applied.DONE
    assert held(store, "e.hoarder") == held(store, ADDRESS) == (0, 0)
    attention = store.orders.order(placed.id)
    assert store.orders.apply(refund_undelivered(attention, "re_1"), START)[0] is Applied.DONE
    assert held(store, "e.hoarder") == (0, 0)
    assert inventory.balanced(sku) and inventory.count(sku).reserved == 0


def test_a_failed_payment_frees_the_hold_once_and_a_repeat_of_it_does_not_give_back_again(store, inventory):
    sku = inventory.new_sku(19)
    placed = store.orders.place_order(unpaid_order(sku))
    store.orders.place_order(unpaid_order(sku))
    failed = PaymentEvent("evt_failed", PaymentKind.ASYNC_FAILED, placed.id, None, False, None, None, None)
    change = decide_payment(placed, failed, START)
    assert store.orders.apply(change, START)[0] is Applied.DONE
    assert store.orders.apply(change, START)[0] is Applied.DUPLICATE
    assert held(store, "e.hoarder") == (1, 1)
