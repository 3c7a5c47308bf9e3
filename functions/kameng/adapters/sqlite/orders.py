"""Orders, the events that changed them and their ledgers. An order's change is one transaction that
also moves its keys (inventory.py), its quotas and its member credits (members.py)."""
from __future__ import annotations

import sqlite3
from datetime import date, datetime
from typing import Any, Iterable

from kameng.adapters.sqlite.inventory import SOLD_OUT, available, flag_refunded, move_keys, reserve_keys
from kameng.adapters.sqlite.members import credit
from kameng.adapters.sqlite.schema import ts
from kameng.adapters.sqlite.stats import add_tally
from kameng.adapters.sqlite_file import SqliteFile
from kameng.domain.bank_transfer import refund_owed_by_hand, refund_paid
from kameng.domain.errors import SoldOut
from kameng.domain.fulfilment import Delivery
from kameng.domain.holds import quota_moves
from kameng.domain.ids import id_floor
from kameng.domain.order import Applied, KeyMove, LedgerEntry, Order, OrderChange, OrderStatus, keys_wanted, takes_stock
from kameng.domain.quota import Quota
from kameng.domain.stats import Tally
from kameng.ports.store import Conflict, Duplicate, UnknownRecord


class _NotApplied(Exception):
    def __init__(self, outcome: Applied):
        self.outcome = outcome


def _take_quotas(conn: sqlite3.Connection, order: Order, quotas: Iterable[Quota]) -> None:
    """Count the order's quantity in each of the quotas, each only while it stays within its cap."""
    for quota in quotas:
        conn.execute("INSERT OR IGNORE INTO quota_counts (counter, holder) VALUES (?, ?)", (quota.counter, quota.holder))
        units = quota.units(order.quantity)
        if conn.execute(
            "UPDATE quota_counts SET sold = sold + ? WHERE counter = ? AND holder = ? AND sold + ? <= ?",
            (units, quota.counter, quota.holder, units, quota.cap),
        ).rowcount != 1:
            raise quota.refusal()


def _give_back_quotas(conn: sqlite3.Connection, order: Order, quotas: Iterable[Quota]) -> None:
    conn.executemany(
        "UPDATE quota_counts SET sold = sold - ? WHERE counter = ? AND holder = ?",
        [(quota.units(order.quantity), quota.counter, quota.holder) for quota in quotas],
    )


def _record_event(conn: sqlite3.Connection, change: OrderChange, now: datetime) -> None:
    if change.event_id is None:
        return
    if conn.execute("SELECT 1 FROM processed_events WHERE event_id = ?", (change.event_id,)).fetchone():
        raise _NotApplied(Applied.DUPLICATE)
    conn.execute("INSERT INTO processed_events (event_id, order_id, processed_at) VALUES (?, ?, ?)",
                 (change.event_id, change.order_id, ts(now)))


def _move_order_keys(conn: sqlite3.Connection, order: Order, change: OrderChange) -> dict[str, Any]:
    """Move the order's keys and quotas as the change says; the order fields that follow."""
    taken, given = quota_moves(order, change)
    # A late payment takes its flash-sale and daily quantity again, within the caps.
    _take_quotas(conn, order, taken)
    _give_back_quotas(conn, order, given)
    if change.keys is KeyMove.FLAG_REFUNDED:
        expected = len(change.key_ids) or order.units_held
        if (flagged := flag_refunded(conn, order.id, change.key_ids)) != expected:
            raise RuntimeError(f"order {order.id} holds {flagged} of the sold keys to flag, expected {expected}")
        return {}
    if change.keys is KeyMove.RESERVE and not takes_stock(order, change):
        return {}
    if change.keys is KeyMove.RESERVE:
        return {"key_ids": tuple(reserve_keys(conn, order.sku, order.id, keys_wanted(order, change))),
                "expires_at": change.reservation_expires_at or order.expires_at}
    if change.keys is KeyMove.NONE:
        return {}
    moved = move_keys(conn, order.sku, order.id, change.keys)
    if change.keys is KeyMove.SELL and moved != order.units_held:
        raise RuntimeError(f"order {order.id} holds {moved} reserved keys, expected {order.units_held}")
    if change.keys is KeyMove.RETURN:
        return {"key_ids": ()}
    return {}


def _orders(rows: list[tuple]) -> list[Order]:
    return [Order.model_validate_json(row[0]) for row in rows]


class SqliteOrders:
    def __init__(self, db: SqliteFile):
        self._db = db

    def place_order(self, order: Order, day: date | None = None) -> Order:
        conn = self._db.conn()
        stocked = order.delivery is Delivery.STOCK
        # A sold-out answer needs no write lock: in a flash sale most buyers get it.
        if stocked and available(conn, order.sku) < order.quantity:
            raise SoldOut(SOLD_OUT)
        # Nor does a flash sale whose quantity is gone (the transaction below checks again, under the lock).
        for quota in order.quotas:
            row = conn.execute(
                "SELECT sold FROM quota_counts WHERE counter = ? AND holder = ?", (quota.counter, quota.holder)
            ).fetchone()
            if row is not None and row[0] + quota.units(order.quantity) > quota.cap:
                raise quota.refusal()
        with self._db.write() as conn:
            if conn.execute("SELECT 1 FROM orders WHERE id = ?", (order.id,)).fetchone():
                raise Duplicate(f"order {order.id} already exists")
            _take_quotas(conn, order, order.quotas)
            held = reserve_keys(conn, order.sku, order.id, order.quantity) if stocked else ()
            placed = order.model_copy(update={"key_ids": tuple(held)})
            conn.execute(
                "INSERT INTO orders (id, status, station, shopper_key, due_at, body) VALUES (?, ?, ?, ?, ?, ?)",
                (placed.id, placed.status.value, placed.station, placed.shopper_key, ts(placed.due_at),
                 placed.model_dump_json()),
            )
            if day is not None:
                add_tally(conn, placed.station, day.isoformat(), Tally.CHECKOUTS, 1)
        return placed

    def apply(self, change: OrderChange, now: datetime) -> tuple[Applied, Order | None]:
        try:
            return Applied.DONE, self._apply(change, now)
        except _NotApplied as refusal:
            return refusal.outcome, None

    def _apply(self, change: OrderChange, now: datetime) -> Order:
        with self._db.write() as conn:
            _record_event(conn, change, now)
            row = conn.execute(
                "SELECT body FROM orders WHERE id = ? AND status = ?", (change.order_id, change.from_status.value)
            ).fetchone()
            if row is None:
                raise _NotApplied(Applied.CONFLICT)
            order = Order.model_validate_json(row[0])
            if change.repeats(order):
                raise _NotApplied(Applied.DUPLICATE)
            if change.stale(order):
                raise _NotApplied(Applied.CONFLICT)
            updated = order.model_copy(update=change.order_fields(now) | _move_order_keys(conn, order, change))
            conn.execute(
                "UPDATE orders SET status = ?, due_at = ?, body = ? WHERE id = ?",
                (updated.status.value, ts(updated.due_at), updated.model_dump_json(), updated.id),
            )
            conn.executemany(
                "INSERT INTO ledger_entries (order_id, seq, account, amount, currency, memo) VALUES (?, ?, ?, ?, ?, ?)",
                [(e.order_id, seq, e.account, e.amount, e.currency, e.memo)
                 for seq, e in enumerate(change.ledger, start=change.ledger_from)],
            )
            credit(conn, change)
        return updated

    def set_payment_session(self, order_id: str, session_id: str, url: str) -> None:
        self._set_fields(order_id, {"payment_session": session_id, "payment_url": url})

    def record_split(self, order_id: str, amount: int, ref: str) -> None:
        self._set_fields(order_id, {"split_sent": amount, "split_ref": ref})

    def _set_fields(self, order_id: str, fields: dict) -> None:
        # Read and written in one transaction: a status change of the same order waits for it.
        with self._db.write() as conn:
            row = conn.execute("SELECT body FROM orders WHERE id = ?", (order_id,)).fetchone()
            if row is None:
                raise UnknownRecord(f"no order {order_id}")
            order = Order.model_validate_json(row[0]).model_copy(update=fields)
            conn.execute("UPDATE orders SET body = ? WHERE id = ?", (order.model_dump_json(), order_id))

    def record_refund_paid(self, order_id: str, bank_ref: str, note: str | None, by: str, at: datetime) -> Order:
        # Read, checked and written under the write lock: of two owners recording at once, the first wins.
        with self._db.write() as conn:
            row = conn.execute("SELECT body FROM orders WHERE id = ?", (order_id,)).fetchone()
            if row is None:
                raise UnknownRecord(f"no order {order_id}")
            order = Order.model_validate_json(row[0])
            if refund_owed_by_hand(order) == 0:
                if order.refund_paid is not None:
                    return order
                raise Conflict(f"order {order_id} owes no refund by hand")
            order = order.model_copy(update={"refund_paid": refund_paid(order, bank_ref, note, by, at)})
            conn.execute("UPDATE orders SET body = ? WHERE id = ?", (order.model_dump_json(), order_id))
        return order

    def order(self, order_id: str) -> Order | None:
        row = self._db.conn().execute("SELECT body FROM orders WHERE id = ?", (order_id,)).fetchone()
        return None if row is None else Order.model_validate_json(row[0])

    def event_seen(self, event_id: str) -> bool:
        return self._db.conn().execute("SELECT 1 FROM processed_events WHERE event_id = ?", (event_id,)).fetchone() is not None

    def ledger(self, order_id: str) -> list[LedgerEntry]:
        return [LedgerEntry(order_id, *row) for row in self._db.conn().execute(
            "SELECT account, amount, currency, memo FROM ledger_entries WHERE order_id = ? ORDER BY seq", (order_id,)
        )]

    def orders_of_shopper(self, shopper_key: str, limit: int) -> list[Order]:
        return _orders(self._db.conn().execute(
            "SELECT body FROM orders WHERE shopper_key = ? ORDER BY id DESC LIMIT ?", (shopper_key, limit)
        ).fetchall())

    def due_orders(self, now: datetime, limit: int) -> list[Order]:
        return _orders(self._db.conn().execute(
            "SELECT body FROM orders WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at LIMIT ?", (ts(now), limit)
        ).fetchall())

    def recent_orders(self, limit: int, station: str | None = None, status: OrderStatus | None = None) -> list[Order]:
        return _orders(self._db.conn().execute(
            "SELECT body FROM orders WHERE (? IS NULL OR station = ?) AND (? IS NULL OR status = ?) ORDER BY id DESC LIMIT ?",
            (station or None, station or None, status and status.value, status and status.value, limit),
        ).fetchall())

    def orders_placed(self, station: str, start: datetime, end: datetime) -> list[Order]:
        # Ids sort by the time they were made.
        return _orders(self._db.conn().execute(
            "SELECT body FROM orders WHERE station = ? AND id >= ? AND id < ? ORDER BY id",
            (station, id_floor(start), id_floor(end)),
        ).fetchall())
