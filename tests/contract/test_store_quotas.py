"""Flash-sale and daily quotas: counted in the reservation's transaction, never past their cap, given back with the keys."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from kameng.domain.errors import FlashSaleSoldOut, ShopperLimit, SoldOut
from kameng.domain.order import Applied, KeyMove, OrderChange, OrderStatus, PaymentEvent, PaymentKind, decide_payment, lapse
from kameng.domain.quota import EVERYONE, Quota, QuotaKind

from .store_world import START, an_order
from .test_dynamodb_specific import dynamo, keys_one_per_shard, recorder  # noqa: F401 - dynamo is a fixture
from .test_store_concurrency import race

S = OrderStatus
SALE = "FLASH#game-zone#qq-coin-10@20261212T120000Z"


def flash_order(sku: str, quantity: int = 1, *, shopper: str = "shopper-a", cap: int = 10, per_shopper: int = 5,
                daily: int | None = None, day: str = "2026-03-02", **kwargs):
    quotas = [
        Quota(kind=QuotaKind.FLASH_TOTAL, counter=SALE, holder=EVERYONE, cap=cap),
        Quota(kind=QuotaKind.FLASH_SHOPPER, counter=SALE, holder=shopper, cap=per_shopper),
    ]
    if daily is not None:
        quotas.append(Quota(kind=QuotaKind.DAILY, counter=f"DAILY#game-zone#{sku}#{day}", holder=shopper, cap=daily))
    return an_order(sku, quantity, shopper_key=shopper, **kwargs).model_copy(
        update={"flash_sale": SALE.split("#")[-1], "quotas": tuple(quotas)})


def daily_order(sku: str, quantity: int, *, shopper: str = "shopper-a", daily: int = 4, day: str = "2026-03-02"):
    quota = Quota(kind=QuotaKind.DAILY, counter=f"DAILY#game-zone#{sku}#{day}", holder=shopper, cap=daily)
    return an_order(sku, quantity, shopper_key=shopper).model_copy(update={"quotas": (quota,)})


@pytest.fixture
def flash_race(store, inventory):
    """30 shoppers on 30 real threads, one key each, for a sale of 10 with 50 keys in stock."""
    sku = inventory.new_sku(50)
    outcomes = race(30, lambda i: store.orders.place_order(flash_order(sku, shopper=f"shopper-{i}")))
    return sku, outcomes


def test_thirty_racing_shoppers_never_take_more_than_the_sales_ten(flash_race):
    _, outcomes = flash_race
    assert Counter(type(o).__name__ for o in outcomes) == {"Order": 10, "FlashSaleSoldOut": 20}


def test_the_refused_shoppers_are_told_the_sale_is_over(flash_race):
    _, outcomes = flash_race
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert {(o.code, o.message.split("：")[0]) for o in refused} == {("flash_sale_sold_out", "秒杀名额已抢完")}


def test_the_stock_equation_holds_after_the_flash_race(flash_race, inventory):
    sku, _ = flash_race
    counted = inventory.count(sku)
    assert (counted.available, counted.reserved, inventory.balanced(sku)) == (40, 10, True)


def test_a_refused_order_leaves_nothing_behind(store, inventory):
    sku = inventory.new_sku(5)
    store.orders.place_order(flash_order(sku, 2, cap=2))
    refused = flash_order(sku, 1, cap=2, shopper="shopper-b")
    with pytest.raises(FlashSaleSoldOut):
        store.orders.place_order(refused)
    assert store.orders.order(refused.id) is None
    counted = inventory.count(sku)
    assert (counted.available, counted.reserved, inventory.balanced(sku)) == (3, 2, True)


def test_a_shopper_cannot_take_more_than_their_share_of_the_sale(store, inventory):
    sku = inventory.new_sku(20)
    store.orders.place_order(flash_order(sku, 2, per_shopper=3))
    with pytest.raises(ShopperLimit) as refused:
        store.orders.place_order(flash_order(sku, 2, per_shopper=3))
    assert refused.value.code == "shopper_limit" and "每人限购 3 件" in refused.value.message
    store.orders.place_order(flash_order(sku, 1, per_shopper=3))
    # Another shopper's share is their own.
    store.orders.place_order(flash_order(sku, 3, per_shopper=3, shopper="shopper-b"))
    assert inventory.count(sku).reserved == 6 and inventory.balanced(sku)


def test_a_daily_limit_counts_every_order_of_the_day_and_starts_again_the_next(store, inventory):
    sku = inventory.new_sku(20)
    store.orders.place_order(daily_order(sku, 3))
    with pytest.raises(ShopperLimit) as refused:
        store.orders.place_order(daily_order(sku, 2))
    assert "每天限购 4 件" in refused.value.message
    store.orders.place_order(daily_order(sku, 1))
    store.orders.place_order(daily_order(sku, 4, day="2026-03-03"))
    store.orders.place_order(daily_order(sku, 4, shopper="shopper-b"))
    assert inventory.count(sku).reserved == 12 and inventory.balanced(sku)


@pytest.mark.parametrize("ends", ["lapse", "failed", "amount_mismatch"])
def test_an_order_whose_keys_are_returned_gives_its_quantity_back(store, inventory, ends):
    sku = inventory.new_sku(20)
    first = store.orders.place_order(flash_order(sku, 2, cap=3, per_shopper=2, daily=2))
    with pytest.raises(SoldOut):
        store.orders.place_order(flash_order(sku, 2, cap=3, per_shopper=2, daily=2))
    if ends == "lapse":
        change = lapse(first)
    elif ends == "failed":
        change = OrderChange(first.id, S.PENDING, S.FAILED, keys=KeyMove.RETURN)
    else:
        change = decide_payment(first, PaymentEvent("evt_1", PaymentKind.COMPLETED, first.id, None, True, 1, "cny", "pi_1"), START)
    assert store.orders.apply(change, START + timedelta(minutes=16))[0] is Applied.DONE
    # The sale's quantity, the shopper's share and the shopper's day are all free again.
    again = store.orders.place_order(flash_order(sku, 2, cap=3, per_shopper=2, daily=2))
    assert store.orders.order(again.id).status is S.PENDING
    counted = inventory.count(sku)
    assert (counted.available, counted.reserved, inventory.balanced(sku)) == (18, 2, True)


def test_a_late_payment_takes_the_sale_again_only_while_quantity_is_left(store, inventory):
    sku = inventory.new_sku(20)
    lapsed = store.orders.place_order(flash_order(sku, 2, cap=3))
    store.orders.apply(lapse(lapsed), START + timedelta(minutes=16))
    taker = store.orders.place_order(flash_order(sku, 2, cap=3, shopper="shopper-b"))
    late = PaymentEvent("evt_late", PaymentKind.COMPLETED, lapsed.id, None, True, lapsed.total, "cny", "pi_late")
    change = decide_payment(store.orders.order(lapsed.id), late, START + timedelta(minutes=20))
    assert change.keys is KeyMove.RESERVE
    with pytest.raises(FlashSaleSoldOut):
        store.orders.apply(change, START + timedelta(minutes=20))
    assert store.orders.order(lapsed.id).status is S.EXPIRED
    # Once the other order lapses too, the late payment fits again.
    store.orders.apply(lapse(taker), START + timedelta(minutes=31))
    assert store.orders.apply(change, START + timedelta(minutes=32))[0] is Applied.DONE
    counted = inventory.count(sku)
    assert (counted.available, counted.reserved, inventory.balanced(sku)) == (18, 2, True)


# ---------------------------------------------------------------- DynamoDB: the counters fit the transaction limit


def test_the_widest_flash_sale_order_stays_within_one_hundred_items_per_transaction(dynamo):
    dynamo.inventory.add_card_keys(keys_one_per_shard("sku-thin"))
    rec = recorder(dynamo)
    rec.calls.clear()
    order = flash_order("sku-thin", 39, cap=100, per_shopper=50, daily=50, station="game-zone")
    placed = dynamo.orders.place_order(order)
    dynamo.orders.apply(lapse(placed), START + timedelta(minutes=16))
    late = PaymentEvent("evt_late", PaymentKind.COMPLETED, placed.id, None, True, placed.total, "cny", "pi_late")
    assert dynamo.orders.apply(decide_payment(dynamo.orders.order(placed.id), late, START), START)[0] is Applied.DONE
    # reserve: order + 3 counts + 39 keys + 39 shard counters; lapse: the same; late reserve: + its event
    assert rec.transaction_sizes() == [82, 82, 83]
