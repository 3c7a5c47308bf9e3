"""Supply attempts: one row per request id; `sweep_at` (the start) is set only while the sweeper lists it."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from kameng.adapters.sqlite.schema import ts
from kameng.adapters.sqlite_file import SqliteFile
from kameng.adapters.supply_attempt_record import attempt_of, check_new, check_update, fields_of, listed
from kameng.domain.supply import SupplyAttempt
from kameng.ports.store import Duplicate, UnknownRecord


def _row(attempt: SupplyAttempt) -> tuple:
    return (attempt.status, attempt.quantity_delivered, attempt.quantity_applied,
            ts(attempt.started_at) if listed(attempt) else None, json.dumps(fields_of(attempt), ensure_ascii=False))


def _attempts(rows: list[tuple]) -> list[SupplyAttempt]:
    return [attempt_of(json.loads(row[0])) for row in rows]


class SqliteSupplyAttempts:
    def __init__(self, db: SqliteFile):
        self._db = db

    def start_attempt(self, attempt: SupplyAttempt) -> None:
        check_new(attempt)
        with self._db.write() as conn:
            try:
                conn.execute(
                    "INSERT INTO supply_attempts (request_id, order_id, started_at, status, quantity_delivered, "
                    "quantity_applied, sweep_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (attempt.request_id, attempt.order_id, ts(attempt.started_at), *_row(attempt)))
            except sqlite3.IntegrityError:
                raise Duplicate(f"an attempt {attempt.request_id} is kept already") from None

    def attempt(self, request_id: str) -> SupplyAttempt | None:
        rows = self._db.conn().execute("SELECT body FROM supply_attempts WHERE request_id = ?",
                                       (request_id,)).fetchall()
        return next(iter(_attempts(rows)), None)

    def attempts_of(self, order_id: str) -> list[SupplyAttempt]:
        return _attempts(self._db.conn().execute(
            "SELECT body FROM supply_attempts WHERE order_id = ? ORDER BY started_at, request_id",
            (order_id,)).fetchall())

    def update_attempt(self, attempt: SupplyAttempt, seen: SupplyAttempt) -> bool:
        check_update(attempt, seen)
        with self._db.write() as conn:
            changed = conn.execute(
                "UPDATE supply_attempts SET status = ?, quantity_delivered = ?, quantity_applied = ?, sweep_at = ?, "
                "body = ? WHERE request_id = ? AND status = ? AND quantity_delivered = ? AND quantity_applied = ?",
                (*_row(attempt), seen.request_id, seen.status, seen.quantity_delivered, seen.quantity_applied),
            ).rowcount
            if changed:
                return True
            if conn.execute("SELECT 1 FROM supply_attempts WHERE request_id = ?", (seen.request_id,)).fetchone():
                return False
        raise UnknownRecord(f"no attempt {seen.request_id}")

    def open_attempts(self, started_before: datetime, limit: int) -> list[SupplyAttempt]:
        if limit <= 0:
            return []
        return _attempts(self._db.conn().execute(
            "SELECT body FROM supply_attempts WHERE sweep_at IS NOT NULL AND sweep_at < ? "
            "ORDER BY sweep_at, request_id LIMIT ?", (ts(started_before), limit)).fetchall())
