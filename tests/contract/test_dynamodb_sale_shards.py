"""A flash sale spread over counter shards on DynamoDB: never more than its quantity, every unit sellable,
each order's quantity given back to the shard it came from, and fast enough for one hot sale."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import given, strategies as st

from kameng.adapters.dynamodb import keys as layout
from kameng.adapters.dynamodb import sale_shards
from kameng.adapters.dynamodb.inventory import hot_sku_orders_per_second
from kameng.adapters.dynamodb.sale_shards import SALE_SHARDS, shard_count, slices, sold_by_shard
from kameng.adapters.dynamodb.table import n
from kameng.domain.errors import FlashSaleSoldOut
from kameng.domain.order import Applied, PaymentEvent, PaymentKind, decide_payment, lapse
from kameng.domain.quota import EVERYONE
from tests.support.dynamo_table import dynamodb_store

from .store_world import START, Inventory
from .test_store_concurrency import race
from .test_store_quotas import SALE, flash_order

QUANTITY = 60  # 6 shards of 10 for shoppers of one each
SHOPPERS = 90


@pytest.fixture
def dynamo():
    with dynamodb_store() as store:
        yield store


def order_shard(store, order_id: str) -> int:
    return sale_shards.order_shard(store.orders.table.get(layout.order(order_id), ("sale_shard",)))


def buy_racing(store, sku: str, shoppers: int = SHOPPERS, quantity: int = QUANTITY):
    return race(shoppers, lambda i: store.orders.place_order(
        flash_order(sku, shopper=f"shopper-{i}", cap=quantity, per_shopper=1)))


def test_racing_shoppers_buy_exactly_the_sales_quantity_on_every_store(store, inventory):
    sku = inventory.new_sku(100)
    outcomes = buy_racing(store, sku)
    assert Counter(type(o).__name__ for o in outcomes) == {"Order": QUANTITY, "FlashSaleSoldOut": SHOPPERS - QUANTITY}
    assert store.counters.quota_count(SALE, EVERYONE) == QUANTITY
    assert inventory.count(sku).reserved == QUANTITY and inventory.balanced(sku)


def test_every_shard_sells_its_slice_and_no_more(dynamo):
    sku = Inventory(dynamo).new_sku(100)
    outcomes = buy_racing(dynamo, sku)
    placed = [o for o in outcomes if not isinstance(o, Exception)]
    assert sold_by_shard(dynamo.orders.table, SALE, 6) == slices(QUANTITY, 6) == [10] * 6
    # Each order names the shard it took from, and the shards' counts are exactly those orders.
    assert Counter(order_shard(dynamo, o.id) for o in placed) == Counter(dict(enumerate([10] * 6)))


def test_a_sale_whose_shards_filled_unevenly_still_sells_every_unit_left(dynamo):
    table = dynamo.orders.table
    # Shards 0-3 full, shard 4 with one unit left, shard 5 untouched: 11 units remain.
    for shard, sold in {0: 10, 1: 10, 2: 10, 3: 10, 4: 9}.items():
        table.update(sale_shards.shard_key(SALE, shard), UpdateExpression="ADD #sold :n",
                     ExpressionAttributeNames={"#sold": "sold"}, ExpressionAttributeValues={":n": n(sold)})
    sku = Inventory(dynamo).new_sku(100)
    outcomes = buy_racing(dynamo, sku, shoppers=30)
    assert Counter(type(o).__name__ for o in outcomes) == {"Order": 11, "FlashSaleSoldOut": 19}
    assert sold_by_shard(table, SALE, 6) == [10] * 6


def test_a_lapsed_order_gives_its_quantity_back_to_the_shard_it_took(dynamo):
    table = dynamo.orders.table
    sku = Inventory(dynamo).new_sku(100)
    placed = [dynamo.orders.place_order(flash_order(sku, 2, shopper=f"s{i}", cap=QUANTITY, per_shopper=2))
              for i in range(12)]
    before = sold_by_shard(table, SALE, SALE_SHARDS)
    # Shard 0 is where an unsharded sale kept its count: an order from another shows the return is routed.
    lapsed = next(o for o in placed if order_shard(dynamo, o.id) != 0)
    shard = order_shard(dynamo, lapsed.id)
    assert dynamo.orders.apply(lapse(lapsed), START + timedelta(minutes=16))[0] is Applied.DONE
    after = sold_by_shard(table, SALE, SALE_SHARDS)
    assert [b - a for b, a in zip(before, after)] == [2 if i == shard else 0 for i in range(SALE_SHARDS)]
    assert dynamo.counters.quota_count(SALE, EVERYONE) == 22
    # The shopper's own share is free again too, in its own partition.
    assert dynamo.counters.quota_count(SALE, lapsed.shopper_key) == 0


def test_a_late_payment_takes_a_shard_again_and_records_it(dynamo):
    table = dynamo.orders.table
    sku = Inventory(dynamo).new_sku(100)
    order = dynamo.orders.place_order(flash_order(sku, 1, cap=QUANTITY, per_shopper=1))
    dynamo.orders.apply(lapse(order), START + timedelta(minutes=16))
    assert dynamo.counters.quota_count(SALE, EVERYONE) == 0
    late = PaymentEvent("evt_late", PaymentKind.COMPLETED, order.id, None, True, order.total, "cny", "pi_1")
    change = decide_payment(dynamo.orders.order(order.id), late, START + timedelta(minutes=20))
    assert dynamo.orders.apply(change, START + timedelta(minutes=20))[0] is Applied.DONE
    sold = sold_by_shard(table, SALE, SALE_SHARDS)
    assert sum(sold) == 1 and sold[order_shard(dynamo, order.id)] == 1


def test_a_sale_with_no_shard_left_for_the_order_is_sold_out(dynamo):
    sku = Inventory(dynamo).new_sku(10)
    with pytest.raises(FlashSaleSoldOut):
        dynamo.orders.place_order(flash_order(sku, 3, cap=2, per_shopper=5))
    assert dynamo.counters.quota_count(SALE, EVERYONE) == 0


@given(quantity=st.integers(1, 100_000), largest=st.integers(1, 50))
def test_slices_sum_exactly_to_the_quantity_and_each_holds_a_whole_order(quantity, largest):
    count = shard_count(quantity, largest)
    parts = slices(quantity, count)
    assert sum(parts) == quantity and 1 <= count <= SALE_SHARDS
    assert max(parts) - min(parts) <= 1
    if count > 1:
        assert min(parts) >= largest


def test_one_hot_sale_takes_over_five_thousand_orders_a_second():
    # Each shard is one partition of about 1,000 WCU/s; a checkout writes one shard item in a transaction.
    assert shard_count(5_000, 1) == SALE_SHARDS
    assert sale_shards.sale_orders_per_second() == SALE_SHARDS * 1000 / 2 >= 5_000
    # The sale is then bound by its SKU's key pools, which are past 5,000 too.
    assert min(sale_shards.sale_orders_per_second(), hot_sku_orders_per_second()) >= 5_000
