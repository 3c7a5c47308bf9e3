"""The owner's stock moves on every store: voiding keys, and the thresholds that override the price book's."""
from __future__ import annotations

from kameng.domain.order import Applied, KeyMove, OrderChange, OrderStatus

from .store_world import START, an_order
from .test_store_concurrency import race


def test_voiding_available_keys_moves_them_to_void(store, inventory):
    sku = inventory.new_sku(0)
    added = inventory.add(sku, 5)
    result = store.inventory.void_keys(sku, [k.key_id for k in added[:3]])
    counted = inventory.count(sku)
    assert (sorted(result.voided), result.held, result.unknown) == (sorted(k.key_id for k in added[:3]), {}, ())
    assert (counted.available, counted.void, inventory.balanced(sku)) == (2, 3, True)


def test_a_voided_key_is_never_reserved(store, inventory):
    sku = inventory.new_sku(0)
    added = inventory.add(sku, 2)
    store.inventory.void_keys(sku, [added[0].key_id])
    order = store.orders.place_order(an_order(sku))
    assert order.key_ids == (added[1].key_id,)


def test_reserved_and_sold_keys_are_reported_and_left_as_they_were(store, inventory):
    sku = inventory.new_sku(3)
    reserved = store.orders.place_order(an_order(sku))
    sold = store.orders.place_order(an_order(sku))
    for change in (OrderChange(sold.id, OrderStatus.PENDING, OrderStatus.PAID, event_id="evt-1"),
                   OrderChange(sold.id, OrderStatus.PAID, OrderStatus.DELIVERED, keys=KeyMove.SELL)):
        assert store.orders.apply(change, START)[0] is Applied.DONE
    result = store.inventory.void_keys(sku, [*reserved.key_ids, *sold.key_ids])
    counted = inventory.count(sku)
    assert result.voided == ()
    assert result.held == {reserved.key_ids[0]: "reserved", sold.key_ids[0]: "sold"}
    assert (counted.available, counted.reserved, counted.sold, counted.void) == (1, 1, 1, 0)


def test_voiding_twice_reports_the_key_void_and_counts_it_once(store, inventory):
    sku = inventory.new_sku(0)
    key_id = inventory.add(sku, 2)[0].key_id
    store.inventory.void_keys(sku, [key_id])
    again = store.inventory.void_keys(sku, [key_id])
    assert (again.voided, again.held, inventory.count(sku).void) == ((), {key_id: "void"}, 1)


def test_unknown_ids_and_another_skus_keys_are_reported_unknown(store, inventory):
    sku, other = inventory.new_sku(0), inventory.new_sku(0)
    mine = inventory.add(sku, 1)[0].key_id
    theirs = inventory.add(other, 1)[0].key_id
    result = store.inventory.void_keys(sku, [mine, theirs, "no-such-key"])
    assert (result.voided, sorted(result.unknown)) == ((mine,), sorted([theirs, "no-such-key"]))
    assert inventory.count(other).available == 1


def test_a_big_void_spans_many_transactions(store, inventory):
    sku = inventory.new_sku(0)
    added = inventory.add(sku, 230)
    result = store.inventory.void_keys(sku, [k.key_id for k in added[:220]])
    counted = inventory.count(sku)
    assert (len(result.voided), counted.available, counted.void, inventory.balanced(sku)) == (220, 10, 220, True)


def test_keys_are_found_by_fingerprint_within_their_sku_only(store, inventory):
    sku, other = inventory.new_sku(0), inventory.new_sku(0)
    mine = inventory.add(sku, 2)
    theirs = inventory.add(other, 1)
    found = store.inventory.key_ids_of(sku, [mine[0].fingerprint, theirs[0].fingerprint, "f" * 64])
    assert found == {mine[0].fingerprint: mine[0].key_id}


def test_a_void_racing_checkouts_for_the_same_keys_gives_each_key_to_one_of_them(store, inventory):
    sku = inventory.new_sku(0)
    added = inventory.add(sku, 10)
    everything = [k.key_id for k in added]

    def attempt(i):
        return store.inventory.void_keys(sku, everything) if i == 0 else store.orders.place_order(an_order(sku))

    outcomes = race(11, attempt)
    voided = set(outcomes[0].voided)
    reserved = {k for o in outcomes[1:] if not isinstance(o, Exception) for k in o.key_ids}
    counted = inventory.count(sku)
    assert voided.isdisjoint(reserved) and voided | reserved == set(everything)
    assert set(outcomes[0].held) == reserved and all(s == "reserved" for s in outcomes[0].held.values())
    assert (counted.void, counted.reserved, counted.available, inventory.balanced(sku)) == (
        len(voided), len(reserved), 0, True)


def test_a_threshold_is_kept_per_station_and_replaced(store):
    assert store.inventory.set_low_stock("main", "sku-a", 5) is None
    assert store.inventory.set_low_stock("main", "sku-a", 8) == 5
    store.inventory.set_low_stock("game-zone", "sku-a", 2)
    assert store.inventory.low_stock_thresholds("main") == {"sku-a": 8}
    assert store.inventory.low_stock_thresholds("game-zone") == {"sku-a": 2}


def test_a_threshold_forgotten_falls_back_to_none(store):
    store.inventory.set_low_stock("main", "sku-a", 5)
    assert store.inventory.set_low_stock("main", "sku-a", None) == 5
    assert store.inventory.low_stock_thresholds("main") == {}
    assert store.inventory.set_low_stock("main", "sku-a", None) is None
