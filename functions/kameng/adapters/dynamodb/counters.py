"""Quota counters, which orders take and give back in their own transactions, and request-rate windows."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from kameng.adapters.dynamodb import keys
from kameng.adapters.dynamodb.table import Named, Table, n
from kameng.domain.order import Order
from kameng.domain.quota import Quota


def quota_name(quota: Quota) -> str:
    return f"quota:{quota.counter}/{quota.holder}"


def quota_items(order: Order, quotas: Iterable[Quota], take: bool) -> list[Named]:
    """Take the order's quantity from each of the quotas (only within the cap), or give it back."""
    items = []
    for quota in quotas:
        units = quota.units(order.quantity)
        if take and units > quota.cap:
            # The condition below lets a counter's first use through: more than the cap never fits.
            raise quota.refusal()
        update: dict = {
            "Key": keys.quota(quota.counter, quota.holder), "UpdateExpression": "ADD #sold :n",
            "ExpressionAttributeNames": {"#sold": "sold"},
            "ExpressionAttributeValues": {":n": n(units if take else -units)},
        }
        if take:
            update["ConditionExpression"] = "attribute_not_exists(#sold) OR #sold <= :room"
            update["ExpressionAttributeValues"][":room"] = n(quota.cap - units)
        items.append(Named(quota_name(quota), {"Update": update}))
    return items


def refused_quota(quotas: Iterable[Quota], failed: frozenset[str]) -> Quota | None:
    """The first of the quotas whose cap refused a transaction."""
    return next((quota for quota in quotas if quota_name(quota) in failed), None)


class DynamoCounters:
    def __init__(self, table: Table):
        self.table = table

    def quota_count(self, counter: str, holder: str) -> int:
        item = self.table.get(keys.quota(counter, holder), ("sold",))
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
