"""Batches of imported keys: a BATCH item and its copy in the SKU's BATCHES partition (keys.py).

A batch keeps no counters: every key names its batch (`batch_id`), and `batches_of` counts the
SKU's keys by batch and status with one projected query per pool shard. That costs a read of the
SKU's keys (about 13 keys per 4 KB read unit) on the owner's listing, and nothing on an order's
transactions, which stay as they are (no batch counter to move, no extra item near the 100 limit).
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Iterator

from kameng.adapters.dynamodb import keys
from kameng.adapters.dynamodb.table import Named, Table, n, number, s
from kameng.ports.store import Duplicate, KeyBatch, StockCount

_STATUSES = ("available", "reserved", "sold", "void")


def _attributes(batch: KeyBatch) -> dict:
    cost = {} if batch.cost_per_key is None else {"cost_per_key": n(batch.cost_per_key)}
    return {"batch_id": s(batch.batch_id), "sku": s(batch.sku), "supplier": s(batch.supplier),
            "imported_at": s(batch.imported_at.isoformat()), "note": s(batch.note)} | cost


def _batch(item: dict, counts: StockCount = StockCount()) -> KeyBatch:
    return KeyBatch(
        batch_id=item["batch_id"]["S"], sku=item["sku"]["S"], supplier=item["supplier"]["S"],
        cost_per_key=number(item, "cost_per_key") if "cost_per_key" in item else None,
        imported_at=datetime.fromisoformat(item["imported_at"]["S"]), note=item["note"]["S"], counts=counts,
    )


class DynamoKeyBatches:
    def __init__(self, table: Table):
        self.table = table

    def add_batch(self, batch: KeyBatch) -> None:
        put = {"ConditionExpression": "attribute_not_exists(pk)"}
        items = [Named("batch", {"Put": {"Item": keys.key_batch(batch.batch_id) | _attributes(batch)} | put}),
                 Named("listed", {"Put": {"Item": keys.key_batch(batch.batch_id, batch.sku) | _attributes(batch)}
                                  | put})]
        if not self.table.transact_or_refuse(items, "adding a key batch"):
            raise Duplicate(f"a batch {batch.batch_id} is kept already")

    def batch(self, batch_id: str) -> KeyBatch | None:
        item = self.table.get(keys.key_batch(batch_id))
        return None if item is None else _batch(item)

    def batches_of(self, sku: str) -> list[KeyBatch]:
        counts: dict[str, Counter] = {}
        for item in self._keys_of(sku):
            if "batch_id" in item:
                counts.setdefault(item["batch_id"]["S"], Counter())[item["status"]["S"]] += 1
        listed = sorted(self.table.items_under(keys.sku_batches(sku)), key=lambda item: item["batch_id"]["S"])
        return [_batch(item, StockCount(**{status: counts.get(item["batch_id"]["S"], Counter())[status]
                                           for status in _STATUSES})) for item in listed]

    def available_in(self, batch_id: str) -> list[str]:
        batch = self.batch(batch_id)
        if batch is None:
            return []
        return sorted(item["key_id"]["S"] for item in self._keys_of(batch.sku)
                      if item.get("batch_id", {}).get("S") == batch_id and item["status"]["S"] == "available")

    def _keys_of(self, sku: str) -> Iterator[dict]:
        """Every key of the SKU, projected to what a batch's counts need: one query per pool shard."""
        for shard in range(self.table.shards):
            items = self.table.query(
                KeyConditionExpression="pk = :pk", ConsistentRead=True, ExpressionAttributeValues={
                    ":pk": s(keys.pool(sku, shard))},
                ProjectionExpression="key_id, batch_id, #status", ExpressionAttributeNames={"#status": "status"},
            )
            # The pool's counter item has no key_id.
            yield from (item for item in items if "key_id" in item)
