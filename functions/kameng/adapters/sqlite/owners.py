"""The owner console's people and their API tokens (by hash)."""
from __future__ import annotations

import sqlite3
from datetime import datetime

from kameng.adapters.sqlite.schema import ts
from kameng.adapters.sqlite_file import SqliteFile
from kameng.domain.owners import Owner, OwnerToken, Role
from kameng.domain.second_factor import SecondFactor
from kameng.ports.store import Conflict, Duplicate, UnknownRecord

_OWNER = "id, email, role, station"
_TOKEN = "token_hash, owner_id, label, issued_at, expires_at, revoked_at"


def _owner(row: tuple) -> Owner:
    return Owner(row[0], row[1], Role(row[2]), row[3])


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _token(row: tuple) -> OwnerToken:
    return OwnerToken(row[0], row[1], row[2], datetime.fromisoformat(row[3]), datetime.fromisoformat(row[4]),
                      _moment(row[5]))


class SqliteOwners:
    def __init__(self, db: SqliteFile):
        self._db = db

    def add_owner(self, owner: Owner) -> None:
        with self._db.write() as conn:
            try:
                conn.execute(f"INSERT INTO owners ({_OWNER}) VALUES (?, ?, ?, ?)",
                             (owner.id, owner.email, owner.role.value, owner.station))
            except sqlite3.IntegrityError:
                raise Duplicate(f"an owner of that id or e-mail ({owner.email}) is kept already") from None

    def owner(self, owner_id: str) -> Owner | None:
        row = self._db.conn().execute(f"SELECT {_OWNER} FROM owners WHERE id = ?", (owner_id,)).fetchone()
        return None if row is None else _owner(row)

    def owner_by_email(self, email: str) -> Owner | None:
        row = self._db.conn().execute(f"SELECT {_OWNER} FROM owners WHERE email = ?", (email,)).fetchone()
        return None if row is None else _owner(row)

    def owners(self, station: str | None) -> list[Owner]:
        if station is None:
            rows = self._db.conn().execute(f"SELECT {_OWNER} FROM owners ORDER BY email")
        else:
            rows = self._db.conn().execute(f"SELECT {_OWNER} FROM owners WHERE station = ? ORDER BY email", (station,))
        return [_owner(row) for row in rows]

    def issue_token(self, token: OwnerToken) -> None:
        with self._db.write() as conn:
            if conn.execute("SELECT 1 FROM owners WHERE id = ?", (token.owner_id,)).fetchone() is None:
                raise UnknownRecord(f"no owner {token.owner_id}")
            try:
                conn.execute(f"INSERT INTO owner_tokens ({_TOKEN}) VALUES (?, ?, ?, ?, ?, ?)",
                             (token.token_hash, token.owner_id, token.label, ts(token.issued_at),
                              ts(token.expires_at), ts(token.revoked_at)))
            except sqlite3.IntegrityError:
                raise Duplicate("a token of that hash is kept already") from None

    def tokens(self) -> list[OwnerToken]:
        rows = self._db.conn().execute(f"SELECT {_TOKEN} FROM owner_tokens ORDER BY owner_id, issued_at, token_hash")
        return [_token(row) for row in rows]

    def owner_by_token(self, token_hash: str, now: datetime) -> Owner | None:
        row = self._db.conn().execute(
            f"SELECT {_TOKEN} FROM owner_tokens WHERE token_hash = ?", (token_hash,)).fetchone()
        if row is None or not _token(row).valid_at(now):
            return None
        return self.owner(row[1])

    def revoke_token(self, token_hash: str, now: datetime) -> OwnerToken:
        with self._db.write() as conn:
            conn.execute("UPDATE owner_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                         (ts(now), token_hash))
            row = conn.execute(f"SELECT {_TOKEN} FROM owner_tokens WHERE token_hash = ?", (token_hash,)).fetchone()
        if row is None:
            raise UnknownRecord("no token of that hash")
        return _token(row)

    def second_factor(self, owner_id: str) -> SecondFactor | None:
        row = self._db.conn().execute(
            "SELECT sealed_secret, confirmed, last_step FROM owner_factors WHERE owner_id = ?", (owner_id,)).fetchone()
        return None if row is None else SecondFactor(owner_id, bytes(row[0]), bool(row[1]), row[2])

    def start_second_factor(self, factor: SecondFactor) -> None:
        with self._db.write() as conn:
            if conn.execute("SELECT 1 FROM owners WHERE id = ?", (factor.owner_id,)).fetchone() is None:
                raise UnknownRecord(f"no owner {factor.owner_id}")
            kept = conn.execute(
                "INSERT INTO owner_factors (owner_id, sealed_secret, confirmed, last_step) VALUES (?, ?, 0, 0) "
                "ON CONFLICT (owner_id) DO UPDATE SET sealed_secret = excluded.sealed_secret, last_step = 0 "
                "WHERE owner_factors.confirmed = 0", (factor.owner_id, factor.sealed_secret)).rowcount
            if kept == 0:
                raise Conflict("the owner's second factor is set up already")

    def use_second_factor_step(self, owner_id: str, step: int, sealed_secret: bytes) -> bool:
        with self._db.write() as conn:
            return conn.execute("UPDATE owner_factors SET last_step = ?, confirmed = 1 "
                                "WHERE owner_id = ? AND last_step < ? AND sealed_secret = ?",
                                (step, owner_id, step, sealed_secret)).rowcount == 1

    def reset_second_factor(self, owner_id: str) -> bool:
        with self._db.write() as conn:
            return conn.execute("DELETE FROM owner_factors WHERE owner_id = ?", (owner_id,)).rowcount == 1
