"""Card keys and their per-SKU counts. Keys change status only inside an order's transaction
(orders.py), through `reserve_keys` and `move_keys` here."""
from __future__ import annotations

import sqlite3
from typing import Iterable, Sequence

from kameng.adapters.sqlite_file import SqliteFile
from kameng.domain.errors import SoldOut
from kameng.domain.order import KeyMove, Order
from kameng.ports.store import ImportResult, SealedKey, StockCount, VoidResult

SOLD_OUT = "库存不足，该商品已售罄"
# SQLite's default limit on one statement's parameters is 999.
CHUNK = 500

_COUNT_MOVES = {
    KeyMove.RESERVE: ("available", "reserved"),
    KeyMove.RETURN: ("reserved", "available"),
    KeyMove.SELL: ("reserved", "sold"),
}
_KEY_STATUS = {KeyMove.RETURN: ("reserved", "available"), KeyMove.SELL: ("reserved", "sold")}


def available(conn: sqlite3.Connection, sku: str) -> int:
    row = conn.execute("SELECT available FROM stock_counts WHERE sku = ?", (sku,)).fetchone()
    return 0 if row is None else row[0]


def _move_counts(conn: sqlite3.Connection, sku: str, move: KeyMove, n: int) -> None:
    source, target = _COUNT_MOVES[move]
    conn.execute(f"UPDATE stock_counts SET {source} = {source} - ?, {target} = {target} + ? WHERE sku = ?", (n, n, sku))


def reserve_keys(conn: sqlite3.Connection, sku: str, order_id: str, quantity: int) -> list[str]:
    key_ids = [row[0] for row in conn.execute(
        "SELECT key_id FROM card_keys WHERE sku = ? AND status = 'available' ORDER BY key_id LIMIT ?",
        (sku, quantity),
    )]
    if len(key_ids) < quantity:
        raise SoldOut(SOLD_OUT)
    conn.executemany(
        "UPDATE card_keys SET status = 'reserved', order_id = ? WHERE key_id = ? AND status = 'available'",
        [(order_id, key_id) for key_id in key_ids],
    )
    _move_counts(conn, sku, KeyMove.RESERVE, quantity)
    return key_ids


def move_keys(conn: sqlite3.Connection, sku: str, order_id: str, move: KeyMove) -> int:
    """Return or sell the order's reserved keys, with their counts; how many moved."""
    before, after = _KEY_STATUS[move]
    moved = conn.execute(
        "UPDATE card_keys SET status = ?, order_id = CASE WHEN ? = 'available' THEN NULL ELSE order_id END "
        "WHERE order_id = ? AND status = ?",
        (after, after, order_id, before),
    ).rowcount
    _move_counts(conn, sku, move, moved)
    return moved


def flag_refunded(conn: sqlite3.Connection, order_id: str, key_ids: Sequence[str] = ()) -> int:
    """Sold stays sold (no count moves, so the stock equation is untouched); how many were flagged
    (of `key_ids` when given, else all the order's)."""
    if key_ids:
        return conn.execute(
            f"UPDATE card_keys SET refunded = 1 WHERE order_id = ? AND status = 'sold' AND key_id IN "
            f"({', '.join('?' * len(key_ids))})", (order_id, *key_ids)).rowcount
    return conn.execute("UPDATE card_keys SET refunded = 1 WHERE order_id = ? AND status = 'sold'", (order_id,)).rowcount


class SqliteInventory:
    def __init__(self, db: SqliteFile):
        self._db = db

    def add_card_keys(self, keys: Sequence[SealedKey]) -> ImportResult:
        with self._db.write() as conn:
            added_by_sku: dict[str, int] = {}
            for k in keys:
                inserted = conn.execute(
                    "INSERT OR IGNORE INTO card_keys (key_id, sku, fingerprint, ciphertext, status, batch_id) "
                    "VALUES (?, ?, ?, ?, 'available', ?)",
                    (k.key_id, k.sku, k.fingerprint, k.ciphertext, k.batch_id),
                ).rowcount
                added_by_sku[k.sku] = added_by_sku.get(k.sku, 0) + inserted
            conn.executemany(
                "INSERT INTO stock_counts (sku, available) VALUES (?, ?) "
                "ON CONFLICT (sku) DO UPDATE SET available = available + excluded.available",
                list(added_by_sku.items()),
            )
        added = sum(added_by_sku.values())
        return ImportResult(added=added, duplicates=len(keys) - added)

    def stock(self, skus: Iterable[str]) -> dict[str, StockCount]:
        wanted = sorted(set(skus))
        counts = {sku: StockCount() for sku in wanted}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = self._db.conn().execute(
                f"SELECT sku, available, reserved, sold, void, low_alerted FROM stock_counts "
                f"WHERE sku IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            for sku, available_now, reserved, sold, void, low_alerted in rows:
                counts[sku] = StockCount(available_now, reserved, sold, void, bool(low_alerted))
        return counts

    def sealed_keys(self, order: Order) -> list[SealedKey]:
        rows = self._db.conn().execute(
            "SELECT key_id, sku, fingerprint, ciphertext, refunded, batch_id FROM card_keys WHERE order_id = ? "
            "ORDER BY key_id", (order.id,),
        ).fetchall()
        return [SealedKey(key_id, sku, fingerprint, ciphertext, bool(refunded), batch_id)
                for key_id, sku, fingerprint, ciphertext, refunded, batch_id in rows]

    def shared_key(self, sku: str, key_id: str | None) -> SealedKey | None:
        query = "SELECT key_id, sku, fingerprint, ciphertext, refunded, batch_id FROM card_keys WHERE sku = ? "
        row = self._db.conn().execute(
            query + ("AND key_id = ?" if key_id else "AND status = 'available' ORDER BY key_id LIMIT 1"),
            (sku, key_id) if key_id else (sku,),
        ).fetchone()
        return None if row is None else SealedKey(row[0], row[1], row[2], row[3], bool(row[4]), row[5])

    def set_low_stock_alert(self, sku: str, alerted: bool) -> bool:
        with self._db.write() as conn:
            if alerted:
                return conn.execute(
                    "INSERT INTO stock_counts (sku, low_alerted) VALUES (?, 1) "
                    "ON CONFLICT (sku) DO UPDATE SET low_alerted = 1 WHERE low_alerted = 0", (sku,)
                ).rowcount == 1
            return conn.execute(
                "UPDATE stock_counts SET low_alerted = 0 WHERE sku = ? AND low_alerted = 1", (sku,)
            ).rowcount == 1

    def key_ids_of(self, sku: str, fingerprints: Iterable[str]) -> dict[str, str]:
        wanted = sorted(set(fingerprints))
        found: dict[str, str] = {}
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            found |= dict(self._db.conn().execute(
                f"SELECT fingerprint, key_id FROM card_keys WHERE sku = ? AND fingerprint IN ({','.join('?' * len(chunk))})",
                [sku, *chunk],
            ).fetchall())
        return found

    def void_keys(self, sku: str, key_ids: Sequence[str]) -> VoidResult:
        wanted = sorted(set(key_ids))
        statuses: dict[str, str] = {}
        with self._db.write() as conn:
            for start in range(0, len(wanted), CHUNK):
                chunk = wanted[start : start + CHUNK]
                statuses |= dict(conn.execute(
                    f"SELECT key_id, status FROM card_keys WHERE sku = ? AND key_id IN ({','.join('?' * len(chunk))})",
                    [sku, *chunk],
                ).fetchall())
            voided = [key_id for key_id in wanted if statuses.get(key_id) == "available"]
            conn.executemany("UPDATE card_keys SET status = 'void' WHERE key_id = ? AND status = 'available'",
                             [(key_id,) for key_id in voided])
            conn.execute("UPDATE stock_counts SET available = available - ?, void = void + ? WHERE sku = ?",
                         (len(voided), len(voided), sku))
        return VoidResult(
            voided=tuple(voided),
            held={key_id: status for key_id, status in statuses.items() if status != "available"},
            unknown=tuple(key_id for key_id in wanted if key_id not in statuses),
        )

    def set_low_stock(self, station: str, sku: str, low_stock: int | None) -> int | None:
        with self._db.write() as conn:
            row = conn.execute("SELECT low_stock FROM stock_thresholds WHERE station = ? AND sku = ?",
                               (station, sku)).fetchone()
            if low_stock is None:
                conn.execute("DELETE FROM stock_thresholds WHERE station = ? AND sku = ?", (station, sku))
            else:
                conn.execute("INSERT INTO stock_thresholds (station, sku, low_stock) VALUES (?, ?, ?) "
                             "ON CONFLICT (station, sku) DO UPDATE SET low_stock = excluded.low_stock",
                             (station, sku, low_stock))
        return None if row is None else row[0]

    def low_stock_thresholds(self, station: str) -> dict[str, int]:
        return dict(self._db.conn().execute(
            "SELECT sku, low_stock FROM stock_thresholds WHERE station = ?", (station,)).fetchall())
