"""What one order costs DynamoDB, in the units docs/capacity.md builds its model on.

The figures are counted by tests/contract/capacity_meter.py (moto reports no
capacity for transactions): a checkout of one key in a flash sale with the
unpaid-hold quotas of two client names, its payment, and its release. A change
that writes more items, or makes an item cross a kilobyte, moves them; then the
model in docs/capacity.md and these figures are updated together.
"""
from __future__ import annotations

import pytest

from kameng.adapters.dynamodb import sale_shards
from kameng.adapters.dynamodb.inventory import shard_wcu_per_order
from kameng.domain.holds import unpaid_quotas
from kameng.domain.order import OrderChange, OrderStatus, deliver
from kameng.domain.price_book import UnpaidLimits
from kameng.domain.quota import EVERYONE, Quota, QuotaKind
from tests.support.dynamo_table import CONTRACT_SHARDS, dynamodb_store

from .capacity_meter import CapacityMeter, item_size
from .store_world import START, an_order
from .test_dynamodb_specific import keys_one_per_shard
from .test_store_quotas import SALE

S = OrderStatus
# (read units, write units) per step, as docs/capacity.md#what-one-order-costs states them.
MODEL = {"checkout": (1, 28), "payment": (1, 17), "release": (1, 16)}


def _order(sku: str):
    quotas = (Quota(kind=QuotaKind.FLASH_TOTAL, counter=SALE, holder=EVERYONE, cap=1000),
              Quota(kind=QuotaKind.FLASH_SHOPPER, counter=SALE, holder="shopper-a", cap=1))
    quotas += unpaid_quotas("game-zone", UnpaidLimits(), 1, ["e.mail", "d.device"])
    return an_order(sku).model_copy(update={"flash_sale": SALE.split("#")[-1], "quotas": quotas})


@pytest.fixture(scope="module")
def measured():
    """Units and hot-partition writes of each step of one order."""
    with dynamodb_store(shards=CONTRACT_SHARDS, wrap=CapacityMeter) as store:
        meter = store.orders.table.client
        # Keys in every pool shard, as a SKU on sale has: the checkout finds one in the first shard it reads.
        for _ in range(2):
            store.inventory.add_card_keys(keys_one_per_shard("sku-sale", CONTRACT_SHARDS))
        order = _order("sku-sale")
        figures = {}
        steps = [
            ("checkout", lambda: store.orders.place_order(order, day=START.date())),
            ("payment", lambda: store.orders.apply(
                OrderChange(order.id, S.PENDING, S.PAID, event_id="evt_1", payment_ref="pi_1"), START)[1]),
        ]
        paid = None
        for name, step in steps:
            meter.reset()
            paid = step()
            figures[name] = (meter.reads, meter.writes, dict(meter.writes_by_pk))
        meter.reset()
        store.orders.apply(deliver(paid, "main", START), START)
        figures["release"] = (meter.reads, meter.writes, dict(meter.writes_by_pk))
        return figures


@pytest.mark.parametrize("step", list(MODEL))
def test_each_step_of_an_order_costs_what_the_capacity_model_assumes(measured, step):
    reads, writes, _ = measured[step]
    assert (reads, writes) == MODEL[step]


def test_a_checkout_writes_two_units_to_its_sale_shard_and_two_to_the_shoppers_share(measured):
    by_pk = measured["checkout"][2]
    shards = {pk: units for pk, units in by_pk.items() if pk.startswith(SALE) and "#SHOPPER#" not in pk[len(SALE):]}
    assert list(shards.values()) == [sale_shards.WCU_PER_SHARD_WRITE]
    assert by_pk[f"{SALE}#SHOPPER#shopper-a"] == 2


def test_an_order_costs_its_key_pool_shard_what_the_hot_sku_figure_assumes(measured):
    pool = [pk for pk in measured["checkout"][2] if pk.startswith("POOL#")]
    assert len(pool) == 1
    assert measured["checkout"][2][pool[0]] + measured["release"][2][pool[0]] == shard_wcu_per_order(1) == 10


def test_the_meter_sizes_items_as_dynamodb_does():
    # "name" 4 bytes + "Kameng" 6; a number of 3 significant digits is 3 bytes, plus its name.
    assert item_size({"name": {"S": "Kameng"}}) == 10
    assert item_size({"n": {"N": "125"}}) == 1 + 3
    assert item_size({"l": {"L": [{"S": "ab"}]}}) == 1 + 3 + 1 + 2
