"""Opening the pay page holds a pending order's keys for the whole reservation: on every store the change
moves the reservation and the sweeper's due time forward once, never back, and only while the order waits."""
from __future__ import annotations

from datetime import timedelta

from kameng.domain.holds import unpaid_quotas
from kameng.domain.order import Applied, OrderChange, OrderStatus, hold_for_payment, lapse
from kameng.domain.price_book import UnpaidLimits

from .store_world import START, an_order

S = OrderStatus
BRIEF = timedelta(minutes=3)
RESERVATION = timedelta(minutes=15)


def unopened(store, inventory, quantity: int = 1):
    return store.orders.place_order(an_order(inventory.new_sku(quantity + 1), quantity, ttl=BRIEF))


def due_ids(store, after: timedelta) -> set[str]:
    return {order.id for order in store.orders.due_orders(START + after, 50)}


def test_an_unopened_order_is_due_when_its_brief_hold_ends(store, inventory):
    placed = unopened(store, inventory)
    assert placed.id not in due_ids(store, BRIEF - timedelta(seconds=1))
    assert placed.id in due_ids(store, BRIEF)


def test_holding_for_payment_moves_the_reservation_to_the_whole_time_from_placing(store, inventory):
    placed = unopened(store, inventory)
    outcome, held = store.orders.apply(hold_for_payment(placed, RESERVATION, START + timedelta(minutes=1)),
                                       START + timedelta(minutes=1))
    kept = store.orders.order(placed.id)
    assert (outcome, held.status, kept.status) == (Applied.DONE, S.PENDING, S.PENDING)
    assert (kept.expires_at, kept.due_at, kept.key_ids) == (START + RESERVATION, START + RESERVATION, placed.key_ids)


def test_a_held_order_leaves_the_due_list_until_the_whole_reservation_ends(store, inventory):
    placed = unopened(store, inventory)
    store.orders.apply(hold_for_payment(placed, RESERVATION, START), START)
    assert placed.id not in due_ids(store, BRIEF + timedelta(minutes=1))
    assert placed.id in due_ids(store, RESERVATION)


def test_holding_keeps_the_keys_reserved(store, inventory):
    placed = unopened(store, inventory, quantity=2)
    store.orders.apply(hold_for_payment(placed, RESERVATION, START), START)
    counted = inventory.count(placed.sku)
    assert (counted.available, counted.reserved, inventory.balanced(placed.sku)) == (1, 2, True)


def test_holding_twice_applies_once(store, inventory):
    placed = unopened(store, inventory)
    change = hold_for_payment(placed, RESERVATION, START)
    store.orders.apply(change, START)
    first = store.orders.order(placed.id)
    assert store.orders.apply(change, START + timedelta(minutes=2)) == (Applied.DUPLICATE, None)
    assert store.orders.order(placed.id) == first


def test_a_reservation_is_never_moved_back(store, inventory):
    placed = unopened(store, inventory)
    store.orders.apply(hold_for_payment(placed, RESERVATION, START), START)
    sooner = START + timedelta(minutes=10)
    back = OrderChange(placed.id, S.PENDING, S.PENDING, reservation_expires_at=sooner, due_at=sooner)
    assert store.orders.apply(back, START) == (Applied.DUPLICATE, None)
    assert store.orders.order(placed.id).expires_at == START + RESERVATION


def test_an_order_no_longer_pending_is_not_held(store, inventory):
    placed = unopened(store, inventory)
    store.orders.apply(lapse(placed), START + BRIEF)
    assert store.orders.apply(hold_for_payment(placed, RESERVATION, START), START + BRIEF) == (Applied.CONFLICT, None)
    kept = store.orders.order(placed.id)
    assert (kept.status, kept.expires_at, kept.due_at) == (S.EXPIRED, START + BRIEF, None)


def test_holding_keeps_the_clients_unpaid_holds_counted(store, inventory):
    limits = UnpaidLimits(orders=3, keys=4)
    placed = store.orders.place_order(an_order(inventory.new_sku(2), ttl=BRIEF).model_copy(
        update={"quotas": unpaid_quotas("main", limits, 1, ("e.shopper",))}))
    store.orders.apply(hold_for_payment(placed, RESERVATION, START), START)
    assert store.counters.quota_count("UNPAID#main#e.shopper", "orders") == 1
