"""Daily rollups and buyer records, each delivery or refund counted once by its marker row."""
from __future__ import annotations

import sqlite3
from datetime import date

from kameng.adapters.sqlite_file import SqliteFile
from kameng.domain.stats import BuyerRecord, Counted, DayTotals, Figures, StatsDelta

# The station's own total is kept in the row of this SKU name, which no SKU can have.
_STATION_TOTAL = ""
_FIGURES = "gmv, orders, keys, refunded, refunds"


def _add_to_day(conn: sqlite3.Connection, delta: StatsDelta, sku: str) -> None:
    f = delta.figures
    conn.execute(
        f"INSERT INTO stats_days (station, day, sku, {_FIGURES}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (station, day, sku) DO UPDATE SET gmv = gmv + excluded.gmv, orders = orders + excluded.orders, "
        "keys = keys + excluded.keys, refunded = refunded + excluded.refunded, refunds = refunds + excluded.refunds",
        (delta.station, delta.day.isoformat(), sku, f.gmv, f.orders, f.keys, f.refunded, f.refunds),
    )


def _add_to_buyer(conn: sqlite3.Connection, delta: StatsDelta) -> None:
    day = delta.day.isoformat()
    conn.execute(
        "INSERT INTO stats_buyers (station, shopper_key, first_day, last_day, orders, spend) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (station, shopper_key) DO UPDATE SET first_day = min(first_day, excluded.first_day), "
        "last_day = max(last_day, excluded.last_day), orders = orders + excluded.orders, "
        "spend = spend + excluded.spend",
        (delta.station, delta.shopper_key, day, day, delta.buyer_orders, delta.spend),
    )


def _totals(station: str, row: tuple) -> DayTotals:
    day, sku, *figures = row
    return DayTotals(station, date.fromisoformat(day), sku or None, Figures(*figures))


class SqliteStatistics:
    def __init__(self, db: SqliteFile):
        self._db = db

    def record(self, order_id: str, kind: Counted, delta: StatsDelta) -> bool:
        with self._db.write() as conn:
            if kind is Counted.REFUNDED and conn.execute(
                    "SELECT 1 FROM stats_marks WHERE order_id = ? AND kind = ?",
                    (order_id, Counted.DELIVERED.value)).fetchone() is None:
                return False
            if conn.execute("INSERT INTO stats_marks (order_id, kind) VALUES (?, ?) ON CONFLICT DO NOTHING",
                            (order_id, kind.value)).rowcount != 1:
                return False
            _add_to_day(conn, delta, _STATION_TOTAL)
            _add_to_day(conn, delta, delta.sku)
            _add_to_buyer(conn, delta)
        return True

    def days(self, station: str, start: date, end: date) -> list[DayTotals]:
        rows = self._db.conn().execute(
            f"SELECT day, sku, {_FIGURES} FROM stats_days WHERE station = ? AND sku = ? AND day BETWEEN ? AND ? "
            "ORDER BY day", (station, _STATION_TOTAL, start.isoformat(), end.isoformat())).fetchall()
        return [_totals(station, row) for row in rows]

    def sku_days(self, station: str, sku: str | None, start: date, end: date) -> list[DayTotals]:
        which, args = ("sku = ?", (sku,)) if sku is not None else ("sku != ?", (_STATION_TOTAL,))
        rows = self._db.conn().execute(
            f"SELECT day, sku, {_FIGURES} FROM stats_days WHERE station = ? AND {which} AND day BETWEEN ? AND ? "
            "ORDER BY day, sku", (station, *args, start.isoformat(), end.isoformat())).fetchall()
        return [_totals(station, row) for row in rows]

    def buyer(self, station: str, shopper_key: str) -> BuyerRecord | None:
        row = self._db.conn().execute(
            "SELECT first_day, last_day, orders, spend FROM stats_buyers WHERE station = ? AND shopper_key = ?",
            (station, shopper_key)).fetchone()
        if row is None:
            return None
        return BuyerRecord(station, shopper_key, date.fromisoformat(row[0]), date.fromisoformat(row[1]), row[2], row[3])
