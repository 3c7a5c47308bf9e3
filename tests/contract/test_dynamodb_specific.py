"""What the DynamoDB store promises beyond the contract: the limits of one table, kept."""
from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from typing import Any, Callable

import pytest
import yaml
from botocore.exceptions import ClientError

from kameng.adapters.dynamodb import (
    DEFAULT_SHARDS, MAX_TRANSACTION_ITEMS, StoreBusy, Table, hot_sku_orders_per_second, shard_of,
)
from kameng.adapters.dynamodb import keys as layout
from kameng.adapters.dynamodb.table import Cancelled, Named
from kameng.domain.errors import SoldOut
from kameng.domain.member import Commission, personal_coupon
from kameng.domain.order import Applied, KeyMove, OrderChange, OrderStatus, deliver, hold_for_payment, ledger_for
from kameng.domain.price_book import PriceBook
from kameng.ports.store import MAX_KEYS_PER_ORDER, SealedKey, Store
from tests.support.dynamo_table import TABLE_YAML, dynamodb_store

from .store_world import START, an_order, sealed_keys_for

S = OrderStatus
READS_AND_WRITES = {"get_item", "batch_get_item", "query", "put_item", "update_item", "transact_write_items"}


class Recorder:
    """The client, with every call written down; `before[operation]` runs just before that call goes out."""

    def __init__(self, client: Any):
        self.client = client
        self.calls: list[tuple[str, dict]] = []
        self.cancelled: list[dict] = []
        self.before: dict[str, Callable[[dict], None]] = {}

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.client, name)
        if not callable(attribute):
            return attribute

        def call(**kwargs: Any) -> Any:
            if name in self.before:
                self.before[name](kwargs)
            self.calls.append((name, kwargs))
            try:
                return attribute(**kwargs)
            except ClientError as error:
                if error.response["Error"]["Code"] == "TransactionCanceledException":
                    self.cancelled.append(kwargs)
                raise

        return call

    def operations(self) -> set[str]:
        return {name for name, _ in self.calls}

    def transaction_sizes(self) -> list[int]:
        return [len(kwargs["TransactItems"]) for name, kwargs in self.calls if name == "transact_write_items"]


@pytest.fixture
def dynamo():
    with dynamodb_store(shards=DEFAULT_SHARDS, wrap=Recorder) as store:
        yield store


def table(store: Store) -> Table:
    """The one table every port of the store shares."""
    return store.orders.table


def recorder(store: Store) -> Recorder:
    return table(store).client


def keys_one_per_shard(sku: str, shards: int = DEFAULT_SHARDS) -> list[SealedKey]:
    """One key in every shard: the thinnest a SKU's stock can be spread."""
    chosen: dict[int, SealedKey] = {}
    for key in sealed_keys_for(sku, 40 * shards):
        chosen.setdefault(shard_of(key.key_id, shards), key)
        if len(chosen) == shards:
            break
    return list(chosen.values())


def paid_and_delivered(store: Store, order, **credits) -> None:
    paid = store.orders.apply(OrderChange(order.id, S.PENDING, S.PAID, event_id=f"evt_{order.id}", payment_ref="pi_1"), START)[1]
    assert store.orders.apply(deliver(paid, "main", START, **credits), START)[0] is Applied.DONE


def with_every_extra(order):
    """An order whose delivery writes the most items besides its keys: both discounts, a
    platform fee and three commissions in the ledger, the member, three earnings."""
    commissions = tuple(Commission(referrer=f"ref-{n}", level=n, amount=10) for n in (1, 2, 3))
    return order.model_copy(update={
        "level": "gold", "level_discount": 100, "coupon": "C1", "coupon_discount": 100, "total": order.total - 200,
        "platform_fee": 50, "commissions": commissions})


# ---------------------------------------------------------------- the hot-SKU arithmetic


def test_the_default_shards_carry_five_thousand_single_key_orders_a_second():
    assert hot_sku_orders_per_second(DEFAULT_SHARDS, quantity=1) >= 5000


# ---------------------------------------------------------------- sharded pools


def test_a_hot_skus_keys_spread_over_every_shard(dynamo):
    keys = [replace(key, key_id=f"01HOT{i:05d}") for i, key in enumerate(sealed_keys_for("sku-hot", 640))]
    dynamo.inventory.add_card_keys(keys)
    per_shard = Counter(shard_of(key.key_id) for key in keys)
    counters = [recorder(dynamo).get_item(TableName=table(dynamo).name, Key={
        "pk": {"S": f"POOL#sku-hot#{shard:02d}"}, "sk": {"S": "COUNT"}})["Item"] for shard in range(DEFAULT_SHARDS)]
    assert [int(c["available"]["N"]) for c in counters] == [per_shard[s] for s in range(DEFAULT_SHARDS)]
    assert min(per_shard.values()) > 0 and max(per_shard.values()) < 3 * 640 / DEFAULT_SHARDS


def test_stock_reads_the_shard_counters_in_one_request_never_the_keys(dynamo):
    dynamo.inventory.add_card_keys(sealed_keys_for("sku-hot", 200))
    recorder(dynamo).calls.clear()
    assert dynamo.inventory.stock(["sku-hot"])["sku-hot"].available == 200
    (name, request), = recorder(dynamo).calls
    # One counter per shard, and the SKU's low-stock flag.
    keys = request["RequestItems"][table(dynamo).name]["Keys"]
    assert (name, len(keys), keys[-1]["pk"]["S"]) == ("batch_get_item", DEFAULT_SHARDS + 1, "ALERT#sku-hot")


def test_a_reservation_that_needs_keys_from_several_shards_takes_them_in_one_transaction(dynamo):
    dynamo.inventory.add_card_keys(keys_one_per_shard("sku-thin"))
    recorder(dynamo).calls.clear()
    placed = dynamo.orders.place_order(an_order("sku-thin", quantity=10))
    counted = dynamo.inventory.stock(["sku-thin"])["sku-thin"]
    assert len({shard_of(k) for k in placed.key_ids}) == 10
    assert (counted.available, counted.reserved, recorder(dynamo).transaction_sizes()) == (54, 10, [1 + 10 + 10])


def test_an_order_of_fifty_keys_stays_within_one_hundred_items_per_transaction(dynamo):
    dynamo.inventory.add_card_keys(sealed_keys_for("sku-big", 300))
    recorder(dynamo).calls.clear()
    placed = dynamo.orders.place_order(an_order("sku-big", quantity=MAX_KEYS_PER_ORDER, station="game-zone"))
    paid_and_delivered(dynamo, placed)
    sizes = recorder(dynamo).transaction_sizes()
    counted = dynamo.inventory.stock(["sku-big"])["sku-big"]
    assert (counted.available, counted.sold, len(dynamo.orders.ledger(placed.id))) == (250, 50, 3)
    assert len(sizes) == 3 and max(sizes) <= MAX_TRANSACTION_ITEMS


def test_stock_spread_too_thin_for_one_transaction_refuses_the_order_and_writes_nothing(dynamo):
    dynamo.inventory.add_card_keys(keys_one_per_shard("sku-thin"))
    recorder(dynamo).calls.clear()
    order = an_order("sku-thin", quantity=MAX_KEYS_PER_ORDER)
    with pytest.raises(SoldOut):
        dynamo.orders.place_order(order)
    assert (dynamo.orders.order(order.id), dynamo.inventory.stock(["sku-thin"])["sku-thin"].available) == (None, DEFAULT_SHARDS)
    assert "transact_write_items" not in recorder(dynamo).operations()


def test_the_widest_order_the_thinnest_stock_allows_is_delivered_within_the_limit(dynamo):
    dynamo.inventory.add_card_keys(keys_one_per_shard("sku-thin"))
    recorder(dynamo).calls.clear()
    placed = dynamo.orders.place_order(with_every_extra(an_order("sku-thin", quantity=39, station="game-zone")))
    reward = personal_coupon("game-zone", "ref-1", "REWARD", 200, "referral_reward", START)
    paid_and_delivered(dynamo, placed, points=10, holding_days=7, reward=reward)
    sizes = recorder(dynamo).transaction_sizes()
    # reserve: order + 39 keys + 39 counters; deliver: order + 39 keys + 39 counters
    # + 13 ledger entries + member + 3 earnings + the reward coupon's 2 items
    assert (dynamo.inventory.stock(["sku-thin"])["sku-thin"].sold, sizes[0], max(sizes)) == (39, 79, 98)
    with pytest.raises(SoldOut):
        dynamo.orders.place_order(an_order("sku-thin", quantity=40, station="game-zone"))


def test_a_cancelled_transaction_names_the_items_whose_condition_failed(dynamo):
    dynamo.inventory.add_card_keys(sealed_keys_for("sku-a", 1))
    placed = dynamo.orders.place_order(an_order("sku-a"))
    absent = {"ConditionExpression": "attribute_not_exists(pk)"}
    items = [Named("event", {"Put": {"Item": layout.processed_event("evt_new")} | absent}),
             Named("order", {"Put": {"Item": layout.order(placed.id)} | absent})]
    with pytest.raises(Cancelled) as cancelled:
        table(dynamo).transact(items)
    assert (cancelled.value.failed, cancelled.value.reasons["event"]) == ({"order"}, "None")
    assert not dynamo.orders.event_seen("evt_new")


def test_a_transaction_never_names_two_items_alike(dynamo):
    item = Named("order", {"Put": {"Item": layout.order("01X")}})
    with pytest.raises(ValueError):
        table(dynamo).transact([item, Named("order", {"Put": {"Item": layout.order("01Y")}})])
    assert dynamo.orders.order("01X") is None


# ---------------------------------------------------------------- races


def steal_the_keys_first(store: Store, times: int = 1) -> list[str]:
    """Before the buyer's reservation reaches DynamoDB, a rival takes the same keys in its own transaction."""
    stolen: list[str] = []
    rec = recorder(store)

    def rival(request: dict) -> None:
        moves = [item for item in request["TransactItems"]
                 if "Update" in item and layout.pool_of(item["Update"]["Key"]["pk"]["S"]) is not None]
        reserving = any(i["Update"].get("ExpressionAttributeValues", {}).get(":after") == {"S": "reserved"} for i in moves)
        if len(stolen) >= times or not reserving:
            return
        for item in moves:
            values = item["Update"].get("ExpressionAttributeValues", {})
            if ":order" in values:
                values = values | {":order": {"S": "rival-order"}}
                stolen.append(layout.card_key_id(item["Update"]["Key"]["sk"]["S"]))
            item = {"Update": item["Update"] | {"ExpressionAttributeValues": values}}
            rec.client.transact_write_items(TransactItems=[item])

    rec.before["transact_write_items"] = rival
    return stolen


def test_a_lost_race_for_a_key_is_retried_with_other_keys(dynamo):
    dynamo.inventory.add_card_keys(sealed_keys_for("sku-race", 5))
    stolen = steal_the_keys_first(dynamo)
    placed = dynamo.orders.place_order(an_order("sku-race"))
    counted = dynamo.inventory.stock(["sku-race"])["sku-race"]
    assert len(stolen) == 1 and not set(stolen) & set(placed.key_ids)
    assert (len(recorder(dynamo).cancelled), counted.available, counted.reserved) == (1, 3, 2)


def test_a_buyer_who_keeps_losing_races_hears_busy_not_sold_out_while_keys_remain(dynamo):
    dynamo.inventory.add_card_keys(sealed_keys_for("sku-race", 30))
    steal_the_keys_first(dynamo, times=1000)
    order = an_order("sku-race")
    with pytest.raises(StoreBusy):
        dynamo.orders.place_order(order)
    assert dynamo.orders.order(order.id) is None and dynamo.inventory.stock(["sku-race"])["sku-race"].available > 0


def test_a_late_payment_that_loses_a_race_is_retried(dynamo):
    dynamo.inventory.add_card_keys(sealed_keys_for("sku-race", 4))
    placed = dynamo.orders.place_order(an_order("sku-race"))
    expired = dynamo.orders.apply(OrderChange(placed.id, S.PENDING, S.EXPIRED, keys=KeyMove.RETURN), START)[1]
    stolen = steal_the_keys_first(dynamo)
    outcome, paid = dynamo.orders.apply(OrderChange(expired.id, S.EXPIRED, S.PAID, keys=KeyMove.RESERVE, event_id="evt_late"), START)
    assert (outcome.value, len(paid.key_ids), bool(set(stolen) & set(paid.key_ids))) == ("done", 1, False)


def test_many_threads_buying_few_keys_spread_over_the_shards_never_oversell():
    """The multi-process race of the contract, with threads: moto's table lives in one process."""
    with dynamodb_store(shards=DEFAULT_SHARDS) as store:
        keys = sealed_keys_for("sku-flash", 24)
        store.inventory.add_card_keys(keys)
        gate = threading.Barrier(16)

        def buyer(_: int) -> tuple[list[str], int, int]:
            gate.wait()
            bought, sold_out, busy = [], 0, 0
            for _ in range(6):
                try:
                    bought += store.orders.place_order(an_order("sku-flash", at=START + timedelta(seconds=1))).key_ids
                except SoldOut:
                    sold_out += 1
                except StoreBusy:
                    busy += 1
            return bought, sold_out, busy

        with ThreadPoolExecutor(max_workers=16) as pool:
            reports = list(pool.map(buyer, range(16)))
        counted = store.inventory.stock(["sku-flash"])["sku-flash"]
    bought = [key for keys_bought, _, _ in reports for key in keys_bought]
    assert (len(bought), len(set(bought)), sum(r[1] for r in reports), sum(r[2] for r in reports)) == (24, 24, 72, 0)
    assert (counted.available, counted.reserved, len({shard_of(k.key_id) for k in keys}) > 12) == (0, 24, True)


# ---------------------------------------------------------------- imports


def test_duplicate_fingerprints_across_batches_are_counted_exactly(dynamo):
    first = sealed_keys_for("sku-a", 40)
    assert dynamo.inventory.add_card_keys(first).added == 40
    again = [replace(k, key_id=fresh.key_id) for k, fresh in zip(first[:25], sealed_keys_for("sku-a", 25))]
    new = sealed_keys_for("sku-a", 30)
    repeats = [replace(k, key_id=fresh.key_id) for k, fresh in zip(new[:5], sealed_keys_for("sku-a", 5))]
    mixed = [key for trio in zip(again, new, repeats + [None] * 25) for key in trio if key is not None] + new[25:]
    result = dynamo.inventory.add_card_keys(mixed)
    assert (result.added, result.duplicates, len(recorder(dynamo).cancelled) > 0) == (30, 30, True)
    assert (dynamo.inventory.add_card_keys(first).added, dynamo.inventory.stock(["sku-a"])["sku-a"].available) == (0, 70)


def test_importing_a_file_twice_adds_nothing_the_second_time(dynamo):
    keys = sealed_keys_for("sku-a", 150)
    dynamo.inventory.add_card_keys(keys)
    rerun = [replace(k, key_id=fresh.key_id) for k, fresh in zip(keys, sealed_keys_for("sku-a", 150))]
    assert (dynamo.inventory.add_card_keys(rerun).duplicates, dynamo.inventory.stock(["sku-a"])["sku-a"].imported) == (150, 150)


# ---------------------------------------------------------------- what is never done, and what is kept


def test_no_operation_ever_scans_the_table(dynamo):
    dynamo.price_books.put_price_book(PriceBook(station="main", domain="shop.example", currency="CNY", skus={}))
    dynamo.price_books.price_book("main")
    dynamo.inventory.add_card_keys(sealed_keys_for("sku-a", 10))
    dynamo.inventory.stock(["sku-a"])
    placed = dynamo.orders.place_order(an_order("sku-a", quantity=2, station="game-zone"))
    dynamo.orders.set_payment_session(placed.id, "cs_test_1", "https://pay.example/cs_test_1")
    paid = dynamo.orders.apply(OrderChange(placed.id, S.PENDING, S.PAID, event_id="evt_1", due_at=START), START)[1]
    dynamo.orders.due_orders(START + timedelta(minutes=5), 10)
    dynamo.orders.apply(OrderChange(paid.id, S.PAID, S.DELIVERED, keys=KeyMove.SELL, ledger=ledger_for(paid, "main")), START)
    dynamo.inventory.sealed_keys(paid)
    dynamo.orders.orders_of_shopper("shopper-a", 10)
    dynamo.orders.recent_orders(10, station="game-zone", status=S.DELIVERED)
    dynamo.orders.ledger(placed.id)
    dynamo.orders.event_seen("evt_1")
    dynamo.counters.count_hit("lookup:addr:1.2.3.4", 600, START)
    assert recorder(dynamo).operations() <= READS_AND_WRITES and "scan" not in recorder(dynamo).operations()


def test_a_processed_event_outlives_stripes_three_days_of_retries(dynamo):
    dynamo.inventory.add_card_keys(sealed_keys_for("sku-a", 1))
    placed = dynamo.orders.place_order(an_order("sku-a"))
    dynamo.orders.apply(OrderChange(placed.id, S.PENDING, S.PAID, event_id="evt_kept"), START)
    item = recorder(dynamo).get_item(TableName=table(dynamo).name, Key={"pk": {"S": "EVENT#evt_kept"}, "sk": {"S": "EVENT"}})["Item"]
    ttl = recorder(dynamo).describe_time_to_live(TableName=table(dynamo).name)["TimeToLiveDescription"]
    assert int(item["expires"]["N"]) >= (START + timedelta(days=3)).timestamp()
    assert (ttl["AttributeName"], ttl["TimeToLiveStatus"]) == ("expires", "ENABLED")


def test_a_reservation_held_for_payment_moves_the_orders_entry_in_the_due_index(dynamo):
    dynamo.inventory.add_card_keys(sealed_keys_for("sku-a", 1))
    placed = dynamo.orders.place_order(an_order("sku-a", ttl=timedelta(minutes=3)))
    dynamo.orders.apply(hold_for_payment(placed, timedelta(minutes=15), START), START)
    item = table(dynamo).get(layout.order(placed.id), ("duepk", "duesk"))
    assert item == layout.due_index(placed.id, START + timedelta(minutes=15))


def test_the_pay_page_is_kept_beside_the_session_never_in_the_body(dynamo):
    # Set after the order is placed, while a payment may already be changing the body.
    dynamo.inventory.add_card_keys(sealed_keys_for("sku-a", 1))
    placed = dynamo.orders.place_order(an_order("sku-a"))
    dynamo.orders.set_payment_session(placed.id, "cs_test_1", "https://pay.example/cs_test_1")
    item = table(dynamo).get(layout.order(placed.id), ("body", "payment_session", "payment_url"))
    assert (item["payment_session"]["S"], item["payment_url"]["S"]) == ("cs_test_1", "https://pay.example/cs_test_1")
    assert "pay.example" not in item["body"]["S"]


def test_the_table_keeps_backups_encryption_and_a_change_stream():
    properties = yaml.safe_load(TABLE_YAML.read_text(encoding="utf-8"))["Table"]["Properties"]
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": {"Ref": "KeysKey"}}
    assert (properties["StreamSpecification"]["StreamViewType"], properties["BillingMode"]) == (
        "NEW_AND_OLD_IMAGES", "PAY_PER_REQUEST")

