"""Each member account's verified identity: one item per (station, shopper_key), put only where none is.

| item      | pk                                 | sk       | attributes                                           |
| --------- | ---------------------------------- | -------- | ---------------------------------------------------- |
| real name | REALNAME#<station>#<shopper_key>   | REALNAME | name_masked, id_masked, sealed (B), verified_at: put |
|           |                                    |          | once (attribute_not_exists), read by key             |
"""
from __future__ import annotations

from datetime import datetime

from kameng.adapters.dynamodb.table import Table, instant, s
from kameng.domain.real_name import RealNameRecord


def real_name_key(station: str, shopper_key: str) -> dict:
    return {"pk": s(f"REALNAME#{station}#{shopper_key}"), "sk": s("REALNAME")}


class DynamoRealNames:
    def __init__(self, table: Table):
        self.table = table

    def real_name(self, station: str, shopper_key: str) -> RealNameRecord | None:
        item = self.table.get(real_name_key(station, shopper_key))
        if item is None:
            return None
        return RealNameRecord(station, shopper_key, item["name_masked"]["S"], item["id_masked"]["S"],
                              bytes(item["sealed"]["B"]), datetime.fromisoformat(item["verified_at"]["S"]))

    def put_real_name(self, record: RealNameRecord) -> bool:
        item = real_name_key(record.station, record.shopper_key) | {
            "name_masked": s(record.name_masked), "id_masked": s(record.id_masked), "sealed": {"B": record.sealed},
            "verified_at": s(instant(record.verified_at))}
        return self.table.put(item, ConditionExpression="attribute_not_exists(pk)")
