"""The embedded store: one SQLite file in WAL mode.

Each write is one `BEGIN IMMEDIATE` transaction, which SQLite serialises
across threads and processes; a change applies only if the order row still
has the status it was read with, the same condition DynamoDB will check.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, Sequence

from kameng.adapters.sqlite_file import SqliteFile
from kameng.domain.errors import SoldOut
from kameng.domain.ids import id_floor
from kameng.domain.member import Earning, IssuedCoupon, Member, Withdrawal, WithdrawalStatus
from kameng.domain.order import Applied, KeyMove, LedgerEntry, Order, OrderChange, OrderStatus
from kameng.domain.price_book import PriceBook
from kameng.domain.quota import EVERYONE
from kameng.ports import Conflict, Duplicate, ImportResult, SealedKey, SignInGrant, StockCount, Store, UnknownRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS price_books (
    station TEXT PRIMARY KEY, version TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS card_keys (
    key_id TEXT PRIMARY KEY, sku TEXT NOT NULL, fingerprint TEXT NOT NULL UNIQUE,
    ciphertext BLOB NOT NULL, status TEXT NOT NULL, order_id TEXT, refunded INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS card_keys_pool ON card_keys (sku, status, key_id);
CREATE INDEX IF NOT EXISTS card_keys_order ON card_keys (order_id) WHERE order_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS stock_counts (
    sku TEXT PRIMARY KEY, available INTEGER NOT NULL DEFAULT 0, reserved INTEGER NOT NULL DEFAULT 0,
    sold INTEGER NOT NULL DEFAULT 0, void INTEGER NOT NULL DEFAULT 0,
    low_alerted INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, station TEXT NOT NULL,
    shopper_key TEXT NOT NULL, due_at TEXT, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS orders_shopper ON orders (shopper_key, id);
CREATE INDEX IF NOT EXISTS orders_due ON orders (due_at) WHERE due_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS processed_events (
    event_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, processed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ledger_entries (
    order_id TEXT NOT NULL, seq INTEGER NOT NULL, account TEXT NOT NULL,
    amount INTEGER NOT NULL, currency TEXT NOT NULL, memo TEXT NOT NULL,
    PRIMARY KEY (order_id, seq));
CREATE TABLE IF NOT EXISTS rate_limits (
    bucket TEXT NOT NULL, window INTEGER NOT NULL, hits INTEGER NOT NULL,
    PRIMARY KEY (bucket, window));
CREATE TABLE IF NOT EXISTS sign_in_tokens (
    token_hash TEXT PRIMARY KEY, shopper_key TEXT NOT NULL, station TEXT NOT NULL,
    email_masked TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT);
CREATE TABLE IF NOT EXISTS quota_counts (
    counter TEXT NOT NULL, holder TEXT NOT NULL, sold INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (counter, holder));
CREATE TABLE IF NOT EXISTS members (
    station TEXT NOT NULL, shopper_key TEXT NOT NULL, spend INTEGER NOT NULL DEFAULT 0,
    points INTEGER NOT NULL DEFAULT 0, orders INTEGER NOT NULL DEFAULT 0, referral_code TEXT,
    referrer TEXT, ancestors TEXT NOT NULL DEFAULT '[]', invitees INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (station, shopper_key));
CREATE UNIQUE INDEX IF NOT EXISTS members_code ON members (station, referral_code) WHERE referral_code IS NOT NULL;
CREATE TABLE IF NOT EXISTS coupons (
    station TEXT NOT NULL, code TEXT NOT NULL, owner TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (station, code));
CREATE INDEX IF NOT EXISTS coupons_owner ON coupons (station, owner);
CREATE TABLE IF NOT EXISTS earnings (
    station TEXT NOT NULL, referrer TEXT NOT NULL, order_id TEXT NOT NULL, level INTEGER NOT NULL,
    amount INTEGER NOT NULL, available_at TEXT NOT NULL, reversed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (station, referrer, order_id, level));
CREATE TABLE IF NOT EXISTS withdrawals (
    id TEXT PRIMARY KEY, station TEXT NOT NULL, referrer TEXT NOT NULL, status TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS withdrawals_station ON withdrawals (station, id);
CREATE INDEX IF NOT EXISTS withdrawals_referrer ON withdrawals (station, referrer, id);
"""

_MEMBER_COLUMNS = "station, shopper_key, spend, points, orders, referral_code, referrer, ancestors, invitees, withdrawn"

_KEY_STATUS_FROM = {KeyMove.RETURN: "reserved", KeyMove.SELL: "reserved"}
_KEY_STATUS_TO = {KeyMove.RETURN: "available", KeyMove.SELL: "sold"}


class _NotApplied(Exception):
    def __init__(self, outcome: Applied):
        self.outcome = outcome


def _ts(moment: datetime | None) -> str | None:
    # Fixed-width UTC text sorts like the instants it names.
    return None if moment is None else moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# Counters move in the same transaction as the keys, so the stock page reads one
# row per SKU instead of counting 100,000 keys (the DynamoDB adapter does the same).
_COUNT_MOVES = {
    KeyMove.RESERVE: ("available", "reserved"),
    KeyMove.RETURN: ("reserved", "available"),
    KeyMove.SELL: ("reserved", "sold"),
}


def _move_counts(conn: sqlite3.Connection, sku: str, move: KeyMove, n: int) -> None:
    source, target = _COUNT_MOVES[move]
    conn.execute(f"UPDATE stock_counts SET {source} = {source} - ?, {target} = {target} + ? WHERE sku = ?", (n, n, sku))


def _take_quotas(conn: sqlite3.Connection, order: Order) -> None:
    """Count the order's quantity in each of its quotas, each only while it stays within its cap."""
    for quota in order.quotas:
        conn.execute("INSERT OR IGNORE INTO quota_counts (counter, holder) VALUES (?, ?)", (quota.counter, quota.holder))
        units = quota.units(order.quantity)
        if conn.execute(
            "UPDATE quota_counts SET sold = sold + ? WHERE counter = ? AND holder = ? AND sold + ? <= ?",
            (units, quota.counter, quota.holder, units, quota.cap),
        ).rowcount != 1:
            raise quota.refusal()


def _give_back_quotas(conn: sqlite3.Connection, order: Order) -> None:
    conn.executemany(
        "UPDATE quota_counts SET sold = sold - ? WHERE counter = ? AND holder = ?",
        [(quota.units(order.quantity), quota.counter, quota.holder) for quota in order.quotas],
    )


def _member_from(row: tuple) -> Member:
    station, shopper_key, spend, points, orders, code, referrer, ancestors, invitees, withdrawn = row
    return Member(station=station, shopper_key=shopper_key, spend=spend, points=points, orders=orders,
                  referral_code=code, referrer=referrer, ancestors=tuple(json.loads(ancestors)), invitees=invitees,
                  withdrawn=withdrawn)


def _put_coupons(conn: sqlite3.Connection, coupons: Iterable[IssuedCoupon]) -> None:
    # A coupon's uses are its quota counter, not this row: writing the same coupon again changes nothing.
    conn.executemany(
        "INSERT OR REPLACE INTO coupons (station, code, owner, body) VALUES (?, ?, ?, ?)",
        [(c.station, c.code, c.owner, c.model_dump_json()) for c in coupons],
    )


def _credit(conn: sqlite3.Connection, change: OrderChange) -> None:
    """The shopper's counters, the referrers' earnings and the coupons that move with an order."""
    delta = change.member
    if delta is not None:
        conn.execute("INSERT OR IGNORE INTO members (station, shopper_key) VALUES (?, ?)", (delta.station, delta.shopper_key))
        conn.execute(
            "UPDATE members SET spend = spend + ?, points = points + ?, orders = orders + ? "
            "WHERE station = ? AND shopper_key = ?",
            (delta.spend, delta.points, delta.orders, delta.station, delta.shopper_key),
        )
    for earning in change.earnings:
        if earning.reversed:
            # A reversal marks what was credited; the holding period it had stays as it was.
            conn.execute(
                "UPDATE earnings SET reversed = 1 WHERE station = ? AND referrer = ? AND order_id = ? AND level = ?",
                (earning.station, earning.referrer, earning.order_id, earning.level),
            )
        else:
            conn.execute(
                "INSERT INTO earnings (station, referrer, order_id, level, amount, available_at) VALUES (?, ?, ?, ?, ?, ?)",
                (earning.station, earning.referrer, earning.order_id, earning.level, earning.amount,
                 _ts(earning.available_at)),
            )
    _put_coupons(conn, change.coupons)


# Columns added after the first release: a store file made before them gets them on open.
_ADDED_COLUMNS = {
    "card_keys": ("refunded", "INTEGER NOT NULL DEFAULT 0"),
    "stock_counts": ("low_alerted", "INTEGER NOT NULL DEFAULT 0"),
    "members": ("withdrawn", "INTEGER NOT NULL DEFAULT 0"),
}


class SqliteStore:
    def __init__(self, path: Path | str):
        self.db = SqliteFile(path, SCHEMA)
        self._conn = self.db.conn
        self._write = self.db.write
        with self._write() as conn:
            for table, (column, declaration) in _ADDED_COLUMNS.items():
                if column not in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    # price books

    def put_price_book(self, book: PriceBook) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO price_books (station, version, body) VALUES (?, ?, ?) "
                "ON CONFLICT (station) DO UPDATE SET version = excluded.version, body = excluded.body",
                (book.station, book.version, book.model_dump_json()),
            )

    def price_book(self, station: str) -> PriceBook | None:
        row = self._conn().execute("SELECT body FROM price_books WHERE station = ?", (station,)).fetchone()
        return None if row is None else PriceBook.model_validate_json(row[0])

    # stock

    def add_card_keys(self, keys: Sequence[SealedKey]) -> ImportResult:
        with self._write() as conn:
            added_by_sku: dict[str, int] = {}
            for k in keys:
                inserted = conn.execute(
                    "INSERT OR IGNORE INTO card_keys (key_id, sku, fingerprint, ciphertext, status) "
                    "VALUES (?, ?, ?, ?, 'available')",
                    (k.key_id, k.sku, k.fingerprint, k.ciphertext),
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
            rows = self._conn().execute(
                f"SELECT sku, available, reserved, sold, void, low_alerted FROM stock_counts "
                f"WHERE sku IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            for sku, available, reserved, sold, void, low_alerted in rows:
                counts[sku] = StockCount(available, reserved, sold, void, bool(low_alerted))
        return counts

    def set_low_stock_alert(self, sku: str, alerted: bool) -> bool:
        with self._write() as conn:
            if alerted:
                return conn.execute(
                    "INSERT INTO stock_counts (sku, low_alerted) VALUES (?, 1) "
                    "ON CONFLICT (sku) DO UPDATE SET low_alerted = 1 WHERE low_alerted = 0", (sku,)
                ).rowcount == 1
            return conn.execute(
                "UPDATE stock_counts SET low_alerted = 0 WHERE sku = ? AND low_alerted = 1", (sku,)
            ).rowcount == 1

    # orders

    def place_order(self, order: Order) -> Order:
        # A sold-out answer needs no write lock: in a flash sale most buyers get it.
        if self.stock([order.sku])[order.sku].available < order.quantity:
            raise SoldOut("库存不足，该商品已售罄")
        # Nor does a flash sale whose quantity is gone (the transaction below checks again, under the lock).
        for quota in order.quotas:
            row = self._conn().execute(
                "SELECT sold FROM quota_counts WHERE counter = ? AND holder = ?", (quota.counter, quota.holder)
            ).fetchone()
            if row is not None and row[0] + quota.units(order.quantity) > quota.cap:
                raise quota.refusal()
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM orders WHERE id = ?", (order.id,)).fetchone():
                raise Duplicate(f"order {order.id} already exists")
            _take_quotas(conn, order)
            key_ids = self._reserve(conn, order.sku, order.id, order.quantity)
            placed = order.model_copy(update={"key_ids": tuple(key_ids)})
            conn.execute(
                "INSERT INTO orders (id, status, station, shopper_key, due_at, body) VALUES (?, ?, ?, ?, ?, ?)",
                (placed.id, placed.status.value, placed.station, placed.shopper_key, _ts(placed.due_at),
                 placed.model_dump_json()),
            )
        return placed

    def _reserve(self, conn: sqlite3.Connection, sku: str, order_id: str, quantity: int) -> list[str]:
        key_ids = [row[0] for row in conn.execute(
            "SELECT key_id FROM card_keys WHERE sku = ? AND status = 'available' ORDER BY key_id LIMIT ?",
            (sku, quantity),
        )]
        if len(key_ids) < quantity:
            raise SoldOut("库存不足，该商品已售罄")
        conn.executemany(
            "UPDATE card_keys SET status = 'reserved', order_id = ? WHERE key_id = ? AND status = 'available'",
            [(order_id, key_id) for key_id in key_ids],
        )
        _move_counts(conn, sku, KeyMove.RESERVE, quantity)
        return key_ids

    def apply(self, change: OrderChange, now: datetime) -> tuple[Applied, Order | None]:
        try:
            return Applied.DONE, self._apply(change, now)
        except _NotApplied as refusal:
            return refusal.outcome, None

    def _apply(self, change: OrderChange, now: datetime) -> Order:
        with self._write() as conn:
            if change.event_id is not None:
                if conn.execute("SELECT 1 FROM processed_events WHERE event_id = ?", (change.event_id,)).fetchone():
                    raise _NotApplied(Applied.DUPLICATE)
                conn.execute(
                    "INSERT INTO processed_events (event_id, order_id, processed_at) VALUES (?, ?, ?)",
                    (change.event_id, change.order_id, _ts(now)),
                )
            row = conn.execute(
                "SELECT body FROM orders WHERE id = ? AND status = ?", (change.order_id, change.from_status.value)
            ).fetchone()
            if row is None:
                raise _NotApplied(Applied.CONFLICT)
            order = Order.model_validate_json(row[0])
            updates = change.order_fields(now)
            if change.keys is KeyMove.FLAG_REFUNDED:
                flagged = conn.execute(
                    "UPDATE card_keys SET refunded = 1 WHERE order_id = ? AND status = 'sold'", (order.id,)
                ).rowcount
                if flagged != order.quantity:
                    raise RuntimeError(f"order {order.id} holds {flagged} sold keys, expected {order.quantity}")
            elif change.keys is KeyMove.RESERVE:
                expires = change.reservation_expires_at or order.expires_at
                # A late payment takes its flash-sale and daily quantity again, within the caps.
                _take_quotas(conn, order)
                updates["key_ids"] = tuple(self._reserve(conn, order.sku, order.id, order.quantity))
                updates["expires_at"] = expires
            elif change.keys is not KeyMove.NONE:
                moved = conn.execute(
                    "UPDATE card_keys SET status = ?, order_id = CASE WHEN ? = 'available' THEN NULL ELSE order_id END "
                    "WHERE order_id = ? AND status = ?",
                    (_KEY_STATUS_TO[change.keys], _KEY_STATUS_TO[change.keys], order.id, _KEY_STATUS_FROM[change.keys]),
                ).rowcount
                if change.keys is KeyMove.SELL and moved != order.quantity:
                    raise RuntimeError(f"order {order.id} holds {moved} reserved keys, expected {order.quantity}")
                _move_counts(conn, order.sku, change.keys, moved)
                if change.keys is KeyMove.RETURN:
                    updates["key_ids"] = ()
                    _give_back_quotas(conn, order)
            updated = order.model_copy(update=updates)
            conn.execute(
                "UPDATE orders SET status = ?, due_at = ?, body = ? WHERE id = ?",
                (updated.status.value, _ts(updated.due_at), updated.model_dump_json(), updated.id),
            )
            conn.executemany(
                "INSERT INTO ledger_entries (order_id, seq, account, amount, currency, memo) VALUES (?, ?, ?, ?, ?, ?)",
                [(e.order_id, seq, e.account, e.amount, e.currency, e.memo)
                 for seq, e in enumerate(change.ledger, start=change.ledger_from)],
            )
            _credit(conn, change)
        return updated

    def set_payment_session(self, order_id: str, session_id: str) -> None:
        with self._write() as conn:
            row = conn.execute("SELECT body FROM orders WHERE id = ?", (order_id,)).fetchone()
            if row is None:
                raise UnknownRecord(f"no order {order_id}")
            order = Order.model_validate_json(row[0]).model_copy(update={"payment_session": session_id})
            conn.execute("UPDATE orders SET body = ? WHERE id = ?", (order.model_dump_json(), order_id))

    def order(self, order_id: str) -> Order | None:
        row = self._conn().execute("SELECT body FROM orders WHERE id = ?", (order_id,)).fetchone()
        return None if row is None else Order.model_validate_json(row[0])

    def event_seen(self, event_id: str) -> bool:
        return self._conn().execute("SELECT 1 FROM processed_events WHERE event_id = ?", (event_id,)).fetchone() is not None

    def sealed_keys(self, order: Order) -> list[SealedKey]:
        rows = self._conn().execute(
            "SELECT key_id, sku, fingerprint, ciphertext, refunded FROM card_keys WHERE order_id = ? ORDER BY key_id",
            (order.id,),
        ).fetchall()
        return [SealedKey(key_id, sku, fingerprint, ciphertext, bool(refunded))
                for key_id, sku, fingerprint, ciphertext, refunded in rows]

    def orders_of_shopper(self, shopper_key: str, limit: int) -> list[Order]:
        rows = self._conn().execute(
            "SELECT body FROM orders WHERE shopper_key = ? ORDER BY id DESC LIMIT ?", (shopper_key, limit)
        ).fetchall()
        return [Order.model_validate_json(r[0]) for r in rows]

    def due_orders(self, now: datetime, limit: int) -> list[Order]:
        rows = self._conn().execute(
            "SELECT body FROM orders WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at LIMIT ?", (_ts(now), limit)
        ).fetchall()
        return [Order.model_validate_json(r[0]) for r in rows]

    def recent_orders(self, limit: int, station: str | None = None, status: OrderStatus | None = None) -> list[Order]:
        clauses, params = [], []
        if station:
            clauses.append("station = ?")
            params.append(station)
        if status:
            clauses.append("status = ?")
            params.append(status.value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._conn().execute(f"SELECT body FROM orders {where} ORDER BY id DESC LIMIT ?", (*params, limit)).fetchall()
        return [Order.model_validate_json(r[0]) for r in rows]

    def ledger(self, order_id: str) -> list[LedgerEntry]:
        return [LedgerEntry(order_id, *row) for row in self._conn().execute(
            "SELECT account, amount, currency, memo FROM ledger_entries WHERE order_id = ? ORDER BY seq", (order_id,)
        )]

    def count_hit(self, bucket: str, window_seconds: int, now: datetime) -> int:
        window = int(now.timestamp()) // window_seconds
        with self._write() as conn:
            conn.execute(
                "INSERT INTO rate_limits (bucket, window, hits) VALUES (?, ?, 1) "
                "ON CONFLICT (bucket, window) DO UPDATE SET hits = hits + 1",
                (bucket, window),
            )
            conn.execute("DELETE FROM rate_limits WHERE bucket = ? AND window < ?", (bucket, window))
            return conn.execute("SELECT hits FROM rate_limits WHERE bucket = ? AND window = ?", (bucket, window)).fetchone()[0]

    # sign-in links

    def put_sign_in(self, token_hash: str, grant: SignInGrant) -> None:
        with self._write() as conn:
            # Nothing can use a link a day past its expiry; tidying here keeps the table small.
            conn.execute("DELETE FROM sign_in_tokens WHERE expires_at < ?", (_ts(grant.expires_at - timedelta(days=1)),))
            try:
                conn.execute(
                    "INSERT INTO sign_in_tokens (token_hash, shopper_key, station, email_masked, expires_at) VALUES (?, ?, ?, ?, ?)",
                    (token_hash, grant.shopper_key, grant.station, grant.email_masked, _ts(grant.expires_at)),
                )
            except sqlite3.IntegrityError:
                raise Duplicate("a sign-in link of that token is kept already") from None

    def use_sign_in(self, token_hash: str, now: datetime) -> SignInGrant | None:
        with self._write() as conn:
            row = conn.execute(
                "SELECT shopper_key, station, email_masked, expires_at FROM sign_in_tokens "
                "WHERE token_hash = ? AND used_at IS NULL", (token_hash,)
            ).fetchone()
            if row is None or conn.execute(
                "UPDATE sign_in_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL", (_ts(now), token_hash)
            ).rowcount != 1:
                return None
        grant = SignInGrant(row[0], row[1], row[2], datetime.fromisoformat(row[3]))
        return grant if grant.expires_at > now else None

    # members, coupons, earnings

    def member(self, station: str, shopper_key: str) -> Member:
        row = self._conn().execute(
            f"SELECT {_MEMBER_COLUMNS} FROM members WHERE station = ? AND shopper_key = ?", (station, shopper_key)
        ).fetchone()
        return Member(station=station, shopper_key=shopper_key) if row is None else _member_from(row)

    def open_member(self, station: str, shopper_key: str, referral_code: str) -> Member:
        with self._write() as conn:
            conn.execute("INSERT OR IGNORE INTO members (station, shopper_key) VALUES (?, ?)", (station, shopper_key))
            try:
                conn.execute(
                    "UPDATE members SET referral_code = ? WHERE station = ? AND shopper_key = ? AND referral_code IS NULL",
                    (referral_code, station, shopper_key),
                )
            except sqlite3.IntegrityError:
                raise Duplicate(f"referral code {referral_code} belongs to another shopper") from None
        return self.member(station, shopper_key)

    def member_by_code(self, station: str, referral_code: str) -> Member | None:
        row = self._conn().execute(
            f"SELECT {_MEMBER_COLUMNS} FROM members WHERE station = ? AND referral_code = ?", (station, referral_code)
        ).fetchone()
        return None if row is None else _member_from(row)

    def bind_referrer(self, station: str, shopper_key: str, referrer: Member, ancestors: tuple[str, ...],
                      welcome: IssuedCoupon | None) -> bool:
        try:
            with self._write() as conn:
                conn.execute("INSERT OR IGNORE INTO members (station, shopper_key) VALUES (?, ?)", (station, shopper_key))
                if conn.execute(
                    "UPDATE members SET referrer = ?, ancestors = ? WHERE station = ? AND shopper_key = ? "
                    "AND referrer IS NULL AND orders = 0 AND invitees = 0",
                    (referrer.shopper_key, json.dumps(list(ancestors)), station, shopper_key),
                ).rowcount != 1:
                    raise _NotApplied(Applied.CONFLICT)
                # The chain copied above is the referrer's as read: bind only if it has not changed since.
                if conn.execute(
                    "UPDATE members SET invitees = invitees + 1 WHERE station = ? AND shopper_key = ? AND referrer IS ?",
                    (station, referrer.shopper_key, referrer.referrer),
                ).rowcount != 1:
                    raise _NotApplied(Applied.CONFLICT)
                _put_coupons(conn, () if welcome is None else (welcome,))
        except _NotApplied:
            return False
        return True

    def redeem_points(self, station: str, shopper_key: str, points: int, coupon: IssuedCoupon) -> bool:
        with self._write() as conn:
            if conn.execute(
                "UPDATE members SET points = points - ? WHERE station = ? AND shopper_key = ? AND points >= ?",
                (points, station, shopper_key, points),
            ).rowcount != 1:
                return False
            _put_coupons(conn, (coupon,))
        return True

    def issue_coupon(self, coupon: IssuedCoupon) -> None:
        with self._write() as conn:
            _put_coupons(conn, (coupon,))

    def coupon(self, station: str, code: str) -> IssuedCoupon | None:
        row = self._conn().execute("SELECT body FROM coupons WHERE station = ? AND code = ?", (station, code)).fetchone()
        return None if row is None else IssuedCoupon.model_validate_json(row[0])

    def coupons_of(self, station: str, shopper_key: str) -> list[tuple[IssuedCoupon, int]]:
        rows = self._conn().execute(
            "SELECT c.body, COALESCE(q.sold, 0) FROM coupons c LEFT JOIN quota_counts q "
            "ON q.counter = 'COUPON#' || c.station || '#' || c.code AND q.holder = ? "
            "WHERE c.station = ? AND c.owner = ? ORDER BY c.code",
            (EVERYONE, station, shopper_key),
        ).fetchall()
        return [(IssuedCoupon.model_validate_json(body), used) for body, used in rows]

    def quota_count(self, counter: str, holder: str) -> int:
        row = self._conn().execute(
            "SELECT sold FROM quota_counts WHERE counter = ? AND holder = ?", (counter, holder)).fetchone()
        return 0 if row is None else row[0]

    def earnings(self, station: str, referrer: str) -> list[Earning]:
        rows = self._conn().execute(
            "SELECT order_id, level, amount, available_at, reversed FROM earnings "
            "WHERE station = ? AND referrer = ? ORDER BY order_id, level", (station, referrer),
        ).fetchall()
        return [Earning(station, referrer, order_id, level, amount, datetime.fromisoformat(available_at), bool(reversed_))
                for order_id, level, amount, available_at, reversed_ in rows]

    def orders_placed(self, station: str, start: datetime, end: datetime) -> list[Order]:
        """The station's orders placed in [start, end), oldest first (ids sort by the time they were made)."""
        rows = self._conn().execute(
            "SELECT body FROM orders WHERE station = ? AND id >= ? AND id < ? ORDER BY id",
            (station, id_floor(start), id_floor(end)),
        ).fetchall()
        return [Order.model_validate_json(r[0]) for r in rows]

    # withdrawals of commissions

    def request_withdrawal(self, withdrawal: Withdrawal, seen_withdrawn: int) -> bool:
        with self._write() as conn:
            if conn.execute(
                "UPDATE members SET withdrawn = withdrawn + ? WHERE station = ? AND shopper_key = ? AND withdrawn = ?",
                (withdrawal.amount, withdrawal.station, withdrawal.referrer, seen_withdrawn),
            ).rowcount != 1:
                return False
            conn.execute("INSERT INTO withdrawals (id, station, referrer, status, body) VALUES (?, ?, ?, ?, ?)",
                         (withdrawal.id, withdrawal.station, withdrawal.referrer, withdrawal.status.value,
                          withdrawal.model_dump_json()))
        return True

    def withdrawals_of(self, station: str, referrer: str) -> list[Withdrawal]:
        rows = self._conn().execute(
            "SELECT body FROM withdrawals WHERE station = ? AND referrer = ? ORDER BY id DESC", (station, referrer)
        ).fetchall()
        return [Withdrawal.model_validate_json(r[0]) for r in rows]

    def withdrawals(self, station: str, status: WithdrawalStatus | None = None) -> list[Withdrawal]:
        rows = self._conn().execute(
            "SELECT body FROM withdrawals WHERE station = ? AND (? IS NULL OR status = ?) ORDER BY id",
            (station, status and status.value, status and status.value),
        ).fetchall()
        return [Withdrawal.model_validate_json(r[0]) for r in rows]

    def settle_withdrawal(self, station: str, withdrawal_id: str, status: WithdrawalStatus, now: datetime,
                          note: str | None) -> Withdrawal:
        with self._write() as conn:
            row = conn.execute("SELECT body, status FROM withdrawals WHERE id = ? AND station = ?",
                               (withdrawal_id, station)).fetchone()
            if row is None:
                raise UnknownRecord(f"no withdrawal {withdrawal_id} at {station}")
            if row[1] != WithdrawalStatus.REQUESTED.value:
                raise Conflict(f"withdrawal {withdrawal_id} is {row[1]} already")
            settled = Withdrawal.model_validate_json(row[0]).model_copy(
                update={"status": status, "settled_at": now, "note": note})
            conn.execute("UPDATE withdrawals SET status = ?, body = ? WHERE id = ?",
                         (status.value, settled.model_dump_json(), withdrawal_id))
            if status is WithdrawalStatus.REJECTED:
                conn.execute("UPDATE members SET withdrawn = withdrawn - ? WHERE station = ? AND shopper_key = ?",
                             (settled.amount, station, settled.referrer))
        return settled


def open_store(path: Path | str) -> Store:
    store = SqliteStore(path)
    return Store(price_books=store, inventory=store, orders=store, members=store, payouts=store, counters=store,
                 sign_ins=store)
