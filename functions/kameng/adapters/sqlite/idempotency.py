"""Idempotency keys of retried requests, one row per scope key."""
from __future__ import annotations

from datetime import datetime

from kameng.adapters.sqlite.schema import ts
from kameng.adapters.sqlite_file import SqliteFile
from kameng.ports.store import Conflict, Recorded, RequestClaim


class SqliteIdempotentRequests:
    def __init__(self, db: SqliteFile):
        self._db = db

    def begin(self, claim: RequestClaim) -> Recorded | None:
        now = ts(claim.claimed_at)
        with self._db.write() as conn:
            # Nothing replays an expired key; tidying here keeps the table to a day of checkouts.
            conn.execute("DELETE FROM idempotent_requests WHERE expires_at <= ?", (now,))
            row = conn.execute(
                "SELECT request_hash, claimed_at, response, lease_ends FROM idempotent_requests WHERE scope_key = ?",
                (claim.scope_key,),
            ).fetchone()
            if row is not None and (row[2] is not None or row[3] > now):
                return Recorded(row[0], datetime.fromisoformat(row[1]), None if row[2] is None else bytes(row[2]))
            conn.execute(
                "INSERT OR REPLACE INTO idempotent_requests "
                "(scope_key, request_hash, claimed_at, lease_ends, expires_at, response) VALUES (?, ?, ?, ?, ?, NULL)",
                (claim.scope_key, claim.request_hash, now, ts(claim.lease_ends), ts(claim.expires_at)),
            )
        return None

    def finish(self, claim: RequestClaim, response: bytes) -> None:
        with self._db.write() as conn:
            if conn.execute(
                "UPDATE idempotent_requests SET response = ? "
                "WHERE scope_key = ? AND claimed_at = ? AND request_hash = ? AND response IS NULL",
                (response, claim.scope_key, ts(claim.claimed_at), claim.request_hash),
            ).rowcount != 1:
                raise Conflict("the idempotency key is no longer this request's")

    def abandon(self, claim: RequestClaim) -> None:
        with self._db.write() as conn:
            conn.execute(
                "DELETE FROM idempotent_requests WHERE scope_key = ? AND claimed_at = ? AND response IS NULL",
                (claim.scope_key, ts(claim.claimed_at)),
            )
