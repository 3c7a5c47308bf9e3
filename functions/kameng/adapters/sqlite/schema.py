"""The embedded store's tables, one SQLite file in WAL mode, and the formats its columns share.

Each write is one `BEGIN IMMEDIATE` transaction, which SQLite serialises across threads and
processes; a change applies only if a row still has what it was read with, the same condition
DynamoDB checks. Counters move in the same transaction as the keys, so the stock page reads one
row per SKU instead of counting 100,000 keys (the DynamoDB adapter does the same).
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from kameng.adapters.sqlite_file import SqliteFile

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
CREATE TABLE IF NOT EXISTS idempotent_requests (
    scope_key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, claimed_at TEXT NOT NULL,
    lease_ends TEXT NOT NULL, expires_at TEXT NOT NULL, response BLOB);
CREATE INDEX IF NOT EXISTS idempotent_requests_expiry ON idempotent_requests (expires_at);
CREATE TABLE IF NOT EXISTS stats_marks (
    order_id TEXT NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (order_id, kind));
CREATE TABLE IF NOT EXISTS stats_days (
    station TEXT NOT NULL, day TEXT NOT NULL, sku TEXT NOT NULL, gmv INTEGER NOT NULL, orders INTEGER NOT NULL,
    keys INTEGER NOT NULL, refunded INTEGER NOT NULL, refunds INTEGER NOT NULL, PRIMARY KEY (station, day, sku));
CREATE TABLE IF NOT EXISTS stats_buyers (
    station TEXT NOT NULL, shopper_key TEXT NOT NULL, first_day TEXT NOT NULL, last_day TEXT NOT NULL,
    orders INTEGER NOT NULL, spend INTEGER NOT NULL, PRIMARY KEY (station, shopper_key));
CREATE TABLE IF NOT EXISTS stats_tallies (
    station TEXT NOT NULL, day TEXT NOT NULL, tally TEXT NOT NULL, value INTEGER NOT NULL,
    PRIMARY KEY (station, day, tally));
CREATE TABLE IF NOT EXISTS stats_buyer_days (
    station TEXT NOT NULL, day TEXT NOT NULL, shopper_key TEXT NOT NULL, orders INTEGER NOT NULL,
    PRIMARY KEY (station, day, shopper_key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stats_cohort_members (
    station TEXT NOT NULL, shopper_key TEXT NOT NULL, week TEXT NOT NULL, PRIMARY KEY (station, shopper_key));
CREATE TABLE IF NOT EXISTS stats_buyer_weeks (
    station TEXT NOT NULL, shopper_key TEXT NOT NULL, week TEXT NOT NULL, orders INTEGER NOT NULL,
    PRIMARY KEY (station, shopper_key, week));
CREATE TABLE IF NOT EXISTS stats_cohorts (
    station TEXT NOT NULL, week TEXT NOT NULL, offset INTEGER NOT NULL, buyers INTEGER NOT NULL,
    PRIMARY KEY (station, week, offset));
CREATE TABLE IF NOT EXISTS stats_referrers (
    station TEXT NOT NULL, day TEXT NOT NULL, referrer TEXT NOT NULL, orders INTEGER NOT NULL, gmv INTEGER NOT NULL,
    commissions INTEGER NOT NULL, PRIMARY KEY (station, day, referrer));
CREATE TABLE IF NOT EXISTS audit_entries (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, station TEXT NOT NULL, action TEXT NOT NULL,
    subject TEXT NOT NULL, before TEXT NOT NULL, after TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_entries_station ON audit_entries (station, seq);
CREATE TABLE IF NOT EXISTS owners (
    id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, role TEXT NOT NULL, station TEXT);
CREATE INDEX IF NOT EXISTS owners_station ON owners (station, email);
CREATE TABLE IF NOT EXISTS owner_tokens (
    token_hash TEXT PRIMARY KEY, owner_id TEXT NOT NULL REFERENCES owners (id), label TEXT NOT NULL,
    issued_at TEXT NOT NULL, expires_at TEXT NOT NULL, revoked_at TEXT);
CREATE TABLE IF NOT EXISTS owner_factors (
    owner_id TEXT PRIMARY KEY REFERENCES owners (id), sealed_secret BLOB NOT NULL, confirmed INTEGER NOT NULL,
    last_step INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stock_thresholds (
    station TEXT NOT NULL, sku TEXT NOT NULL, low_stock INTEGER NOT NULL, PRIMARY KEY (station, sku));
CREATE TABLE IF NOT EXISTS tickets (
    id TEXT PRIMARY KEY, order_id TEXT NOT NULL, station TEXT NOT NULL, key_id TEXT NOT NULL, open_key TEXT,
    status TEXT NOT NULL, created_at TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS tickets_order ON tickets (order_id, id);
CREATE INDEX IF NOT EXISTS tickets_queue ON tickets (station, status, created_at, id);
CREATE UNIQUE INDEX IF NOT EXISTS tickets_open_key ON tickets (open_key) WHERE open_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS station_payouts (
    station TEXT NOT NULL, id TEXT NOT NULL, status TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (station, id));
CREATE TABLE IF NOT EXISTS payout_totals (station TEXT PRIMARY KEY, committed INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS key_batches (
    batch_id TEXT PRIMARY KEY, sku TEXT NOT NULL, supplier TEXT NOT NULL, cost_per_key INTEGER,
    imported_at TEXT NOT NULL, note TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS key_batches_sku ON key_batches (sku, batch_id);
CREATE TABLE IF NOT EXISTS supply_attempts (
    request_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, started_at TEXT NOT NULL, status TEXT NOT NULL,
    quantity_delivered INTEGER NOT NULL, quantity_applied INTEGER NOT NULL, sweep_at TEXT, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS supply_attempts_order ON supply_attempts (order_id, started_at, request_id);
CREATE INDEX IF NOT EXISTS supply_attempts_sweep ON supply_attempts (sweep_at, request_id) WHERE sweep_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS supply_sync (sku TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS resellers (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, station TEXT NOT NULL, key_id TEXT NOT NULL, sealed_secret BLOB NOT NULL,
    credit_limit INTEGER NOT NULL, currency TEXT NOT NULL, created_at TEXT NOT NULL, active INTEGER NOT NULL,
    balance INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS reseller_top_ups (
    reseller_id TEXT NOT NULL, reference TEXT NOT NULL, amount INTEGER NOT NULL, at TEXT NOT NULL,
    PRIMARY KEY (reseller_id, reference));
CREATE TABLE IF NOT EXISTS reseller_charges (
    reseller_id TEXT NOT NULL, request_id TEXT NOT NULL, sku TEXT NOT NULL, quantity INTEGER NOT NULL,
    amount INTEGER NOT NULL, order_id TEXT NOT NULL,
    charged_at TEXT NOT NULL, given_back INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (reseller_id, request_id));
CREATE TABLE IF NOT EXISTS reseller_nonces (
    reseller_id TEXT NOT NULL, nonce TEXT NOT NULL, expires_at TEXT NOT NULL, PRIMARY KEY (reseller_id, nonce));
CREATE TABLE IF NOT EXISTS real_names (
    station TEXT NOT NULL, shopper_key TEXT NOT NULL, name_masked TEXT NOT NULL, id_masked TEXT NOT NULL,
    sealed BLOB NOT NULL, verified_at TEXT NOT NULL, PRIMARY KEY (station, shopper_key));
"""

# Columns added after the first release: a store file made before them gets them on open.
_ADDED_COLUMNS = {
    "card_keys": ("refunded", "INTEGER NOT NULL DEFAULT 0"),
    "stock_counts": ("low_alerted", "INTEGER NOT NULL DEFAULT 0"),
    "members": ("withdrawn", "INTEGER NOT NULL DEFAULT 0"),
}


def open_file(path: Path | str) -> SqliteFile:
    db = SqliteFile(path, SCHEMA)
    with db.write() as conn:
        for table, (column, declaration) in _ADDED_COLUMNS.items():
            if column not in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
        # Keys imported before batches were kept have none (NULL).
        if "batch_id" not in {row[1] for row in conn.execute("PRAGMA table_info(card_keys)")}:
            conn.execute("ALTER TABLE card_keys ADD COLUMN batch_id TEXT")
        conn.execute("CREATE INDEX IF NOT EXISTS card_keys_batch ON card_keys (batch_id, status) "
                     "WHERE batch_id IS NOT NULL")
    return db


def ts(moment: datetime | None) -> str | None:
    # Fixed-width UTC text sorts like the instants it names.
    return None if moment is None else moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
