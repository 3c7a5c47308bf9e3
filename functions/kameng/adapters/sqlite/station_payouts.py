"""Substations' payouts and each station's committed total, moved together in one write transaction."""
from __future__ import annotations

import sqlite3

from kameng.adapters.sqlite_file import SqliteFile
from kameng.domain.payouts import PayoutStatus, StationPayout
from kameng.ports.store import Conflict, Duplicate, UnknownRecord


def _committed(conn: sqlite3.Connection, station: str) -> int:
    row = conn.execute("SELECT committed FROM payout_totals WHERE station = ?", (station,)).fetchone()
    return 0 if row is None else row[0]


def _add(conn: sqlite3.Connection, station: str, amount: int) -> None:
    conn.execute("INSERT INTO payout_totals (station, committed) VALUES (?, ?) "
                 "ON CONFLICT (station) DO UPDATE SET committed = committed + excluded.committed", (station, amount))


class SqliteStationPayouts:
    def __init__(self, db: SqliteFile):
        self._db = db

    def request_payout(self, payout: StationPayout, ceiling: int) -> bool:
        with self._db.write() as conn:
            if conn.execute("SELECT 1 FROM station_payouts WHERE station = ? AND id = ?",
                            (payout.station, payout.id)).fetchone():
                raise Duplicate(f"payout {payout.id} already exists")
            if _committed(conn, payout.station) + payout.amount > ceiling:
                return False
            _add(conn, payout.station, payout.amount)
            conn.execute("INSERT INTO station_payouts (station, id, status, body) VALUES (?, ?, ?, ?)",
                         (payout.station, payout.id, payout.status.value, payout.model_dump_json()))
        return True

    def committed(self, station: str) -> int:
        return _committed(self._db.conn(), station)

    def payout(self, station: str, payout_id: str) -> StationPayout | None:
        row = self._db.conn().execute("SELECT body FROM station_payouts WHERE station = ? AND id = ?",
                                      (station, payout_id)).fetchone()
        return None if row is None else StationPayout.model_validate_json(row[0])

    def payouts(self, station: str) -> list[StationPayout]:
        rows = self._db.conn().execute("SELECT body FROM station_payouts WHERE station = ? ORDER BY id DESC",
                                       (station,)).fetchall()
        return [StationPayout.model_validate_json(row[0]) for row in rows]

    def decide_payout(self, decided: StationPayout, seen: StationPayout) -> StationPayout:
        with self._db.write() as conn:
            changed = conn.execute(
                "UPDATE station_payouts SET status = ?, body = ? WHERE station = ? AND id = ? AND body = ?",
                (decided.status.value, decided.model_dump_json(), decided.station, decided.id, seen.model_dump_json()),
            ).rowcount
            if not changed:
                if self.payout(decided.station, decided.id) is None:
                    raise UnknownRecord(f"no payout {decided.id} at {decided.station}")
                raise Conflict(f"payout {decided.id} changed since it was read")
            if decided.status is PayoutStatus.REJECTED and seen.committed:
                _add(conn, decided.station, -decided.amount)
        return decided
