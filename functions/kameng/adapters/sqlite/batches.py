"""Batches of imported keys; their counts are read from the keys' own status (index card_keys_batch)."""
from __future__ import annotations

import sqlite3
from datetime import datetime

from kameng.adapters.sqlite.schema import ts
from kameng.adapters.sqlite_file import SqliteFile
from kameng.ports.store import Duplicate, KeyBatch, StockCount

_COLUMNS = "batch_id, sku, supplier, cost_per_key, imported_at, note"


def _batch(row: tuple, counts: StockCount = StockCount()) -> KeyBatch:
    batch_id, sku, supplier, cost, imported_at, note = row
    return KeyBatch(batch_id, sku, supplier, cost, datetime.fromisoformat(imported_at.replace("Z", "+00:00")), note,
                    counts)


class SqliteKeyBatches:
    def __init__(self, db: SqliteFile):
        self._db = db

    def add_batch(self, batch: KeyBatch) -> None:
        with self._db.write() as conn:
            try:
                conn.execute(f"INSERT INTO key_batches ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                             (batch.batch_id, batch.sku, batch.supplier, batch.cost_per_key, ts(batch.imported_at),
                              batch.note))
            except sqlite3.IntegrityError:
                raise Duplicate(f"a batch {batch.batch_id} is kept already") from None

    def batch(self, batch_id: str) -> KeyBatch | None:
        row = self._db.conn().execute(f"SELECT {_COLUMNS} FROM key_batches WHERE batch_id = ?", (batch_id,)).fetchone()
        return None if row is None else _batch(row)

    def batches_of(self, sku: str) -> list[KeyBatch]:
        conn = self._db.conn()
        counts: dict[str, dict[str, int]] = {}
        for batch_id, status, count in conn.execute(
                "SELECT batch_id, status, COUNT(*) FROM card_keys WHERE sku = ? AND batch_id IS NOT NULL "
                "GROUP BY batch_id, status", (sku,)):
            counts.setdefault(batch_id, {})[status] = count
        rows = conn.execute(f"SELECT {_COLUMNS} FROM key_batches WHERE sku = ? ORDER BY batch_id", (sku,)).fetchall()
        return [_batch(row, StockCount(**counts.get(row[0], {}))) for row in rows]

    def available_in(self, batch_id: str) -> list[str]:
        return [row[0] for row in self._db.conn().execute(
            "SELECT key_id FROM card_keys WHERE batch_id = ? AND status = 'available' ORDER BY key_id", (batch_id,))]
