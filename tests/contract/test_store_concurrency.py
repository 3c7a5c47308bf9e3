"""No oversell, no double sale, when many workers reach for the same keys at once."""
from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from kameng.adapters.sqlite import open_store
from kameng.domain.order import Applied, KeyMove, OrderChange, OrderStatus, lapse

from .store_race_worker import buy_one_key_at_a_time
from .store_world import START, Inventory, an_order, sealed_keys_for

S = OrderStatus


def race(n: int, attempt):
    """Run `attempt(i)` on n threads released together; each result or the exception it raised."""
    gate = threading.Barrier(n)

    def run(i):
        gate.wait()
        try:
            return attempt(i)
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            return error

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


@pytest.fixture
def flash_sale(store, inventory):
    """50 shoppers, one key each, a SKU with 20 keys."""
    sku = inventory.new_sku(20)
    outcomes = race(50, lambda i: store.orders.place_order(an_order(sku)))
    return sku, outcomes


def test_fifty_shoppers_racing_for_twenty_keys_get_exactly_twenty_orders(flash_sale):
    _, outcomes = flash_sale
    assert Counter(type(o).__name__ for o in outcomes) == {"Order": 20, "SoldOut": 30}


def test_no_key_is_reserved_for_two_racing_orders(flash_sale):
    _, outcomes = flash_sale
    key_ids = [k for o in outcomes if not isinstance(o, Exception) for k in o.key_ids]
    assert len(key_ids) == len(set(key_ids)) == 20


def test_the_stock_equation_holds_after_the_race(flash_sale, inventory):
    sku, _ = flash_sale
    counted = inventory.count(sku)
    assert (counted.available, counted.reserved, inventory.balanced(sku)) == (0, 20, True)


def test_racing_deliveries_of_one_event_apply_once(store, inventory):
    placed = store.orders.place_order(an_order(inventory.new_sku(1)))
    change = OrderChange(placed.id, S.PENDING, S.PAID, event_id="evt_same", payment_ref="pi_1")
    outcomes = race(12, lambda i: store.orders.apply(change, START)[0])
    assert Counter(outcomes) == {Applied.DONE: 1, Applied.DUPLICATE: 11}


def test_racing_payment_and_lapse_let_exactly_one_win(store, inventory):
    sku = inventory.new_sku(1)
    placed = store.orders.place_order(an_order(sku))
    changes = [OrderChange(placed.id, S.PENDING, S.PAID, event_id="evt_pay"), lapse(placed)] * 5
    outcomes = race(10, lambda i: store.orders.apply(changes[i], START)[0])
    assert outcomes.count(Applied.DONE) == 1 and inventory.balanced(sku)


def test_racing_late_payments_never_reserve_more_keys_than_exist(store, inventory):
    sku = inventory.new_sku(10)
    expired = []
    for _ in range(10):
        placed = store.orders.place_order(an_order(sku))
        expired.append(store.orders.apply(lapse(placed), START)[1])
    inventory.store.orders.place_order(an_order(sku, quantity=5))
    outcomes = race(10, lambda i: store.orders.apply(OrderChange(
        expired[i].id, S.EXPIRED, S.PAID, keys=KeyMove.RESERVE, event_id=f"evt_{i}"), START)[0])
    assert Counter(type(o).__name__ if isinstance(o, Exception) else o for o in outcomes) == {Applied.DONE: 5, "SoldOut": 5}


def test_four_processes_sharing_the_store_file_never_oversell(tmp_path):
    path = tmp_path / "kameng.db"
    inventory = Inventory(open_store(path))
    sku = "sku-flash"
    inventory.store.inventory.add_card_keys(sealed_keys_for(sku, 40))
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    workers = [context.Process(target=buy_one_key_at_a_time, args=(str(path), sku, 15, start, results)) for _ in range(4)]
    for worker in workers:
        worker.start()
    start.set()
    reports = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    key_ids = [k for bought, _ in reports for _, keys in bought for k in keys]
    assert (len(key_ids), len(set(key_ids)), sum(sold_out for _, sold_out in reports)) == (40, 40, 20)
