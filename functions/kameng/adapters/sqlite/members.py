"""Members, their referral chains and coupons, and referral earnings with their withdrawals.

Delivery and refunds move a member's counters, earnings and coupons inside the order's own
transaction through `credit`; the rest of these writes stand alone."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Iterable

from kameng.adapters.sqlite.schema import ts
from kameng.adapters.sqlite_file import SqliteFile
from kameng.domain.member import Earning, IssuedCoupon, Member, Withdrawal, WithdrawalStatus
from kameng.domain.order import OrderChange
from kameng.domain.quota import EVERYONE
from kameng.ports.store import Conflict, Duplicate, UnknownRecord

_MEMBER_COLUMNS = "station, shopper_key, spend, points, orders, referral_code, referrer, ancestors, invitees, withdrawn"


class _Refused(Exception):
    """A condition of the transaction failed: roll it back and answer False."""


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


def credit(conn: sqlite3.Connection, change: OrderChange) -> None:
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
        if earning.take_back:
            conn.execute(
                "UPDATE earnings SET amount = amount - ? WHERE station = ? AND referrer = ? AND order_id = ? AND level = ?",
                (earning.amount, earning.station, earning.referrer, earning.order_id, earning.level),
            )
        elif earning.reversed:
            # A reversal marks what was credited; the holding period it had stays as it was.
            conn.execute(
                "UPDATE earnings SET reversed = 1 WHERE station = ? AND referrer = ? AND order_id = ? AND level = ?",
                (earning.station, earning.referrer, earning.order_id, earning.level),
            )
        else:
            conn.execute(
                "INSERT INTO earnings (station, referrer, order_id, level, amount, available_at) VALUES (?, ?, ?, ?, ?, ?)",
                (earning.station, earning.referrer, earning.order_id, earning.level, earning.amount,
                 ts(earning.available_at)),
            )
    _put_coupons(conn, change.coupons)


# A coupon with how many of its uses orders hold (its quota counter), bound to quota.EVERYONE.
_COUPONS_WITH_USES = ("SELECT c.body, COALESCE(q.sold, 0) FROM coupons c LEFT JOIN quota_counts q "
                      "ON q.counter = 'COUPON#' || c.station || '#' || c.code AND q.holder = ? ")


class SqliteMembers:
    def __init__(self, db: SqliteFile):
        self._db = db

    def member(self, station: str, shopper_key: str) -> Member:
        row = self._db.conn().execute(
            f"SELECT {_MEMBER_COLUMNS} FROM members WHERE station = ? AND shopper_key = ?", (station, shopper_key)
        ).fetchone()
        return Member(station=station, shopper_key=shopper_key) if row is None else _member_from(row)

    def open_member(self, station: str, shopper_key: str, referral_code: str) -> Member:
        with self._db.write() as conn:
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
        row = self._db.conn().execute(
            f"SELECT {_MEMBER_COLUMNS} FROM members WHERE station = ? AND referral_code = ?", (station, referral_code)
        ).fetchone()
        return None if row is None else _member_from(row)

    def bind_referrer(self, station: str, shopper_key: str, referrer: Member, ancestors: tuple[str, ...],
                      welcome: IssuedCoupon | None) -> bool:
        try:
            with self._db.write() as conn:
                conn.execute("INSERT OR IGNORE INTO members (station, shopper_key) VALUES (?, ?)", (station, shopper_key))
                if conn.execute(
                    "UPDATE members SET referrer = ?, ancestors = ? WHERE station = ? AND shopper_key = ? "
                    "AND referrer IS NULL AND orders = 0 AND invitees = 0",
                    (referrer.shopper_key, json.dumps(list(ancestors)), station, shopper_key),
                ).rowcount != 1:
                    raise _Refused
                # The chain copied above is the referrer's as read: bind only if it has not changed since.
                if conn.execute(
                    "UPDATE members SET invitees = invitees + 1 WHERE station = ? AND shopper_key = ? AND referrer IS ?",
                    (station, referrer.shopper_key, referrer.referrer),
                ).rowcount != 1:
                    raise _Refused
                _put_coupons(conn, () if welcome is None else (welcome,))
        except _Refused:
            return False
        return True

    def redeem_points(self, station: str, shopper_key: str, points: int, coupon: IssuedCoupon) -> bool:
        with self._db.write() as conn:
            if conn.execute(
                "UPDATE members SET points = points - ? WHERE station = ? AND shopper_key = ? AND points >= ?",
                (points, station, shopper_key, points),
            ).rowcount != 1:
                return False
            _put_coupons(conn, (coupon,))
        return True

    def issue_coupon(self, coupon: IssuedCoupon) -> None:
        with self._db.write() as conn:
            _put_coupons(conn, (coupon,))

    def coupon(self, station: str, code: str) -> IssuedCoupon | None:
        row = self._db.conn().execute("SELECT body FROM coupons WHERE station = ? AND code = ?", (station, code)).fetchone()
        return None if row is None else IssuedCoupon.model_validate_json(row[0])

    def coupons_of(self, station: str, shopper_key: str) -> list[tuple[IssuedCoupon, int]]:
        rows = self._db.conn().execute(
            _COUPONS_WITH_USES + "WHERE c.station = ? AND c.owner = ? ORDER BY c.code",
            (EVERYONE, station, shopper_key),
        ).fetchall()
        return [(IssuedCoupon.model_validate_json(body), used) for body, used in rows]

    def station_coupons(self, station: str, limit: int) -> list[tuple[IssuedCoupon, int]]:
        rows = self._db.conn().execute(
            _COUPONS_WITH_USES + "WHERE c.station = ? ORDER BY json_extract(c.body, '$.issued_at') DESC, c.code DESC LIMIT ?",
            (EVERYONE, station, limit),
        ).fetchall()
        return [(IssuedCoupon.model_validate_json(body), used) for body, used in rows]


class SqlitePayouts:
    def __init__(self, db: SqliteFile):
        self._db = db

    def earnings(self, station: str, referrer: str) -> list[Earning]:
        rows = self._db.conn().execute(
            "SELECT order_id, level, amount, available_at, reversed FROM earnings "
            "WHERE station = ? AND referrer = ? ORDER BY order_id, level", (station, referrer),
        ).fetchall()
        return [Earning(station, referrer, order_id, level, amount, datetime.fromisoformat(available_at), bool(reversed_))
                for order_id, level, amount, available_at, reversed_ in rows]

    def request_withdrawal(self, withdrawal: Withdrawal, seen_withdrawn: int) -> bool:
        with self._db.write() as conn:
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
        rows = self._db.conn().execute(
            "SELECT body FROM withdrawals WHERE station = ? AND referrer = ? ORDER BY id DESC", (station, referrer)
        ).fetchall()
        return [Withdrawal.model_validate_json(r[0]) for r in rows]

    def withdrawals(self, station: str, status: WithdrawalStatus | None = None) -> list[Withdrawal]:
        rows = self._db.conn().execute(
            "SELECT body FROM withdrawals WHERE station = ? AND (? IS NULL OR status = ?) ORDER BY id",
            (station, status and status.value, status and status.value),
        ).fetchall()
        return [Withdrawal.model_validate_json(r[0]) for r in rows]

    def settle_withdrawal(self, station: str, withdrawal_id: str, status: WithdrawalStatus, now: datetime,
                          note: str | None) -> Withdrawal:
        with self._db.write() as conn:
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
