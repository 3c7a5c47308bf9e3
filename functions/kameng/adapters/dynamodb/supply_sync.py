"""What the suppliers last said of each SKU: a SYNC item per SKU (keys_supply.py), read in batches by key."""
from __future__ import annotations

from collections.abc import Iterable

from kameng.adapters.dynamodb import keys_supply as keys
from kameng.adapters.dynamodb.table import Table, s
from kameng.adapters.supply_sync_record import record_json, record_of
from kameng.domain.supply_sync import SkuSync


class DynamoSupplySync:
    def __init__(self, table: Table):
        self.table = table

    def put_sync(self, record: SkuSync) -> None:
        self.table.put(keys.sku_sync(record.sku) | {"body": s(record_json(record))})

    def syncs(self, skus: Iterable[str]) -> dict[str, SkuSync]:
        items = self.table.batch_get([keys.sku_sync(sku) for sku in sorted(set(skus))], ("body",))
        records = (record_of(item["body"]["S"]) for item in items)
        return {record.sku: record for record in records}
