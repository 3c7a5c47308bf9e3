"""Read and write units of DynamoDB requests, worked out the way DynamoDB bills them.

Moto answers ReturnConsumedCapacity on single-item calls only, and with flat
figures (a 3 KB put reports 1 unit); on TransactWriteItems it returns nothing.
So the meter sizes every item itself, with DynamoDB's published rules:

- an item's size is the UTF-8 length of its attribute names and values (a number
  about one byte per two digits, plus one; a list or map 3 bytes plus one per element);
- a write costs 1 WCU per KB of the larger of the item before and after, twice that
  inside a transaction; a refused conditional write costs the same;
- an index entry changed costs 1 WCU (its keys and projected attributes are far below
  1 KB here), twice for a local index inside a transaction (it is written with the
  item, in its partition); a changed index key is a delete and a put;
- a strongly consistent read costs 1 RCU per 4 KB of the item (an absent item 1),
  an eventually consistent one half; a query reads the sum of the items it returns.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Any

from botocore.exceptions import ClientError

from tests.support.dynamo_table import table_resource

KB = 1024


def value_size(value: dict) -> int:
    ((kind, held),) = value.items()
    if kind == "S":
        return len(held.encode())
    if kind == "N":
        digits = len(held.lstrip("-").replace(".", "").strip("0")) or 1
        return (digits + 1) // 2 + 1
    if kind == "B":
        return len(held)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "BS"):
        return sum(len(v.encode() if isinstance(v, str) else v) for v in held)
    if kind == "NS":
        return sum(value_size({"N": v}) for v in held)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in held)
    return 3 + sum(1 + len(name.encode()) + value_size(v) for name, v in held.items())


def item_size(item: dict | None) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in (item or {}).items())


def _indexes() -> list[tuple[bool, tuple[str, ...], frozenset[str]]]:
    """(local?, key attributes, projected attributes) of every index of infra/table.yaml."""
    properties = table_resource()["Properties"]
    found = []
    for local, kind in ((True, "LocalSecondaryIndexes"), (False, "GlobalSecondaryIndexes")):
        for index in properties.get(kind, []):
            names = tuple(part["AttributeName"] for part in index["KeySchema"])
            projection = index["Projection"]
            projected = frozenset(projection.get("NonKeyAttributes", []))
            found.append((local, names, projected if projection["ProjectionType"] != "ALL" else frozenset({"*"})))
    return found


def index_writes(before: dict | None, after: dict | None, transactional: bool) -> int:
    units = 0
    for local, names, projected in _indexes():
        factor = 2 if local and transactional else 1
        was = before is not None and all(name in before for name in names)
        now = after is not None and all(name in after for name in names)
        if not was and not now:
            continue
        if was != now:
            units += factor
        elif any(before[name] != after[name] for name in names):
            units += 2 * factor
        elif "*" in projected and before != after or any(before.get(a) != after.get(a) for a in projected):
            units += factor
    return units


class CapacityMeter:
    """A client that counts the units every request costs (`reads`, `writes`, and writes by partition key)."""

    def __init__(self, client: Any):
        self.client = client
        self.reset()

    def reset(self) -> None:
        self.reads = 0.0
        self.writes = 0
        self.writes_by_pk: Counter = Counter()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.client, name)
        if not callable(attribute):
            return attribute
        counted = getattr(self, f"_{name}", None)
        return attribute if counted is None else counted

    def _item(self, table: str, key: dict) -> dict | None:
        return self.client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")

    def _write(self, table: str, key: dict, run, transactional: bool = False) -> Any:
        before = self._item(table, key)
        try:
            return run()
        finally:
            after = self._item(table, key)
            units = math.ceil(max(item_size(before), item_size(after), 1) / KB) * (2 if transactional else 1)
            units += index_writes(before, after, transactional)
            self.writes += units
            self.writes_by_pk[key["pk"]["S"]] += units

    def _put_item(self, **kwargs: Any) -> Any:
        key = {name: kwargs["Item"][name] for name in ("pk", "sk")}
        return self._write(kwargs["TableName"], key, lambda: self.client.put_item(**kwargs))

    def _update_item(self, **kwargs: Any) -> Any:
        return self._write(kwargs["TableName"], kwargs["Key"], lambda: self.client.update_item(**kwargs))

    def _delete_item(self, **kwargs: Any) -> Any:
        return self._write(kwargs["TableName"], kwargs["Key"], lambda: self.client.delete_item(**kwargs))

    def _transact_write_items(self, **kwargs: Any) -> Any:
        targets = []
        for entry in kwargs["TransactItems"]:
            ((verb, body),) = entry.items()
            key = body["Item"] if verb == "Put" else body["Key"]
            targets.append((body["TableName"], {name: key[name] for name in ("pk", "sk")}))
        before = [self._item(table, key) for table, key in targets]
        try:
            return self.client.transact_write_items(**kwargs)
        except ClientError:
            raise
        finally:
            for (table, key), was in zip(targets, before):
                now = self._item(table, key)
                units = math.ceil(max(item_size(was), item_size(now), 1) / KB) * 2 + index_writes(was, now, True)
                self.writes += units
                self.writes_by_pk[key["pk"]["S"]] += units

    def _read(self, size: int, consistent: bool) -> None:
        self.reads += math.ceil(max(size, 1) / (4 * KB)) * (1 if consistent else 0.5)

    def _get_item(self, **kwargs: Any) -> Any:
        response = self.client.get_item(**kwargs)
        self._read(item_size(self._item(kwargs["TableName"], kwargs["Key"])), kwargs.get("ConsistentRead", False))
        return response

    def _batch_get_item(self, **kwargs: Any) -> Any:
        response = self.client.batch_get_item(**kwargs)
        for table, request in kwargs["RequestItems"].items():
            for key in request["Keys"]:
                self._read(item_size(self._item(table, key)), request.get("ConsistentRead", False))
        return response

    def _query(self, **kwargs: Any) -> Any:
        response = self.client.query(**kwargs)
        items = response.get("Items", [])
        if "IndexName" not in kwargs:
            items = [self._item(kwargs["TableName"], {"pk": i["pk"], "sk": i["sk"]}) if "sk" in i else i for i in items]
        self._read(sum(item_size(item) for item in items), kwargs.get("ConsistentRead", False))
        return response
