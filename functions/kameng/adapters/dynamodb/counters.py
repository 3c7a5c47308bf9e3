"""Quota counters, which orders take and give back in their own transactions, and request-rate windows."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from kameng.adapters.dynamodb import keys, sale_shards
from kameng.adapters.dynamodb.table import Named, Table, n
from kameng.domain.order import Order
from kameng.domain.quota import EVERYONE, Quota, QuotaKind


def quota_name(quota: Quota) -> str:
    return f"quota:{quota.counter}/{quota.holder}"


def quota_key(counter: str, holder: str, shard: int = 0) -> dict:
    return sale_shards.quota_key(counter, holder, shard) or keys.quota(counter, holder)


def quota_items(order: Order, quotas: Iterable[Quota], take: bool, shard: int = 0,
                shard_cap: int | None = None) -> list[Named]:
    """Take the order's quantity from each of the quotas (only within the cap), or give it back.

    A flash sale's total is taken from or given back to `shard`, whose slice of the sale is `shard_cap`."""
    items = []
    for quota in quotas:
        units = quota.units(order.quantity)
        sharded = quota.kind is QuotaKind.FLASH_TOTAL
        cap = shard_cap if sharded and shard_cap is not None else quota.cap
        if take and units > cap:
            # The condition below lets a counter's first use through: more than the cap never fits.
            raise quota.refusal()
        update: dict = {
            "Key": quota_key(quota.counter, quota.holder, shard if sharded else 0), "UpdateExpression": "ADD #sold :n",
            "ExpressionAttributeNames": {"#sold": "sold"},
            "ExpressionAttributeValues": {":n": n(units if take else -units)},
        }
        if take:
            update["ConditionExpression"] = "attribute_not_exists(#sold) OR #sold <= :room"
            update["ExpressionAttributeValues"][":room"] = n(cap - units)
        items.append(Named(quota_name(quota), {"Update": update}))
    return items


def refused_quota(quotas: Iterable[Quota], failed: frozenset[str]) -> Quota | None:
    """The first of the quotas whose cap refused a transaction."""
    return next((quota for quota in quotas if quota_name(quota) in failed), None)


class DynamoCounters:
    def __init__(self, table: Table):
        self.table = table

    def quota_count(self, counter: str, holder: str) -> int:
        if sale_shards.is_sale(counter) and holder == EVERYONE:
            return sale_shards.total_sold(self.table, counter)
        item = self.table.get(quota_key(counter, holder), ("sold",))
        return 0 if item is None else int(item["sold"]["N"])

    def count_hit(self, bucket: str, window_seconds: int, now: datetime) -> int:
        window = int(now.timestamp()) // window_seconds
        updated = self.table.update(
            keys.rate_window(bucket, window), UpdateExpression="ADD #hits :one SET #expires = :expires",
            ExpressionAttributeNames={"#hits": "hits", "#expires": "expires"},
            ExpressionAttributeValues={":one": n(1), ":expires": n((window + 2) * window_seconds)},
            ReturnValues="UPDATED_NEW",
        )
        return int(updated["hits"]["N"])
