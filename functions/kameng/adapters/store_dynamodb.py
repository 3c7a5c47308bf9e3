"""The store at scale: one DynamoDB table.

Every change is one TransactWriteItems of at most 100 items whose conditions
are the SQLite adapter's WHERE clauses; request paths read by key or by one
partition's query, never by Scan. The table itself is `infra/table.yaml`; the
tests create it from that file, so the two cannot drift.

Key layout (pk, sk are strings; `ss` is the shard, two digits)

| item            | pk                        | sk                | attributes                                             | used by |
| --------------- | ------------------------- | ----------------- | ------------------------------------------------------ | ------- |
| card key        | POOL#<sku>#<ss>           | KEY#<key_id>      | key_id, sku, fingerprint, ciphertext (B), status,      | add_card_keys, place_order, apply, sealed_keys |
|                 |                           |                   | order_id while held, avail (= key_id) only while       |         |
|                 |                           |                   | available: LSI `available` (pk, avail)                 |         |
| shard counter   | POOL#<sku>#<ss>           | COUNT             | available, reserved, sold, void (ADD, in the same      | stock, and every key move |
|                 |                           |                   | transaction as every key move)                         |         |
| fingerprint     | FP#<fingerprint>          | FP                | sku, key_id (put if absent, with its key)              | add_card_keys |
| order           | ORDER#<id>                | ORDER             | body (Order JSON), status, sku, station, key_refs      | place_order, apply, order, set_payment_session |
|                 |                           |                   | ("<shard>/<key_id>"), payment_session,                 |         |
|                 |                           |                   | gsi1pk SHOPPER#<shopper_key>, gsi1sk <id> (by_shopper) |         |
|                 |                           |                   | duepk DUE#<n> / duesk <due_at> only while due (due),   |         |
|                 |                           |                   | recentpk RECENT#<n> / recentsk <id> (recent)           |         |
| ledger entry    | ORDER#<order_id>          | LEDGER#<seq:03d>  | account, amount, currency, memo                        | apply (SELL), ledger |
| processed event | EVENT#<event_id>          | EVENT             | order_id, processed_at, expires (+30 days)             | apply, event_seen |
| price book      | STATION#<station>         | PRICEBOOK         | version, body (zlib JSON, B)                           | put_price_book, price_book |
| rate window     | RATE#<bucket>#<window>    | RATE              | hits (ADD), expires (after the window)                 | count_hit |
| sign-in link    | SIGNIN#<token hash>       | SIGNIN            | shopper_key, station, email_masked, expires_at,        | put_sign_in, use_sign_in |
|                 |                           |                   | used_at (set once, conditionally), expires (TTL, a day |         |
|                 |                           |                   | after expires_at; expiry is checked in code)           |         |
| low-stock flag  | ALERT#<sku>               | ALERT             | alerted (BOOL), set and cleared under a condition      | stock, set_low_stock_alert |
| flash-sale count| FLASH#<station>#<sale id> | TOTAL,            | sold (ADD n under `sold <= cap - n` in the order's     | place_order, apply (RESERVE, RETURN) |
|                 |                           | SHOPPER#<shopper> | reservation; ADD -n when its keys are returned)        |         |
| daily count     | DAILY#<station>#<sku>#<YYYY-MM-DD> | SHOPPER#<shopper> | sold, as the flash-sale counts                | place_order, apply (RESERVE, RETURN) |
| coupon uses     | COUPON#<station>#<code>   | TOTAL,            | sold: orders holding a use, as the flash-sale counts   | place_order, apply, coupons_of, quota_count |
|                 |                           | SHOPPER#<shopper> |                                                        |         |
| coupon          | COUPON#<station>#<code>   | COUPON            | body (IssuedCoupon JSON), owner                        | coupon |
| member          | MEMBER#<station>#<shopper>| MEMBER            | spend, points, orders (ADD in the order's delivery and | member, apply (SELL, FLAG_REFUNDED), |
|                 |                           |                   | refund), referral_code, referrer, ancestors (L),       | bind_referrer, redeem_points |
|                 |                           |                   | invitees                                               |         |
| member's coupon | MEMBER#<station>#<shopper>| COUPON#<code>     | body (written with the COUPON item)                    | coupons_of |
| earning         | MEMBER#<station>#<referrer>| EARN#<order>#<n> | amount, available_at, reversed (BOOL)                  | earnings, apply |
| referral code   | REFCODE#<station>#<code>  | REFCODE           | shopper_key (put if absent)                            | open_member, member_by_code |
| withdrawal      | WITHDRAWALS#<station>     | <withdrawal id>   | body (Withdrawal JSON), status; with a copy at         | request_withdrawal, withdrawals, |
|                 |                           |                   | MEMBER#<station>#<referrer> / WITHDRAW#<id>; the       | withdrawals_of, settle_withdrawal |
|                 |                           |                   | member's `withdrawn` moves in the same transaction     |         |

The quota counts (domain/quota.py) ride in the reservation's transaction: at
most 5 items (a sale's TOTAL, the shopper's share of it, the shopper's day, a
coupon's TOTAL and the shopper's uses of it), which stays within the delivery
transaction's EXTRA_ALLOWANCE (its ledger entries, the member, at most three
earnings and a reward coupon's two items). A sale's TOTAL
is one item every buyer of the sale writes: about 1,000 orders/s at most, and
racing reservations conflict on it (retried with jitter like the counters).

A refunded order's sold keys get `refunded` (BOOL) in the refund's transaction;
its reversal entries continue the order's LEDGER#<seq> numbering.

Shard of a key: blake2b(key_id) mod `shards`, so a key's item never moves and
an import spreads a SKU over every shard. The order records its keys as
"<shard>/<key_id>" refs, so changing `shards` later still finds every held key;
shards may grow but never shrink (stock() reads counters 0..shards-1).

A hot SKU: one pool partition takes about 1,000 WCU/s; an item of at most
1 KB written in a transaction costs 2 WCU, and an LSI entry added or removed
is counted at the same rate to stay on the safe side. An order of N keys taken
from one shard writes in that shard's partition:

    reserve: N keys + 1 counter + N LSI entries removed = 2(N+1) + 2N WCU
    sell:    N keys + 1 counter                         = 2(N+1)     WCU
    total:   6N + 4 WCU  (N = 1: 10 WCU)

so one shard sustains 1,000 / 10 = 100 single-key orders/s and the default 64
shards 6,400 orders/s (5,000 orders/s uses 78% of every pool partition; 16
shards would stop at 1,600). At N = 5 (34 WCU) the same 64 shards carry 1,882
orders/s, 9,411 keys/s. `hot_sku_orders_per_second` computes these figures. A
reservation that lapses costs its shard 6N + 2 WCU more (keys and LSI entries
come back). The 1,000 WCU/s is a hard ceiling per shard: with an LSI a pk's
items stay in one partition (and under 10 GB, about 20 million keys), so
DynamoDB cannot split a pool for heat.

Not in that arithmetic: both transactions of an order touch its shard's
counter, and DynamoDB cancels a transaction that overlaps another on the same
item (TransactionConflict, retried here with jitter). At 5,000 orders/s each
counter sees about 156 transactions/s; a load test on real DynamoDB should
confirm the conflict rate, and `shards` is the knob if it is high.

The order indexes are sharded for the same reason. `due` changes its key at
placing, paying and delivering (a key change is a delete plus a put in a GSI):
about 4 index writes per order, 20,000/s at 5,000 orders/s, so 32 `DUE#<n>`
partitions (625/s each). `recent` and `by_shopper` are written once per order
(KEYS_ONLY, or `station` only, neither of which ever changes), so 8 `RECENT#<n>`
partitions take 625/s each. Order bodies are read back from the table with
strongly consistent BatchGetItem, never from an index.
"""
from __future__ import annotations

import hashlib
import heapq
import itertools
import random
import time
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Iterator, Sequence

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from kameng.domain.errors import Busy, SoldOut
from kameng.domain.ids import id_floor
from kameng.domain.member import Earning, IssuedCoupon, Member, Withdrawal, WithdrawalStatus
from kameng.domain.order import Applied, KeyMove, LedgerEntry, Order, OrderChange, OrderStatus
from kameng.domain.price_book import PriceBook
from kameng.domain.quota import EVERYONE, Quota
from kameng.ports import (
    MAX_KEYS_PER_ORDER, Conflict, Duplicate, ImportResult, SealedKey, SignInGrant, StockCount, Store, UnknownRecord,
)

DEFAULT_SHARDS = 64
MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit for one TransactWriteItems
MAX_BATCH_GET = 100  # and for one BatchGetItem
MAX_ITEM_BYTES = 400 * 1024
# A delivery writes the order, its event, its keys, their counters, its ledger entries
# (at most 13: paid, sale or wholesale and margin, two discounts, the platform fee twice,
# three commissions twice), the shopper's member item, three earnings and a reward
# coupon's two items in one transaction; a reservation keeps its shards few enough for that.
EXTRA_ALLOWANCE = 20
PARTITION_WCU = 1000
TRANSACTIONAL_WCU = 2
DUE_PARTITIONS = 32
RECENT_PARTITIONS = 8
# Stripe retries a webhook for 3 days; the record outlives that by far.
EVENT_KEPT_FOR = timedelta(days=30)
# Each lost race means another buyer won a key, so retries end quickly.
ATTEMPTS = 12
IMPORT_WORKERS = 8
SOLD_OUT = "库存不足，该商品已售罄"
TOO_SPREAD = "剩余库存过于分散，无法一次购买这么多，请减少数量"

_MOVES = {
    # move: (status the key must have, status it gets, counter deltas)
    KeyMove.RESERVE: ("available", "reserved", {"available": -1, "reserved": 1}),
    KeyMove.RETURN: ("reserved", "available", {"reserved": -1, "available": 1}),
    KeyMove.SELL: ("reserved", "sold", {"reserved": -1, "sold": 1}),
}
_COUNTS = ("available", "reserved", "sold", "void")
ORDER_READ = ("body", "status", "key_refs", "payment_session")
_random = random.Random()


class StoreBusy(Busy):
    """Keys remain, but every attempt lost a race or a transaction conflict: the caller may retry (503)."""

    def __init__(self, detail: str):
        super().__init__("购买人数过多，请稍后重试")
        self.detail = detail


# Why DynamoDB may cancel a transaction that is worth trying again ("None": this item was fine).
_RETRYABLE = {"None", "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}


class _Cancelled(Exception):
    def __init__(self, reasons: list[str]):
        super().__init__(reasons)
        self.reasons = reasons

    def failed(self) -> set[int]:
        return {i for i, code in enumerate(self.reasons) if code == "ConditionalCheckFailed"}


def shard_wcu_per_order(quantity: int = 1) -> int:
    reserve = TRANSACTIONAL_WCU * (quantity + 1) + TRANSACTIONAL_WCU * quantity
    sell = TRANSACTIONAL_WCU * (quantity + 1)
    return reserve + sell


def hot_sku_orders_per_second(shards: int = DEFAULT_SHARDS, quantity: int = 1) -> float:
    return shards * PARTITION_WCU / shard_wcu_per_order(quantity)


def _bucket(text: str, n: int) -> int:
    # Python's hash() changes per process; the shard of a key must not.
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") % n


def shard_of(key_id: str, shards: int = DEFAULT_SHARDS) -> int:
    return _bucket(key_id, shards)


def _s(text: str) -> dict:
    return {"S": text}


def _n(number: int) -> dict:
    return {"N": str(number)}


def _ts(moment: datetime) -> str:
    # Fixed-width UTC text sorts like the instants it names (the SQLite adapter's format).
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _pool(sku: str, shard: int) -> str:
    return f"POOL#{sku}#{shard:02d}"


def _order_key(order_id: str) -> dict:
    return {"pk": _s(f"ORDER#{order_id}"), "sk": _s("ORDER")}


def _alert_key(sku: str) -> dict:
    return {"pk": _s(f"ALERT#{sku}"), "sk": _s("ALERT")}


def _quota_key(quota: Quota) -> dict:
    return {"pk": _s(quota.counter), "sk": _s("TOTAL" if quota.holder == EVERYONE else f"SHOPPER#{quota.holder}")}


def _quota_items(table: str, order: Order, take: bool) -> list[dict]:
    """Take the order's quantity from each of its quotas (only within the cap), or give it back."""
    items = []
    for quota in order.quotas:
        units = quota.units(order.quantity)
        if take and units > quota.cap:
            # The condition below lets a counter's first use through: more than the cap never fits.
            raise quota.refusal()
        update: dict = {
            "TableName": table, "Key": _quota_key(quota), "UpdateExpression": "ADD #sold :n",
            "ExpressionAttributeNames": {"#sold": "sold"},
            "ExpressionAttributeValues": {":n": _n(units if take else -units)},
        }
        if take:
            update["ConditionExpression"] = "attribute_not_exists(#sold) OR #sold <= :room"
            update["ExpressionAttributeValues"][":room"] = _n(quota.cap - units)
        items.append({"Update": update})
    return items


def _member_key(station: str, shopper_key: str) -> dict:
    return {"pk": _s(f"MEMBER#{station}#{shopper_key}"), "sk": _s("MEMBER")}


def _coupon_key(station: str, code: str) -> dict:
    return {"pk": _s(f"COUPON#{station}#{code}"), "sk": _s("COUPON")}


def _refcode_key(station: str, code: str) -> dict:
    return {"pk": _s(f"REFCODE#{station}#{code}"), "sk": _s("REFCODE")}


def _member_from(station: str, shopper_key: str, item: dict | None) -> Member:
    if item is None:
        return Member(station=station, shopper_key=shopper_key)

    def number(name: str) -> int:
        return int(item.get(name, {}).get("N", "0"))

    return Member(
        station=station, shopper_key=shopper_key, spend=number("spend"), points=number("points"),
        orders=number("orders"), invitees=number("invitees"), withdrawn=number("withdrawn"),
        referral_code=item.get("referral_code", {}).get("S"), referrer=item.get("referrer", {}).get("S"),
        ancestors=tuple(a["S"] for a in item.get("ancestors", {}).get("L", [])),
    )


def _coupon_puts(table: str, coupons: Iterable[IssuedCoupon]) -> list[dict]:
    """A coupon by its code, and in its owner's member partition for the account page.

    Its uses live in its quota counter, so writing the same coupon again changes nothing.
    """
    items = []
    for coupon in coupons:
        body = _s(coupon.model_dump_json())
        items.append({"Put": {"TableName": table, "Item": _coupon_key(coupon.station, coupon.code)
                              | {"body": body, "owner": _s(coupon.owner)}}})
        items.append({"Put": {"TableName": table, "Item": {
            "pk": _s(f"MEMBER#{coupon.station}#{coupon.owner}"), "sk": _s(f"COUPON#{coupon.code}"), "body": body}}})
    return items


def _earning_key(earning: Earning) -> dict:
    return {"pk": _s(f"MEMBER#{earning.station}#{earning.referrer}"),
            "sk": _s(f"EARN#{earning.order_id}#{earning.level}")}


def _credit_items(table: str, change: OrderChange) -> list[dict]:
    """The shopper's counters, the referrers' earnings and the coupons that move with an order."""
    items = []
    delta = change.member
    if delta is not None:
        items.append({"Update": {
            "TableName": table, "Key": _member_key(delta.station, delta.shopper_key),
            "UpdateExpression": "ADD #spend :spend, #points :points, #orders :orders",
            "ExpressionAttributeNames": {"#spend": "spend", "#points": "points", "#orders": "orders"},
            "ExpressionAttributeValues": {":spend": _n(delta.spend), ":points": _n(delta.points),
                                          ":orders": _n(delta.orders)},
        }})
    for earning in change.earnings:
        if earning.reversed:
            # A reversal marks what was credited; the holding period it had stays as it was.
            items.append({"Update": {
                "TableName": table, "Key": _earning_key(earning), "UpdateExpression": "SET #reversed = :yes",
                "ConditionExpression": "attribute_exists(pk)", "ExpressionAttributeNames": {"#reversed": "reversed"},
                "ExpressionAttributeValues": {":yes": {"BOOL": True}},
            }})
        else:
            items.append({"Put": {"TableName": table, "Item": _earning_key(earning) | {
                "amount": _n(earning.amount), "available_at": _s(_ts(earning.available_at))}}})
    return items + _coupon_puts(table, change.coupons)


def _event_key(event_id: str) -> dict:
    return {"pk": _s(f"EVENT#{event_id}"), "sk": _s("EVENT")}


def _refs(picks: dict[int, list[str]]) -> list[str]:
    return [f"{shard}/{key_id}" for shard, key_ids in sorted(picks.items()) for key_id in sorted(key_ids)]


def _picks(refs: Iterable[str]) -> dict[int, list[str]]:
    picks: dict[int, list[str]] = {}
    for ref in refs:
        shard, key_id = ref.split("/", 1)
        picks.setdefault(int(shard), []).append(key_id)
    return picks


def _key_ids(picks: dict[int, list[str]]) -> tuple[str, ...]:
    return tuple(sorted(key_id for key_ids in picks.values() for key_id in key_ids))


def _stored_refs(item: dict) -> list[str]:
    return [ref["S"] for ref in item.get("key_refs", {}).get("L", [])]


def _order_from(item: dict) -> Order:
    order = Order.model_validate_json(item["body"]["S"])
    # The session id is its own attribute so that setting it never races a status change.
    if "payment_session" in item:
        order = order.model_copy(update={"payment_session": item["payment_session"]["S"]})
    return order


def _pause(attempt: int) -> None:
    # Full jitter: racing buyers spread out instead of colliding again.
    time.sleep(_random.uniform(0, min(0.2, 0.005 * 2 ** attempt)))


class DynamoStore:
    def __init__(self, table_name: str, client: Any = None, shards: int = DEFAULT_SHARDS):
        if shards < 1:
            raise ValueError("shards must be at least 1")
        self.table = table_name
        self.shards = shards
        self.client = client or boto3.client("dynamodb", config=Config(retries={"mode": "standard", "max_attempts": 8}))

    # ------------------------------------------------------------ low level

    def _transact(self, items: list[dict]) -> None:
        if len(items) > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"a transaction of {len(items)} items is over DynamoDB's {MAX_TRANSACTION_ITEMS}")
        try:
            # The token makes botocore's own retry of a timed-out call a no-op instead of a false conflict.
            self.client.transact_write_items(TransactItems=items, ClientRequestToken=uuid.uuid4().hex)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]
            if set(reasons) - _RETRYABLE - {"ConditionalCheckFailed"}:
                # An item too large, an item collection over 10 GB: retrying cannot help.
                raise RuntimeError(f"DynamoDB refused the transaction: {reasons}") from error
            raise _Cancelled(reasons) from None

    def _transact_or_refuse(self, items: list[dict], what: str) -> bool:
        """True once the transaction applies, False if a condition refused it; a conflict with
        another transaction (nothing refused) is tried again with jitter."""
        for attempt in range(ATTEMPTS):
            try:
                self._transact(items)
                return True
            except _Cancelled as cancelled:
                if cancelled.failed():
                    return False
                _pause(attempt)
        raise StoreBusy(f"{what} kept conflicting")

    def _get(self, key: dict, attributes: Sequence[str] = ()) -> dict | None:
        params: dict = {"TableName": self.table, "Key": key, "ConsistentRead": True}
        if attributes:
            params["ProjectionExpression"] = ", ".join(f"#a{i}" for i in range(len(attributes)))
            params["ExpressionAttributeNames"] = {f"#a{i}": name for i, name in enumerate(attributes)}
        return self.client.get_item(**params).get("Item")

    def _batch_get(self, keys: list[dict], attributes: Sequence[str] = ()) -> list[dict]:
        unique = list({(k["pk"]["S"], k["sk"]["S"]): k for k in keys}.values())
        found: list[dict] = []
        for start in range(0, len(unique), MAX_BATCH_GET):
            request: dict = {self.table: {"Keys": unique[start:start + MAX_BATCH_GET], "ConsistentRead": True}}
            if attributes:
                request[self.table] |= {
                    "ProjectionExpression": ", ".join(f"#a{i}" for i in range(len(attributes))),
                    "ExpressionAttributeNames": {f"#a{i}": name for i, name in enumerate(attributes)},
                }
            for attempt in range(ATTEMPTS):
                response = self.client.batch_get_item(RequestItems=request)
                found.extend(response.get("Responses", {}).get(self.table, []))
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                _pause(attempt)
            else:
                raise StoreBusy("DynamoDB kept keys unprocessed")
        return found

    def _query(self, **params: Any) -> Iterator[dict]:
        params["TableName"] = self.table
        while True:
            response = self.client.query(**params)
            yield from response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # ------------------------------------------------------------ price books

    def put_price_book(self, book: PriceBook) -> None:
        # A thousand SKUs of JSON come near the 400 KB item limit; compressed they are a tenth of it.
        body = zlib.compress(book.model_dump_json().encode(), 6)
        if len(body) > MAX_ITEM_BYTES - 1024:
            raise ValueError(f"price book of {book.station} is {len(body)} bytes compressed, over DynamoDB's 400 KB item")
        self.client.put_item(TableName=self.table, Item={
            "pk": _s(f"STATION#{book.station}"), "sk": _s("PRICEBOOK"), "version": _s(book.version), "body": {"B": body},
        })

    def price_book(self, station: str) -> PriceBook | None:
        item = self._get({"pk": _s(f"STATION#{station}"), "sk": _s("PRICEBOOK")})
        return None if item is None else PriceBook.model_validate_json(zlib.decompress(item["body"]["B"]))

    # ------------------------------------------------------------ stock

    def shard_of(self, key_id: str) -> int:
        return shard_of(key_id, self.shards)

    def add_card_keys(self, keys: Sequence[SealedKey]) -> ImportResult:
        fingerprints: set[str] = set()
        key_ids: set[str] = set()
        fresh: list[SealedKey] = []
        for key in keys:
            # One transaction cannot touch an item twice: repeats within the batch are duplicates here.
            if key.fingerprint in fingerprints or key.key_id in key_ids:
                continue
            fingerprints.add(key.fingerprint)
            key_ids.add(key.key_id)
            fresh.append(key)
        packs = self._packs(fresh)
        if len(packs) <= 1:
            added = sum(self._add_pack(pack) for pack in packs)
        else:
            with ThreadPoolExecutor(max_workers=min(IMPORT_WORKERS, len(packs))) as workers:
                added = sum(workers.map(self._add_pack, packs))
        return ImportResult(added=added, duplicates=len(keys) - added)

    def _packs(self, keys: list[SealedKey]) -> list[dict[tuple[str, int], list[SealedKey]]]:
        """Transactions of at most 100 items: each key and its fingerprint, one counter per pool touched.

        A big import fills a transaction from one pool (49 keys, 49 fingerprints, 1 counter);
        a small one mixes pools (33 keys over 33 shards). Pools are taken in turn, so
        neighbouring transactions write different partitions.
        """
        pools: dict[tuple[str, int], list[SealedKey]] = {}
        for key in keys:
            pools.setdefault((key.sku, self.shard_of(key.key_id)), []).append(key)
        per_chunk = (MAX_TRANSACTION_ITEMS - 1) // 2
        queues = [[(pool, held[i:i + per_chunk]) for i in range(0, len(held), per_chunk)] for pool, held in pools.items()]
        chunks = [chunk for layer in itertools.zip_longest(*queues) for chunk in layer if chunk is not None]
        packs: list[dict[tuple[str, int], list[SealedKey]]] = []
        current: dict[tuple[str, int], list[SealedKey]] = {}
        used = 0
        for pool, part in chunks:
            while part:
                counter = 0 if pool in current else 1
                room = (MAX_TRANSACTION_ITEMS - used - counter) // 2
                if room <= 0:
                    packs.append(current)
                    current, used = {}, 0
                    continue
                current.setdefault(pool, []).extend(part[:room])
                used += 2 * len(part[:room]) + counter
                part = part[room:]
        if current:
            packs.append(current)
        return packs

    def _add_pack(self, pack: dict[tuple[str, int], list[SealedKey]]) -> int:
        pending = {pool: list(held) for pool, held in pack.items()}
        conflicts = 0
        while True:
            pending = {pool: held for pool, held in pending.items() if held}
            if not pending:
                return 0
            items: list[dict] = []
            owners: list[SealedKey] = []
            for (sku, shard), held in pending.items():
                for key in held:
                    items += [self._key_put(key, shard), self._fingerprint_put(key)]
                    owners += [key, key]
            items += [self._counter_update(sku, shard, {"available": len(held)}) for (sku, shard), held in pending.items()]
            try:
                self._transact(items)
                return sum(len(held) for held in pending.values())
            except _Cancelled as cancelled:
                # A held fingerprint (or key id) cancels the whole transaction: drop exactly those keys, write the rest.
                duplicates = {id(owners[i]) for i in cancelled.failed() if i < len(owners)}
                if duplicates:
                    pending = {pool: [k for k in held if id(k) not in duplicates] for pool, held in pending.items()}
                    continue
                conflicts += 1
                if conflicts >= ATTEMPTS:
                    raise StoreBusy(f"import kept conflicting: {cancelled.reasons}") from None
                _pause(conflicts)

    def _key_put(self, key: SealedKey, shard: int) -> dict:
        return {"Put": {
            "TableName": self.table,
            "Item": {
                "pk": _s(_pool(key.sku, shard)), "sk": _s(f"KEY#{key.key_id}"), "key_id": _s(key.key_id),
                "sku": _s(key.sku), "fingerprint": _s(key.fingerprint), "ciphertext": {"B": key.ciphertext},
                "status": _s("available"), "avail": _s(key.key_id),
            },
            "ConditionExpression": "attribute_not_exists(pk)",
        }}

    def _fingerprint_put(self, key: SealedKey) -> dict:
        return {"Put": {
            "TableName": self.table,
            "Item": {"pk": _s(f"FP#{key.fingerprint}"), "sk": _s("FP"), "sku": _s(key.sku), "key_id": _s(key.key_id)},
            "ConditionExpression": "attribute_not_exists(pk)",
        }}

    def _counter_update(self, sku: str, shard: int, deltas: dict[str, int]) -> dict:
        names = {f"#{name}": name for name in deltas}
        values = {f":{name}": _n(n) for name, n in deltas.items()}
        return {"Update": {
            "TableName": self.table,
            "Key": {"pk": _s(_pool(sku, shard)), "sk": _s("COUNT")},
            "UpdateExpression": "ADD " + ", ".join(f"#{name} :{name}" for name in deltas),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }}

    def stock(self, skus: Iterable[str]) -> dict[str, StockCount]:
        wanted = sorted(set(skus))
        totals = {sku: dict.fromkeys(_COUNTS, 0) for sku in wanted}
        alerted = dict.fromkeys(wanted, False)
        keys = [{"pk": _s(_pool(sku, shard)), "sk": _s("COUNT")} for sku in wanted for shard in range(self.shards)]
        # The low-stock flag comes in the same round trip as the counters.
        keys += [_alert_key(sku) for sku in wanted]
        for item in self._batch_get(keys, ("pk", "alerted") + _COUNTS):
            if item["pk"]["S"].startswith("ALERT#"):
                alerted[item["pk"]["S"][len("ALERT#"):]] = item.get("alerted", {}).get("BOOL", False)
                continue
            sku = item["pk"]["S"][len("POOL#"):].rsplit("#", 1)[0]
            for name in _COUNTS:
                totals[sku][name] += int(item.get(name, {"N": "0"})["N"])
        return {sku: StockCount(**counts, low_alerted=alerted[sku]) for sku, counts in totals.items()}

    def set_low_stock_alert(self, sku: str, alerted: bool) -> bool:
        condition = "attribute_not_exists(#alerted) OR #alerted = :was" if alerted else "#alerted = :was"
        try:
            self.client.update_item(
                TableName=self.table, Key=_alert_key(sku), UpdateExpression="SET #alerted = :now",
                ConditionExpression=condition, ExpressionAttributeNames={"#alerted": "alerted"},
                ExpressionAttributeValues={":now": {"BOOL": alerted}, ":was": {"BOOL": not alerted}},
            )
            return True
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise

    def _shard_counts(self, sku: str) -> dict[int, int]:
        keys = [{"pk": _s(_pool(sku, shard)), "sk": _s("COUNT")} for shard in range(self.shards)]
        available = dict.fromkeys(range(self.shards), 0)
        for item in self._batch_get(keys, ("pk", "available")):
            available[int(item["pk"]["S"].rsplit("#", 1)[1])] = int(item.get("available", {"N": "0"})["N"])
        return available

    # ------------------------------------------------------------ reserving

    def _available_in(self, sku: str, shard: int, wanted: int) -> list[str]:
        response = self.client.query(
            TableName=self.table, IndexName="available", KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": _s(_pool(sku, shard))}, ConsistentRead=True,
            # A few more than needed, picked at random, so racing buyers rarely want the same key.
            Limit=min(2 * wanted + 4, 100),
        )
        found = [item["avail"]["S"] for item in response.get("Items", [])]
        return _random.sample(found, min(wanted, len(found)))

    def _find_available(self, sku: str, quantity: int) -> dict[int, list[str]]:
        """Keys to reserve, by shard, from as few shards as one delivery transaction can hold; or SoldOut."""
        most_shards = MAX_TRANSACTION_ITEMS - 2 - EXTRA_ALLOWANCE - quantity
        order = list(range(self.shards))
        _random.shuffle(order)
        picks: dict[int, list[str]] = {}
        found = self._available_in(sku, order[0], quantity)
        if found:
            picks[order[0]] = found
        remaining = quantity - len(found)
        if remaining == 0:
            return picks
        # The first shard fell short: the counters say where keys are, and whether enough exist at all.
        available = self._shard_counts(sku)
        if sum(available.values()) < quantity:
            raise SoldOut(SOLD_OUT)
        rest = [shard for shard in order[1:] if available[shard] > 0]
        # Fuller shards first keeps a big order within one transaction; the shuffle breaks ties.
        rest.sort(key=lambda shard: -min(available[shard], remaining))
        for shard in rest:
            if len(picks) >= most_shards:
                raise SoldOut(TOO_SPREAD)
            found = self._available_in(sku, shard, remaining)
            if found:
                picks[shard] = found
                remaining -= len(found)
                if remaining == 0:
                    return picks
        raise SoldOut(SOLD_OUT)

    def _lost_races(self, sku: str, quantity: int) -> Exception:
        # Sold out only when the counters say so; otherwise the caller should try again.
        if sum(self._shard_counts(sku).values()) < quantity:
            return SoldOut(SOLD_OUT)
        return StoreBusy(f"keys of {sku} remain but {ATTEMPTS} attempts to reserve them lost a race")

    def _move_items(self, sku: str, order_id: str, picks: dict[int, list[str]], move: KeyMove) -> list[dict]:
        if move is KeyMove.NONE or not picks:
            return []
        if move is KeyMove.FLAG_REFUNDED:
            # Sold stays sold: no counter moves, so the stock equation is untouched.
            return [{"Update": {
                "TableName": self.table, "Key": {"pk": _s(_pool(sku, shard)), "sk": _s(f"KEY#{key_id}")},
                "UpdateExpression": "SET #refunded = :yes",
                "ConditionExpression": "#status = :sold AND #order = :order",
                "ExpressionAttributeNames": {"#refunded": "refunded", "#status": "status", "#order": "order_id"},
                "ExpressionAttributeValues": {":yes": {"BOOL": True}, ":sold": _s("sold"), ":order": _s(order_id)},
            }} for shard, key_ids in sorted(picks.items()) for key_id in key_ids]
        before, after, deltas = _MOVES[move]
        values = {":before": _s(before), ":after": _s(after), ":order": _s(order_id)}
        if move is KeyMove.RESERVE:
            update, condition = "SET #status = :after, #order = :order REMOVE #avail", "#status = :before"
        elif move is KeyMove.RETURN:
            update, condition = "SET #status = :after, #avail = #key_id REMOVE #order", "#status = :before AND #order = :order"
        else:
            update, condition = "SET #status = :after", "#status = :before AND #order = :order"
        names = {"#status": "status", "#order": "order_id", "#avail": "avail", "#key_id": "key_id"}
        items = []
        for shard, key_ids in sorted(picks.items()):
            for key_id in key_ids:
                used = {name: attr for name, attr in names.items() if name in update or name in condition}
                items.append({"Update": {
                    "TableName": self.table,
                    "Key": {"pk": _s(_pool(sku, shard)), "sk": _s(f"KEY#{key_id}")},
                    "UpdateExpression": update, "ConditionExpression": condition,
                    "ExpressionAttributeNames": used,
                    "ExpressionAttributeValues": {k: v for k, v in values.items() if k in update or k in condition},
                }})
        for shard, key_ids in sorted(picks.items()):
            items.append(self._counter_update(sku, shard, {name: d * len(key_ids) for name, d in deltas.items()}))
        return items

    # ------------------------------------------------------------ orders

    def _order_attributes(self, order: Order, refs: list[str]) -> dict:
        attributes = {
            "body": _s(order.model_dump_json()), "status": _s(order.status.value), "sku": _s(order.sku),
            "station": _s(order.station), "key_refs": {"L": [_s(ref) for ref in refs]},
            "gsi1pk": _s(f"SHOPPER#{order.shopper_key}"), "gsi1sk": _s(order.id),
            "recentpk": _s(f"RECENT#{_bucket(order.id, RECENT_PARTITIONS)}"), "recentsk": _s(order.id),
        }
        if order.due_at is not None:
            attributes |= {"duepk": _s(f"DUE#{_bucket(order.id, DUE_PARTITIONS):02d}"), "duesk": _s(_ts(order.due_at))}
        if order.payment_session is not None:
            attributes["payment_session"] = _s(order.payment_session)
        return attributes

    def place_order(self, order: Order) -> Order:
        if not 1 <= order.quantity <= MAX_KEYS_PER_ORDER:
            raise ValueError(f"an order holds 1 to {MAX_KEYS_PER_ORDER} keys, not {order.quantity}")
        for attempt in range(ATTEMPTS):
            picks = self._find_available(order.sku, order.quantity)
            placed = order.model_copy(update={"key_ids": _key_ids(picks)})
            items = [{"Put": {
                "TableName": self.table,
                "Item": _order_key(placed.id) | self._order_attributes(placed, _refs(picks)),
                "ConditionExpression": "attribute_not_exists(pk)",
            }}] + _quota_items(self.table, order, take=True) + self._move_items(order.sku, placed.id, picks, KeyMove.RESERVE)
            try:
                self._transact(items)
                return placed
            except _Cancelled as cancelled:
                if 0 in cancelled.failed():
                    raise Duplicate(f"order {order.id} already exists") from None
                for i, quota in enumerate(order.quotas, start=1):
                    if i in cancelled.failed():
                        raise quota.refusal() from None
                _pause(attempt)
        raise self._lost_races(order.sku, order.quantity)

    def _refusal(self, change: OrderChange) -> Applied:
        if change.event_id is not None and self.event_seen(change.event_id):
            return Applied.DUPLICATE
        return Applied.CONFLICT

    def apply(self, change: OrderChange, now: datetime) -> tuple[Applied, Order | None]:
        for attempt in range(ATTEMPTS):
            item = self._get(_order_key(change.order_id), ORDER_READ)
            if item is None or item["status"]["S"] != change.from_status.value:
                return self._refusal(change), None
            order = _order_from(item)
            refs = _stored_refs(item)
            updates = change.order_fields(now)
            picks: dict[int, list[str]] = {}
            if change.keys is KeyMove.RESERVE:
                try:
                    picks = self._find_available(order.sku, order.quantity)
                except SoldOut:
                    if self._refusal(change) is Applied.DUPLICATE:
                        return Applied.DUPLICATE, None
                    current = self._get(_order_key(change.order_id), ("status",))
                    if current is None or current["status"]["S"] != change.from_status.value:
                        return Applied.CONFLICT, None
                    raise
                refs = _refs(picks)
                updates["key_ids"] = _key_ids(picks)
                updates["expires_at"] = change.reservation_expires_at or order.expires_at
            elif change.keys is not KeyMove.NONE:
                picks = _picks(refs)
                if change.keys in (KeyMove.SELL, KeyMove.FLAG_REFUNDED) and len(refs) != order.quantity:
                    if self._refusal(change) is Applied.DUPLICATE:
                        return Applied.DUPLICATE, None
                    raise RuntimeError(f"order {order.id} holds {len(refs)} reserved keys, expected {order.quantity}")
                if change.keys is KeyMove.RETURN:
                    refs = []
                    updates["key_ids"] = ()
            updated = order.model_copy(update=updates)
            items = [self._order_update(updated, change.from_status, refs)]
            if change.event_id is not None:
                items.append(self._event_put(change, now))
            # A late payment takes its quotas again (within the caps); returned keys give them back.
            quotas = _quota_items(self.table, order, take=True) if change.keys is KeyMove.RESERVE else (
                _quota_items(self.table, order, take=False) if change.keys is KeyMove.RETURN else [])
            quotas_at = range(len(items), len(items) + len(quotas))
            items += quotas
            moves = self._move_items(order.sku, order.id, picks, change.keys)
            keys_at = set(range(len(items), len(items) + sum(len(ids) for ids in picks.values())))
            items += moves
            items += [self._ledger_put(seq, entry) for seq, entry in enumerate(change.ledger, start=change.ledger_from)]
            items += _credit_items(self.table, change)
            try:
                self._transact(items)
                return Applied.DONE, updated
            except _Cancelled as cancelled:
                failed = cancelled.failed()
                if change.event_id is not None and 1 in failed:
                    return Applied.DUPLICATE, None
                if 0 in failed:
                    return self._refusal(change), None
                for i, quota in zip(quotas_at, order.quotas):
                    if i in failed and change.keys is KeyMove.RESERVE:
                        raise quota.refusal() from None
                lost_a_race = change.keys is KeyMove.RESERVE and failed <= keys_at
                if failed and not lost_a_race:
                    raise RuntimeError(f"order {order.id}: its keys or ledger are not as the order says ({cancelled.reasons})") from None
                _pause(attempt)
        if change.keys is KeyMove.RESERVE:
            raise self._lost_races(order.sku, order.quantity)
        raise StoreBusy(f"order {change.order_id} kept conflicting")

    def _order_update(self, order: Order, from_status: OrderStatus, refs: list[str]) -> dict:
        values = {":body": _s(order.model_dump_json()), ":to": _s(order.status.value),
                  ":from": _s(from_status.value), ":refs": {"L": [_s(ref) for ref in refs]}}
        update = "SET #body = :body, #st = :to, #refs = :refs"
        names = {"#body": "body", "#st": "status", "#refs": "key_refs", "#duepk": "duepk", "#duesk": "duesk"}
        if order.due_at is None:
            update += " REMOVE #duepk, #duesk"
        else:
            update += ", #duepk = :duepk, #duesk = :duesk"
            values |= {":duepk": _s(f"DUE#{_bucket(order.id, DUE_PARTITIONS):02d}"), ":duesk": _s(_ts(order.due_at))}
        return {"Update": {
            "TableName": self.table, "Key": _order_key(order.id), "UpdateExpression": update,
            "ConditionExpression": "#st = :from", "ExpressionAttributeNames": names, "ExpressionAttributeValues": values,
        }}

    def _event_put(self, change: OrderChange, now: datetime) -> dict:
        return {"Put": {
            "TableName": self.table,
            "Item": _event_key(change.event_id) | {
                "order_id": _s(change.order_id), "processed_at": _s(_ts(now)),
                # TTL only tidies up; nothing reads `expires` to decide anything.
                "expires": _n(int((now + EVENT_KEPT_FOR).timestamp())),
            },
            "ConditionExpression": "attribute_not_exists(pk)",
        }}

    def _ledger_put(self, seq: int, entry: LedgerEntry) -> dict:
        return {"Put": {
            "TableName": self.table,
            "Item": {
                "pk": _s(f"ORDER#{entry.order_id}"), "sk": _s(f"LEDGER#{seq:03d}"), "account": _s(entry.account),
                "amount": _n(entry.amount), "currency": _s(entry.currency), "memo": _s(entry.memo),
            },
            "ConditionExpression": "attribute_not_exists(pk)",
        }}

    def set_payment_session(self, order_id: str, session_id: str) -> None:
        try:
            self.client.update_item(
                TableName=self.table, Key=_order_key(order_id), UpdateExpression="SET #session = :session",
                ConditionExpression="attribute_exists(pk)", ExpressionAttributeNames={"#session": "payment_session"},
                ExpressionAttributeValues={":session": _s(session_id)},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise UnknownRecord(f"no order {order_id}") from None
            raise

    def order(self, order_id: str) -> Order | None:
        item = self._get(_order_key(order_id), ORDER_READ)
        return None if item is None else _order_from(item)

    def event_seen(self, event_id: str) -> bool:
        return self._get(_event_key(event_id), ("pk",)) is not None

    def sealed_keys(self, order: Order) -> list[SealedKey]:
        def key_items(sku: str, refs: list[str]) -> list[dict]:
            return [{"pk": _s(_pool(sku, shard)), "sk": _s(f"KEY#{key_id}")}
                    for shard, key_ids in _picks(refs).items() for key_id in key_ids]

        # One round trip: the order as stored, and the keys the caller's copy of it names.
        guessed = [f"{self.shard_of(key_id)}/{key_id}" for key_id in order.key_ids]
        wanted = ("sk", "sku", "key_refs", "key_id", "fingerprint", "ciphertext", "order_id", "refunded")
        items = self._batch_get([_order_key(order.id)] + key_items(order.sku, guessed), wanted)
        stored = next((item for item in items if item["sk"]["S"] == "ORDER"), None)
        if stored is None:
            return []
        refs = _stored_refs(stored)
        found = [item for item in items if item["sk"]["S"] != "ORDER"]
        if sorted(refs) != sorted(guessed) or stored["sku"]["S"] != order.sku:
            # The caller's copy is stale (keys returned, or reserved again since): read what the order holds now.
            found = self._batch_get(key_items(stored["sku"]["S"], refs), wanted)
        sealed = [
            SealedKey(key_id=item["key_id"]["S"], sku=item["sku"]["S"], fingerprint=item["fingerprint"]["S"],
                      ciphertext=bytes(item["ciphertext"]["B"]), refunded=item.get("refunded", {}).get("BOOL", False))
            for item in found if item.get("order_id", {}).get("S") == order.id
        ]
        return sorted(sealed, key=lambda key: key.key_id)

    def _orders(self, order_ids: list[str]) -> list[Order]:
        found = {item["pk"]["S"][len("ORDER#"):]: _order_from(item)
                 for item in self._batch_get([_order_key(order_id) for order_id in order_ids], ("pk",) + ORDER_READ)}
        return [found[order_id] for order_id in order_ids if order_id in found]

    def orders_of_shopper(self, shopper_key: str, limit: int) -> list[Order]:
        if limit <= 0:
            return []
        ids = [item["gsi1sk"]["S"] for item in itertools.islice(self._query(
            IndexName="by_shopper", KeyConditionExpression="gsi1pk = :shopper",
            ExpressionAttributeValues={":shopper": _s(f"SHOPPER#{shopper_key}")},
            ScanIndexForward=False, Limit=limit,
        ), limit)]
        return self._orders(ids)

    def due_orders(self, now: datetime, limit: int) -> list[Order]:
        if limit <= 0:
            return []
        due: list[tuple[str, str]] = []
        for partition in range(DUE_PARTITIONS):
            due += [(item["duesk"]["S"], item["pk"]["S"][len("ORDER#"):]) for item in itertools.islice(self._query(
                IndexName="due", KeyConditionExpression="duepk = :due AND duesk <= :now",
                ExpressionAttributeValues={":due": _s(f"DUE#{partition:02d}"), ":now": _s(_ts(now))}, Limit=limit,
            ), limit)]
        ids = [order_id for _, order_id in sorted(due)[:limit]]
        # The index lags the table a little: believe the order's own due time.
        orders = [o for o in self._orders(ids) if o.due_at is not None and o.due_at <= now]
        return sorted(orders, key=lambda o: (o.due_at, o.id))

    def recent_orders(self, limit: int, station: str | None = None, status: OrderStatus | None = None) -> list[Order]:
        if limit <= 0:
            return []
        page = max(limit, 25)

        def newest_first(partition: int) -> Iterator[str]:
            params: dict = {
                "IndexName": "recent", "KeyConditionExpression": "recentpk = :recent", "ScanIndexForward": False,
                "ExpressionAttributeValues": {":recent": _s(f"RECENT#{partition}")}, "Limit": page,
            }
            if station:
                params["FilterExpression"] = "#station = :station"
                params["ExpressionAttributeNames"] = {"#station": "station"}
                params["ExpressionAttributeValues"][":station"] = _s(station)
            for item in self._query(**params):
                yield item["recentsk"]["S"]

        merged = heapq.merge(*(newest_first(p) for p in range(RECENT_PARTITIONS)), reverse=True)
        chosen: list[Order] = []
        while len(chosen) < limit:
            ids = list(itertools.islice(merged, page))
            if not ids:
                break
            chosen += [o for o in self._orders(ids) if status is None or o.status is status]
        return chosen[:limit]

    def ledger(self, order_id: str) -> list[LedgerEntry]:
        return [
            LedgerEntry(order_id, item["account"]["S"], int(item["amount"]["N"]), item["currency"]["S"], item["memo"]["S"])
            for item in self._query(
                KeyConditionExpression="pk = :pk AND begins_with(sk, :ledger)", ConsistentRead=True,
                ExpressionAttributeValues={":pk": _s(f"ORDER#{order_id}"), ":ledger": _s("LEDGER#")},
            )
        ]

    def count_hit(self, bucket: str, window_seconds: int, now: datetime) -> int:
        window = int(now.timestamp()) // window_seconds
        response = self.client.update_item(
            TableName=self.table, Key={"pk": _s(f"RATE#{bucket}#{window}"), "sk": _s("RATE")},
            UpdateExpression="ADD #hits :one SET #expires = :expires",
            ExpressionAttributeNames={"#hits": "hits", "#expires": "expires"},
            ExpressionAttributeValues={":one": _n(1), ":expires": _n((window + 2) * window_seconds)},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["hits"]["N"])

    # ------------------------------------------------------------ sign-in links

    def put_sign_in(self, token_hash: str, grant: SignInGrant) -> None:
        try:
            self._put_sign_in(token_hash, grant)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise Duplicate("a sign-in link of that token is kept already") from None
            raise

    def _put_sign_in(self, token_hash: str, grant: SignInGrant) -> None:
        self.client.put_item(TableName=self.table, Item={
            "pk": _s(f"SIGNIN#{token_hash}"), "sk": _s("SIGNIN"), "shopper_key": _s(grant.shopper_key),
            "station": _s(grant.station), "email_masked": _s(grant.email_masked), "expires_at": _s(_ts(grant.expires_at)),
            # TTL deletes lazily (hours late): it only tidies up, use_sign_in checks expires_at itself.
            "expires": _n(int((grant.expires_at + timedelta(days=1)).timestamp())),
        }, ConditionExpression="attribute_not_exists(pk)")

    def use_sign_in(self, token_hash: str, now: datetime) -> SignInGrant | None:
        try:
            item = self.client.update_item(
                TableName=self.table, Key={"pk": _s(f"SIGNIN#{token_hash}"), "sk": _s("SIGNIN")},
                UpdateExpression="SET #used = :now", ConditionExpression="attribute_exists(pk) AND attribute_not_exists(#used)",
                ExpressionAttributeNames={"#used": "used_at"}, ExpressionAttributeValues={":now": _s(_ts(now))},
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return None
            raise
        grant = SignInGrant(item["shopper_key"]["S"], item["station"]["S"], item["email_masked"]["S"],
                            datetime.fromisoformat(item["expires_at"]["S"]))
        return grant if grant.expires_at > now else None

    # ------------------------------------------------------------ members, coupons, earnings

    def member(self, station: str, shopper_key: str) -> Member:
        return _member_from(station, shopper_key, self._get(_member_key(station, shopper_key)))

    def open_member(self, station: str, shopper_key: str, referral_code: str) -> Member:
        member = self.member(station, shopper_key)
        if member.referral_code is not None:
            return member
        try:
            self._transact([
                {"Put": {"TableName": self.table, "Item": _refcode_key(station, referral_code) | {"shopper_key": _s(shopper_key)},
                         "ConditionExpression": "attribute_not_exists(pk) OR shopper_key = :me",
                         "ExpressionAttributeValues": {":me": _s(shopper_key)}}},
                {"Update": {"TableName": self.table, "Key": _member_key(station, shopper_key),
                            "UpdateExpression": "SET #code = :code", "ConditionExpression": "attribute_not_exists(#code)",
                            "ExpressionAttributeNames": {"#code": "referral_code"},
                            "ExpressionAttributeValues": {":code": _s(referral_code)}}},
            ])
        except _Cancelled as cancelled:
            if 0 in cancelled.failed():
                raise Duplicate(f"referral code {referral_code} belongs to another shopper") from None
            # Given a code by a racing call already: that one stays.
        return self.member(station, shopper_key)

    def member_by_code(self, station: str, referral_code: str) -> Member | None:
        item = self._get(_refcode_key(station, referral_code))
        return None if item is None else self.member(station, item["shopper_key"]["S"])

    def bind_referrer(self, station: str, shopper_key: str, referrer: Member, ancestors: tuple[str, ...],
                      welcome: IssuedCoupon | None) -> bool:
        names = {"#referrer": "referrer", "#orders": "orders", "#invitees": "invitees"}
        # The chain copied into the invitee is the referrer's as read: bind only if it has not changed since.
        if referrer.referrer is None:
            still = "attribute_exists(pk) AND attribute_not_exists(#referrer)"
            still_values: dict = {}
        else:
            still, still_values = "#referrer = :theirs", {":theirs": _s(referrer.referrer)}
        items = [
            {"Update": {
                "TableName": self.table, "Key": _member_key(station, shopper_key),
                "UpdateExpression": "SET #referrer = :referrer, #ancestors = :ancestors",
                "ConditionExpression": "attribute_not_exists(#referrer) AND (attribute_not_exists(#orders) OR #orders = :zero)"
                                       " AND (attribute_not_exists(#invitees) OR #invitees = :zero)",
                "ExpressionAttributeNames": names | {"#ancestors": "ancestors"},
                "ExpressionAttributeValues": {":referrer": _s(referrer.shopper_key), ":zero": _n(0),
                                              ":ancestors": {"L": [_s(a) for a in ancestors]}},
            }},
            {"Update": {
                "TableName": self.table, "Key": _member_key(station, referrer.shopper_key),
                "UpdateExpression": "ADD #invitees :one", "ConditionExpression": still,
                "ExpressionAttributeNames": {"#invitees": "invitees", "#referrer": "referrer"},
                "ExpressionAttributeValues": {":one": _n(1)} | still_values,
            }},
        ] + _coupon_puts(self.table, () if welcome is None else (welcome,))
        return self._transact_or_refuse(items, "a referral binding")

    def redeem_points(self, station: str, shopper_key: str, points: int, coupon: IssuedCoupon) -> bool:
        items = [{"Update": {
            "TableName": self.table, "Key": _member_key(station, shopper_key),
            "UpdateExpression": "ADD #points :spent", "ConditionExpression": "#points >= :points",
            "ExpressionAttributeNames": {"#points": "points"},
            "ExpressionAttributeValues": {":spent": _n(-points), ":points": _n(points)},
        }}] + _coupon_puts(self.table, (coupon,))
        return self._transact_or_refuse(items, "a points redemption")

    def issue_coupon(self, coupon: IssuedCoupon) -> None:
        self._transact_or_refuse(_coupon_puts(self.table, (coupon,)), "issuing a coupon")

    def coupon(self, station: str, code: str) -> IssuedCoupon | None:
        item = self._get(_coupon_key(station, code))
        return None if item is None else IssuedCoupon.model_validate_json(item["body"]["S"])

    def coupons_of(self, station: str, shopper_key: str) -> list[tuple[IssuedCoupon, int]]:
        coupons = [IssuedCoupon.model_validate_json(item["body"]["S"]) for item in self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :coupon)", ConsistentRead=True,
            ExpressionAttributeValues={":pk": _s(f"MEMBER#{station}#{shopper_key}"), ":coupon": _s("COUPON#")},
        )]
        counters = {item["pk"]["S"]: int(item["sold"]["N"]) for item in self._batch_get(
            [{"pk": _s(f"COUPON#{station}#{c.code}"), "sk": _s("TOTAL")} for c in coupons], ("pk", "sold"))}
        return [(c, counters.get(f"COUPON#{station}#{c.code}", 0)) for c in coupons]

    def quota_count(self, counter: str, holder: str) -> int:
        item = self._get({"pk": _s(counter), "sk": _s("TOTAL" if holder == EVERYONE else f"SHOPPER#{holder}")}, ("sold",))
        return 0 if item is None else int(item["sold"]["N"])

    def earnings(self, station: str, referrer: str) -> list[Earning]:
        found = []
        for item in self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :earn)", ConsistentRead=True,
            ExpressionAttributeValues={":pk": _s(f"MEMBER#{station}#{referrer}"), ":earn": _s("EARN#")},
        ):
            _, order_id, level = item["sk"]["S"].split("#")
            found.append(Earning(station, referrer, order_id, int(level), int(item["amount"]["N"]),
                                 datetime.fromisoformat(item["available_at"]["S"]),
                                 item.get("reversed", {}).get("BOOL", False)))
        return found

    def orders_placed(self, station: str, start: datetime, end: datetime) -> list[Order]:
        ids: list[str] = []
        for partition in range(RECENT_PARTITIONS):
            ids += [item["recentsk"]["S"] for item in self._query(
                IndexName="recent", KeyConditionExpression="recentpk = :recent AND recentsk BETWEEN :start AND :end",
                FilterExpression="#station = :station", ExpressionAttributeNames={"#station": "station"},
                ExpressionAttributeValues={":recent": _s(f"RECENT#{partition}"), ":start": _s(id_floor(start)),
                                           ":end": _s(id_floor(end)), ":station": _s(station)},
            )]
        # BETWEEN includes its upper end; the period does not.
        return self._orders(sorted(i for i in ids if i < id_floor(end)))

    # ------------------------------------------------------------ withdrawals of commissions

    def _withdrawal_items(self, withdrawal: Withdrawal, condition: dict | None) -> list[dict]:
        body = _s(withdrawal.model_dump_json())
        keys = ({"pk": _s(f"WITHDRAWALS#{withdrawal.station}"), "sk": _s(withdrawal.id)},
                {"pk": _s(f"MEMBER#{withdrawal.station}#{withdrawal.referrer}"), "sk": _s(f"WITHDRAW#{withdrawal.id}")})
        items = []
        for key in keys:
            put: dict = {"TableName": self.table, "Item": key | {"body": body, "status": _s(withdrawal.status.value)}}
            put |= condition or {"ConditionExpression": "attribute_not_exists(pk)"}
            items.append({"Put": put})
        return items

    def request_withdrawal(self, withdrawal: Withdrawal, seen_withdrawn: int) -> bool:
        still = "#withdrawn = :seen" + (" OR attribute_not_exists(#withdrawn)" if seen_withdrawn == 0 else "")
        items = [{"Update": {
            "TableName": self.table, "Key": _member_key(withdrawal.station, withdrawal.referrer),
            "UpdateExpression": "ADD #withdrawn :amount", "ConditionExpression": still,
            "ExpressionAttributeNames": {"#withdrawn": "withdrawn"},
            "ExpressionAttributeValues": {":amount": _n(withdrawal.amount), ":seen": _n(seen_withdrawn)},
        }}] + self._withdrawal_items(withdrawal, None)
        return self._transact_or_refuse(items, "a withdrawal")

    def withdrawals_of(self, station: str, referrer: str) -> list[Withdrawal]:
        return [Withdrawal.model_validate_json(item["body"]["S"]) for item in self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :w)", ConsistentRead=True, ScanIndexForward=False,
            ExpressionAttributeValues={":pk": _s(f"MEMBER#{station}#{referrer}"), ":w": _s("WITHDRAW#")},
        )]

    def withdrawals(self, station: str, status: WithdrawalStatus | None = None) -> list[Withdrawal]:
        found = [Withdrawal.model_validate_json(item["body"]["S"]) for item in self._query(
            KeyConditionExpression="pk = :pk", ConsistentRead=True,
            ExpressionAttributeValues={":pk": _s(f"WITHDRAWALS#{station}")},
        )]
        return [w for w in found if status is None or w.status is status]

    def settle_withdrawal(self, station: str, withdrawal_id: str, status: WithdrawalStatus, now: datetime,
                          note: str | None) -> Withdrawal:
        item = self._get({"pk": _s(f"WITHDRAWALS#{station}"), "sk": _s(withdrawal_id)})
        if item is None:
            raise UnknownRecord(f"no withdrawal {withdrawal_id} at {station}")
        current = Withdrawal.model_validate_json(item["body"]["S"])
        if current.status is not WithdrawalStatus.REQUESTED:
            raise Conflict(f"withdrawal {withdrawal_id} is {current.status.value} already")
        settled = current.model_copy(update={"status": status, "settled_at": now, "note": note})
        still = {"ConditionExpression": "#status = :requested", "ExpressionAttributeNames": {"#status": "status"},
                 "ExpressionAttributeValues": {":requested": _s(WithdrawalStatus.REQUESTED.value)}}
        items = self._withdrawal_items(settled, still)
        if status is WithdrawalStatus.REJECTED:
            items.append({"Update": {
                "TableName": self.table, "Key": _member_key(station, settled.referrer),
                "UpdateExpression": "ADD #withdrawn :back", "ExpressionAttributeNames": {"#withdrawn": "withdrawn"},
                "ExpressionAttributeValues": {":back": _n(-settled.amount)},
            }})
        if not self._transact_or_refuse(items, "settling a withdrawal"):
            raise Conflict(f"withdrawal {withdrawal_id} was settled by another call")
        return settled


def open_store(table_name: str, client: Any = None, shards: int = DEFAULT_SHARDS) -> Store:
    store = DynamoStore(table_name, client=client, shards=shards)
    return Store(price_books=store, inventory=store, orders=store, members=store, payouts=store, counters=store,
                 sign_ins=store)
