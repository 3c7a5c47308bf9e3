"""Key batches on every store: each import's keys carry its id, and its counts follow the keys."""
from __future__ import annotations

from dataclasses import replace

import pytest

from kameng.domain.order import Applied, KeyMove, OrderChange, OrderStatus
from kameng.ports.store import Duplicate, KeyBatch, StockCount

from .store_world import START, an_order, sealed_keys_for


def a_batch(batch_id: str, sku: str, cost: int | None = 800, supplier: str = "卡商A") -> KeyBatch:
    return KeyBatch(batch_id, sku, supplier, cost, START, "十一月进货")


def add_batch_keys(store, batch: KeyBatch, n: int) -> list[str]:
    sealed = [replace(key, batch_id=batch.batch_id) for key in sealed_keys_for(batch.sku, n)]
    store.key_batches.add_batch(batch)
    assert store.inventory.add_card_keys(sealed).added == n
    return [key.key_id for key in sealed]


def counts(store, sku: str) -> dict[str, StockCount]:
    return {batch.batch_id: batch.counts for batch in store.key_batches.batches_of(sku)}


def deliver(store, order) -> None:
    for change in (OrderChange(order.id, OrderStatus.PENDING, OrderStatus.PAID, event_id=f"evt-{order.id}"),
                   OrderChange(order.id, OrderStatus.PAID, OrderStatus.DELIVERED, keys=KeyMove.SELL)):
        assert store.orders.apply(change, START)[0] is Applied.DONE


def test_a_batch_is_kept_with_its_source_and_refused_twice(store):
    batch = a_batch("B1", "sku-b", cost=850)
    store.key_batches.add_batch(batch)
    assert store.key_batches.batch("B1") == batch
    assert store.key_batches.batch("B2") is None
    with pytest.raises(Duplicate):
        store.key_batches.add_batch(replace(batch, note="again"))
    assert store.key_batches.batch("B1").note == "十一月进货"


def test_counts_follow_keys_as_they_are_reserved_sold_returned_and_voided(store):
    first = add_batch_keys(store, a_batch("B1", "sku-b"), 2)
    add_batch_keys(store, a_batch("B2", "sku-b", cost=None), 3)
    assert counts(store, "sku-b") == {"B1": StockCount(available=2), "B2": StockCount(available=3)}
    # Keys are taken oldest id first on SQLite, at random on DynamoDB: read where each order's key came from.
    sold = store.orders.place_order(an_order("sku-b"))
    deliver(store, sold)
    returned = store.orders.place_order(an_order("sku-b"))
    held = store.orders.place_order(an_order("sku-b"))
    assert store.orders.apply(OrderChange(returned.id, OrderStatus.PENDING, OrderStatus.EXPIRED, keys=KeyMove.RETURN),
                              START)[0] is Applied.DONE
    batch_of = {key_id: ("B1" if key_id in first else "B2") for key_id in (*sold.key_ids, *held.key_ids)}
    expected = {"B1": {"available": 2, "reserved": 0, "sold": 0, "void": 0},
                "B2": {"available": 3, "reserved": 0, "sold": 0, "void": 0}}
    for key_id, status in ((sold.key_ids[0], "sold"), (held.key_ids[0], "reserved")):
        expected[batch_of[key_id]]["available"] -= 1
        expected[batch_of[key_id]][status] += 1
    assert counts(store, "sku-b") == {batch: StockCount(**c) for batch, c in expected.items()}
    [sealed] = store.inventory.sealed_keys(sold)
    assert sealed.batch_id == batch_of[sold.key_ids[0]]

    available = store.key_batches.available_in("B2")
    assert len(available) == expected["B2"]["available"] and held.key_ids[0] not in available
    store.inventory.void_keys("sku-b", available)
    after = counts(store, "sku-b")["B2"]
    assert (after.available, after.void) == (0, len(available))
    assert store.key_batches.available_in("B2") == []


def test_keys_imported_without_a_batch_still_sell_and_count_in_no_batch(store):
    store.inventory.add_card_keys(sealed_keys_for("sku-old", 2))
    add_batch_keys(store, a_batch("B1", "sku-old"), 1)
    order = store.orders.place_order(an_order("sku-old", quantity=3))
    deliver(store, order)
    batches = sorted(key.batch_id or "" for key in store.inventory.sealed_keys(order))
    assert batches == ["", "", "B1"]
    assert counts(store, "sku-old") == {"B1": StockCount(sold=1)}
    assert store.inventory.stock(["sku-old"])["sku-old"].sold == 3


def test_batches_are_listed_per_sku_oldest_first(store):
    add_batch_keys(store, a_batch("B2", "sku-x"), 1)
    add_batch_keys(store, a_batch("B1", "sku-x"), 1)
    add_batch_keys(store, a_batch("B3", "sku-y"), 1)
    assert [batch.batch_id for batch in store.key_batches.batches_of("sku-x")] == ["B1", "B2"]
    assert store.key_batches.batches_of("sku-z") == []
    assert store.key_batches.available_in("no-such-batch") == []
