"""Resellers, their balance (a column of their row) and what moves it: top-ups and charges, each once."""
from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime

from kameng.adapters.sqlite.schema import ts
from kameng.adapters.sqlite_file import SqliteFile
from kameng.domain.errors import InsufficientBalance
from kameng.domain.wholesale import Reseller, ResellerCharge
from kameng.ports.store import Duplicate, UnknownRecord

_COLUMNS = "id, name, station, key_id, sealed_secret, credit_limit, currency, created_at, active"
_CHARGE_COLUMNS = "reseller_id, request_id, sku, quantity, amount, order_id, charged_at, given_back"


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _reseller(row: tuple) -> Reseller:
    id_, name, station, key_id, sealed, credit, currency, created_at, active = row
    return Reseller(id_, name, station, key_id, bytes(sealed), credit, currency, _moment(created_at), bool(active))


def _charge(row: tuple) -> ResellerCharge:
    reseller_id, request_id, sku, quantity, amount, order_id, charged_at, given_back = row
    return ResellerCharge(reseller_id, request_id, sku, quantity, amount, order_id, _moment(charged_at),
                          bool(given_back))


def _charge_of(conn: sqlite3.Connection, reseller_id: str, request_id: str) -> ResellerCharge | None:
    row = conn.execute(f"SELECT {_CHARGE_COLUMNS} FROM reseller_charges WHERE reseller_id = ? AND request_id = ?",
                       (reseller_id, request_id)).fetchone()
    return None if row is None else _charge(row)


def _balance(conn: sqlite3.Connection, reseller_id: str) -> tuple[int, int]:
    row = conn.execute("SELECT balance, credit_limit FROM resellers WHERE id = ?", (reseller_id,)).fetchone()
    if row is None:
        raise UnknownRecord(f"no reseller {reseller_id}")
    return row[0], row[1]


class SqliteResellers:
    def __init__(self, db: SqliteFile):
        self._db = db

    def add_reseller(self, reseller: Reseller) -> None:
        with self._db.write() as conn:
            try:
                conn.execute(f"INSERT INTO resellers ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (
                    reseller.id, reseller.name, reseller.station, reseller.key_id, reseller.sealed_secret,
                    reseller.credit_limit, reseller.currency, ts(reseller.created_at), int(reseller.active)))
            except sqlite3.IntegrityError:
                raise Duplicate(f"a reseller {reseller.id} is kept already") from None

    def reseller(self, reseller_id: str) -> Reseller | None:
        row = self._db.conn().execute(f"SELECT {_COLUMNS} FROM resellers WHERE id = ?", (reseller_id,)).fetchone()
        return None if row is None else _reseller(row)

    def resellers(self) -> list[Reseller]:
        return [_reseller(row) for row in self._db.conn().execute(f"SELECT {_COLUMNS} FROM resellers ORDER BY id")]

    def top_up(self, reseller_id: str, amount: int, reference: str, now: datetime) -> bool:
        with self._db.write() as conn:
            _balance(conn, reseller_id)
            try:
                conn.execute("INSERT INTO reseller_top_ups (reseller_id, reference, amount, at) VALUES (?, ?, ?, ?)",
                             (reseller_id, reference, amount, ts(now)))
            except sqlite3.IntegrityError:
                return False
            conn.execute("UPDATE resellers SET balance = balance + ? WHERE id = ?", (amount, reseller_id))
        return True

    def balance(self, reseller_id: str) -> tuple[int, int]:
        return _balance(self._db.conn(), reseller_id)

    def charge(self, charge: ResellerCharge) -> ResellerCharge:
        with self._db.write() as conn:
            kept = _charge_of(conn, charge.reseller_id, charge.request_id)
            if kept is not None:
                return kept
            balance, credit_limit = _balance(conn, charge.reseller_id)
            if balance + credit_limit < charge.amount:
                raise InsufficientBalance(f"余额不足：余额 {balance}，信用额度 {credit_limit}，本单 {charge.amount}（分）")
            conn.execute("UPDATE resellers SET balance = balance - ? WHERE id = ?", (charge.amount, charge.reseller_id))
            conn.execute(f"INSERT INTO reseller_charges ({_CHARGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, 0)", (
                charge.reseller_id, charge.request_id, charge.sku, charge.quantity, charge.amount, charge.order_id,
                ts(charge.charged_at)))
        return replace(charge, given_back=False)

    def charge_of(self, reseller_id: str, request_id: str) -> ResellerCharge | None:
        return _charge_of(self._db.conn(), reseller_id, request_id)

    def give_back(self, reseller_id: str, request_id: str, now: datetime) -> bool:
        with self._db.write() as conn:
            kept = _charge_of(conn, reseller_id, request_id)
            if kept is None or kept.given_back:
                return False
            conn.execute("UPDATE reseller_charges SET given_back = 1 WHERE reseller_id = ? AND request_id = ?",
                         (reseller_id, request_id))
            conn.execute("UPDATE resellers SET balance = balance + ? WHERE id = ?", (kept.amount, reseller_id))
        return True

    def use_nonce(self, reseller_id: str, nonce: str, now: datetime, expires_at: datetime) -> bool:
        with self._db.write() as conn:
            # The reseller's lapsed nonces go as new ones come, so the table holds about ten minutes of requests.
            conn.execute("DELETE FROM reseller_nonces WHERE reseller_id = ? AND expires_at < ?", (reseller_id, ts(now)))
            try:
                conn.execute("INSERT INTO reseller_nonces (reseller_id, nonce, expires_at) VALUES (?, ?, ?)",
                             (reseller_id, nonce, ts(expires_at)))
            except sqlite3.IntegrityError:
                return False
        return True
