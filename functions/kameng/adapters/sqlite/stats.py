"""Daily rollups and buyer records, each delivery, refund or key refund counted once by its marker row."""
from __future__ import annotations

import sqlite3
from datetime import date

from kameng.adapters.sqlite_file import SqliteFile
from kameng.domain.stats import (BuyerCounts, BuyerRecord, CohortCell, Counted, DayTotals, Figures, ReferrerShare,
                                 StatsDelta, Tally, counted_marker, week_offset)

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


def add_tally(conn: sqlite3.Connection, station: str, day: str, tally: Tally, value: int) -> None:
    conn.execute("INSERT INTO stats_tallies (station, day, tally, value) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT (station, day, tally) DO UPDATE SET value = value + excluded.value",
                 (station, day, tally.value, value))


def _add_to_cohort(conn: sqlite3.Connection, station: str, week: str, offset: int, buyers: int) -> None:
    conn.execute("INSERT INTO stats_cohorts (station, week, offset, buyers) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT (station, week, offset) DO UPDATE SET buyers = buyers + excluded.buyers",
                 (station, week, offset, buyers))


def _cohort_of(conn: sqlite3.Connection, delta: StatsDelta, kind: Counted) -> date | None:
    """The buyer's cohort week; a first delivery makes the buyer new, and a member of this week's cohort."""
    row = conn.execute("SELECT week FROM stats_cohort_members WHERE station = ? AND shopper_key = ?",
                       (delta.station, delta.shopper_key)).fetchone()
    if row is not None:
        return date.fromisoformat(row[0])
    if kind is not Counted.DELIVERED:
        return None
    week = delta.week.isoformat()
    conn.execute("INSERT INTO stats_cohort_members (station, shopper_key, week) VALUES (?, ?, ?)",
                 (delta.station, delta.shopper_key, week))
    _add_to_cohort(conn, delta.station, week, 0, 1)
    add_tally(conn, delta.station, delta.day.isoformat(), Tally.NEW_BUYERS, 1)
    return delta.week


def _add_to_activity(conn: sqlite3.Connection, delta: StatsDelta, kind: Counted) -> None:
    """The buyer's day and week; a week that gains its first order kept (or loses its last) moves the
    buyer's cohort cell of that week."""
    conn.execute("INSERT INTO stats_buyer_days (station, day, shopper_key, orders) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT (station, day, shopper_key) DO UPDATE SET orders = orders + excluded.orders",
                 (delta.station, delta.day.isoformat(), delta.shopper_key, delta.buyer_orders))
    cohort = _cohort_of(conn, delta, kind)
    week = delta.week.isoformat()
    (orders,) = conn.execute(
        "INSERT INTO stats_buyer_weeks (station, shopper_key, week, orders) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (station, shopper_key, week) DO UPDATE SET orders = orders + excluded.orders RETURNING orders",
        (delta.station, delta.shopper_key, week, delta.buyer_orders)).fetchone()
    offset = None if cohort is None else week_offset(cohort, delta.week)
    if offset is not None and orders - delta.buyer_orders <= 0 < orders:
        _add_to_cohort(conn, delta.station, cohort.isoformat(), offset, 1)
    elif offset is not None and orders <= 0 < orders - delta.buyer_orders:
        _add_to_cohort(conn, delta.station, cohort.isoformat(), offset, -1)


def _add_to_referrers(conn: sqlite3.Connection, delta: StatsDelta) -> None:
    day = delta.day.isoformat()
    for tally, value in delta.tallies.items():
        add_tally(conn, delta.station, day, tally, value)
    for share in delta.referrers:
        conn.execute(
            "INSERT INTO stats_referrers (station, day, referrer, orders, gmv, commissions) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (station, day, referrer) DO UPDATE SET orders = orders + excluded.orders, "
            "gmv = gmv + excluded.gmv, commissions = commissions + excluded.commissions",
            (delta.station, day, share.referrer, share.orders, share.gmv, share.commissions))


def _totals(station: str, row: tuple) -> DayTotals:
    day, sku, *figures = row
    return DayTotals(station, date.fromisoformat(day), sku or None, Figures(*figures))


class SqliteStatistics:
    def __init__(self, db: SqliteFile):
        self._db = db

    def record(self, order_id: str, kind: Counted, delta: StatsDelta, refunded_before: int = 0) -> bool:
        with self._db.write() as conn:
            # A refund (of the order or of some keys) takes back only what a counted delivery added.
            if kind is not Counted.DELIVERED and conn.execute(
                    "SELECT 1 FROM stats_marks WHERE order_id = ? AND kind = ?",
                    (order_id, Counted.DELIVERED.value)).fetchone() is None:
                return False
            if conn.execute("INSERT INTO stats_marks (order_id, kind) VALUES (?, ?) ON CONFLICT DO NOTHING",
                            (order_id, counted_marker(kind, refunded_before))).rowcount != 1:
                return False
            _add_to_day(conn, delta, _STATION_TOTAL)
            _add_to_day(conn, delta, delta.sku)
            _add_to_buyer(conn, delta)
            if kind is not Counted.KEYS_REFUNDED:  # the order stands, and so do its buyer's day and week
                _add_to_activity(conn, delta, kind)
            _add_to_referrers(conn, delta)
        return True

    def count_once(self, marker: str, station: str, day: date, tally: Tally) -> bool:
        with self._db.write() as conn:
            if conn.execute("INSERT INTO stats_marks (order_id, kind) VALUES (?, ?) ON CONFLICT DO NOTHING",
                            (marker, tally.value)).rowcount != 1:
                return False
            add_tally(conn, station, day.isoformat(), tally, 1)
        return True

    def tallies(self, station: str, start: date, end: date) -> dict[date, dict[Tally, int]]:
        found: dict[date, dict[Tally, int]] = {}
        for day, tally, value in self._db.conn().execute(
                "SELECT day, tally, value FROM stats_tallies WHERE station = ? AND day BETWEEN ? AND ?",
                (station, start.isoformat(), end.isoformat())):
            found.setdefault(date.fromisoformat(day), {})[Tally(tally)] = value
        return found

    def paying_buyers(self, station: str, start: date, end: date) -> BuyerCounts:
        paying, repeat = self._db.conn().execute(
            "SELECT count(*), coalesce(sum(orders >= 2), 0) FROM (SELECT sum(orders) AS orders FROM stats_buyer_days "
            "WHERE station = ? AND day BETWEEN ? AND ? AND orders > 0 GROUP BY shopper_key)",
            (station, start.isoformat(), end.isoformat())).fetchone()
        return BuyerCounts(paying, repeat)

    def cohorts(self, station: str, first_week: date, last_week: date) -> list[CohortCell]:
        rows = self._db.conn().execute(
            "SELECT week, offset, buyers FROM stats_cohorts WHERE station = ? AND week BETWEEN ? AND ? "
            "ORDER BY week, offset", (station, first_week.isoformat(), last_week.isoformat())).fetchall()
        return [CohortCell(date.fromisoformat(week), offset, buyers) for week, offset, buyers in rows]

    def referrers(self, station: str, start: date, end: date) -> list[ReferrerShare]:
        rows = self._db.conn().execute(
            "SELECT referrer, sum(orders), sum(gmv), sum(commissions) FROM stats_referrers "
            "WHERE station = ? AND day BETWEEN ? AND ? GROUP BY referrer",
            (station, start.isoformat(), end.isoformat())).fetchall()
        return [ReferrerShare(*row) for row in rows]

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
