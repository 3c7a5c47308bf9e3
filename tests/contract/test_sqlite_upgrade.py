"""A store file written before refunds and stock alerts opens and gains their columns."""
from __future__ import annotations

import sqlite3

from kameng.adapters.sqlite import open_store

from .store_world import sealed_keys_for

OLD_SCHEMA = """
CREATE TABLE card_keys (
    key_id TEXT PRIMARY KEY, sku TEXT NOT NULL, fingerprint TEXT NOT NULL UNIQUE,
    ciphertext BLOB NOT NULL, status TEXT NOT NULL, order_id TEXT);
CREATE TABLE stock_counts (
    sku TEXT PRIMARY KEY, available INTEGER NOT NULL DEFAULT 0, reserved INTEGER NOT NULL DEFAULT 0,
    sold INTEGER NOT NULL DEFAULT 0, void INTEGER NOT NULL DEFAULT 0);
INSERT INTO stock_counts (sku, available) VALUES ('sku-old', 4);
"""


def test_an_older_store_file_keeps_its_stock_and_gains_the_new_columns(tmp_path):
    path = tmp_path / "kameng.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA)
    store = open_store(path)
    store.inventory.add_card_keys(sealed_keys_for("sku-old", 1))
    assert (store.inventory.stock(["sku-old"])["sku-old"].available, store.inventory.set_low_stock_alert("sku-old", True)) == (5, True)


def test_opening_a_store_twice_adds_each_column_once(tmp_path):
    open_store(tmp_path / "kameng.db")
    open_store(tmp_path / "kameng.db")
    with sqlite3.connect(tmp_path / "kameng.db") as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(card_keys)")]
    assert columns.count("refunded") == 1
