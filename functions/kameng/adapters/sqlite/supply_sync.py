"""What the suppliers last said of each SKU: one row per SKU, its record as JSON."""
from __future__ import annotations

from collections.abc import Iterable

from kameng.adapters.sqlite_file import SqliteFile
from kameng.adapters.supply_sync_record import record_json, record_of
from kameng.domain.supply_sync import SkuSync

# SQLite's default limit on a statement's parameters is far above this; a page of SKUs keeps statements short.
_PAGE = 500


class SqliteSupplySync:
    def __init__(self, db: SqliteFile):
        self._db = db

    def put_sync(self, record: SkuSync) -> None:
        body = record_json(record)
        with self._db.write() as conn:
            conn.execute("INSERT INTO supply_sync (sku, body) VALUES (?, ?) "
                         "ON CONFLICT (sku) DO UPDATE SET body = excluded.body", (record.sku, body))

    def syncs(self, skus: Iterable[str]) -> dict[str, SkuSync]:
        wanted = sorted(set(skus))
        found: dict[str, SkuSync] = {}
        for start in range(0, len(wanted), _PAGE):
            page = wanted[start:start + _PAGE]
            marks = ", ".join("?" for _ in page)
            for sku, body in self._db.conn().execute(f"SELECT sku, body FROM supply_sync WHERE sku IN ({marks})", page):
                found[sku] = record_of(body)
        return found
