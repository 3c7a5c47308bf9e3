"""Each member account's verified identity: one row per (station, shopper_key), inserted once."""
from __future__ import annotations

import sqlite3
from datetime import datetime

from kameng.adapters.sqlite.schema import ts
from kameng.adapters.sqlite_file import SqliteFile
from kameng.domain.real_name import RealNameRecord


class SqliteRealNames:
    def __init__(self, db: SqliteFile):
        self._db = db

    def real_name(self, station: str, shopper_key: str) -> RealNameRecord | None:
        row = self._db.conn().execute(
            "SELECT name_masked, id_masked, sealed, verified_at FROM real_names WHERE station = ? AND shopper_key = ?",
            (station, shopper_key)).fetchone()
        if row is None:
            return None
        return RealNameRecord(station, shopper_key, row[0], row[1], bytes(row[2]), datetime.fromisoformat(row[3]))

    def put_real_name(self, record: RealNameRecord) -> bool:
        try:
            with self._db.write() as conn:
                conn.execute(
                    "INSERT INTO real_names (station, shopper_key, name_masked, id_masked, sealed, verified_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (record.station, record.shopper_key, record.name_masked, record.id_masked, record.sealed,
                     ts(record.verified_at)))
        except sqlite3.IntegrityError:
            return False
        return True
