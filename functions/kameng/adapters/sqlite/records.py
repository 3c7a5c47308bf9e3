"""The small records: published price books, quota and rate counters, sign-in links."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from kameng.adapters.sqlite.schema import ts
from kameng.adapters.sqlite_file import SqliteFile
from kameng.domain.price_book import PriceBook
from kameng.ports.store import Duplicate, SignInGrant


class SqlitePriceBooks:
    def __init__(self, db: SqliteFile):
        self._db = db
        # Parsed books by station with the version they were read at: every request reads one, and a book
        # (frozen) only changes when a build publishes it, so the version alone is read again.
        self._parsed: dict[str, tuple[str, PriceBook]] = {}

    def put_price_book(self, book: PriceBook) -> None:
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO price_books (station, version, body) VALUES (?, ?, ?) "
                "ON CONFLICT (station) DO UPDATE SET version = excluded.version, body = excluded.body",
                (book.station, book.version, book.model_dump_json()),
            )

    def price_book(self, station: str) -> PriceBook | None:
        conn = self._db.conn()
        row = conn.execute("SELECT version FROM price_books WHERE station = ?", (station,)).fetchone()
        if row is None:
            return None
        cached = self._parsed.get(station)
        if cached is not None and cached[0] == row[0]:
            return cached[1]
        found = conn.execute("SELECT version, body FROM price_books WHERE station = ?", (station,)).fetchone()
        if found is None:
            return None
        book = PriceBook.model_validate_json(found[1])
        self._parsed[station] = (found[0], book)
        return book

    def stations(self) -> list[str]:
        return [row[0] for row in self._db.conn().execute("SELECT station FROM price_books ORDER BY station")]


class SqliteCounters:
    def __init__(self, db: SqliteFile):
        self._db = db

    def quota_count(self, counter: str, holder: str) -> int:
        row = self._db.conn().execute(
            "SELECT sold FROM quota_counts WHERE counter = ? AND holder = ?", (counter, holder)).fetchone()
        return 0 if row is None else row[0]

    def count_hit(self, bucket: str, window_seconds: int, now: datetime) -> int:
        window = int(now.timestamp()) // window_seconds
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO rate_limits (bucket, window, hits) VALUES (?, ?, 1) "
                "ON CONFLICT (bucket, window) DO UPDATE SET hits = hits + 1",
                (bucket, window),
            )
            conn.execute("DELETE FROM rate_limits WHERE bucket = ? AND window < ?", (bucket, window))
            return conn.execute("SELECT hits FROM rate_limits WHERE bucket = ? AND window = ?", (bucket, window)).fetchone()[0]


class SqliteSignIns:
    def __init__(self, db: SqliteFile):
        self._db = db

    def put_sign_in(self, token_hash: str, grant: SignInGrant) -> None:
        with self._db.write() as conn:
            # Nothing can use a link a day past its expiry; tidying here keeps the table small.
            conn.execute("DELETE FROM sign_in_tokens WHERE expires_at < ?", (ts(grant.expires_at - timedelta(days=1)),))
            try:
                conn.execute(
                    "INSERT INTO sign_in_tokens (token_hash, shopper_key, station, email_masked, expires_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (token_hash, grant.shopper_key, grant.station, grant.email_masked, ts(grant.expires_at)),
                )
            except sqlite3.IntegrityError:
                raise Duplicate("a sign-in link of that token is kept already") from None

    def use_sign_in(self, token_hash: str, now: datetime) -> SignInGrant | None:
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT shopper_key, station, email_masked, expires_at FROM sign_in_tokens "
                "WHERE token_hash = ? AND used_at IS NULL", (token_hash,)
            ).fetchone()
            if row is None or conn.execute(
                "UPDATE sign_in_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL", (ts(now), token_hash)
            ).rowcount != 1:
                return None
        grant = SignInGrant(row[0], row[1], row[2], datetime.fromisoformat(row[3]))
        return grant if grant.expires_at > now else None
