"""The sandbox's webhooks, kept until the shop has taken them, as Stripe keeps its events.

An event is written in the transaction that finishes its session, so a process killed
before the webhook went out still has it; it counts as delivered only after the shop
answered 2xx. What failed is sent again with growing waits, a bounded number of times
(Stripe retries for up to 3 days; the sandbox, on one machine, for about a day).
"""
from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from kameng.adapters.sqlite_file import SqliteFile

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS sandbox_webhooks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, event_type TEXT NOT NULL,
    payload BLOB NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at REAL NOT NULL,
    delivered_at REAL, last_error TEXT);
CREATE INDEX IF NOT EXISTS sandbox_webhooks_due ON sandbox_webhooks (next_at) WHERE delivered_at IS NULL;
CREATE INDEX IF NOT EXISTS sandbox_webhooks_delivered ON sandbox_webhooks (delivered_at);
"""

FIRST_RETRY_SECONDS = 5.0
LONGEST_WAIT_SECONDS = 3600.0
# 5 s doubling to an hour, then hourly: about a day in all.
MAX_ATTEMPTS = 36
# A sender holds the events it is sending this long; if it dies meanwhile, they are due again after it.
CLAIM_SECONDS = 60.0
# Delivered events are kept a while for a person to read, then dropped.
KEEP_DELIVERED_SECONDS = 86400.0

# Sends one signed event; raises unless the shop answered 2xx.
Deliver = Callable[[bytes], None]


@dataclass(frozen=True)
class PendingWebhook:
    event_id: str
    event_type: str
    attempts: int
    next_at: float
    last_error: str | None


def retry_wait(attempts: int) -> float:
    """How long after its `attempts`-th failed delivery an event is sent again."""
    return min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), LONGEST_WAIT_SECONDS)


class WebhookOutbox:
    def __init__(self, db: SqliteFile, clock: Callable[[], float] = time.time):
        self.db = db
        self.clock = clock

    def add(self, conn: sqlite3.Connection, event_id: str, event_type: str, payload: bytes) -> int:
        """Keep an event, inside the caller's transaction; the caller holds it to send at once."""
        return conn.execute(
            "INSERT INTO sandbox_webhooks (event_id, event_type, payload, next_at) VALUES (?, ?, ?, ?)",
            (event_id, event_type, payload, self.clock() + CLAIM_SECONDS)).lastrowid

    def send_now(self, seqs: Iterable[int], deliver: Deliver) -> None:
        """Send events the caller holds, in order; the first refusal is recorded and raised, the rest wait."""
        _, failed = self._send([(seq, self._payload(seq)) for seq in seqs], deliver, self.clock(), stop_at_failure=True)
        if failed:
            raise failed[0][1]

    def send_due(self, deliver: Deliver, now: float | None = None, limit: int = 100) -> int:
        """Send every event whose time has come; returns how many the shop took."""
        now = self.clock() if now is None else now
        with self.db.write() as conn:
            conn.execute("DELETE FROM sandbox_webhooks WHERE delivered_at < ?", (now - KEEP_DELIVERED_SECONDS,))
            due = conn.execute(
                "SELECT seq, payload FROM sandbox_webhooks WHERE delivered_at IS NULL AND attempts < ? AND next_at <= ?"
                " ORDER BY seq LIMIT ?", (MAX_ATTEMPTS, now, limit)).fetchall()
            conn.executemany("UPDATE sandbox_webhooks SET next_at = ? WHERE seq = ?",
                             [(now + CLAIM_SECONDS, seq) for seq, _ in due])
        delivered, failed = self._send(due, deliver, now, stop_at_failure=False)
        for _, error in failed:
            log.warning("sandbox webhook refused again; it will be sent later", extra={"error": repr(error)[:200]})
        return len(delivered)

    def pending(self) -> list[PendingWebhook]:
        """Events the shop has not taken yet, those given up on included, oldest first."""
        rows = self.db.conn().execute(
            "SELECT event_id, event_type, attempts, next_at, last_error FROM sandbox_webhooks"
            " WHERE delivered_at IS NULL ORDER BY seq").fetchall()
        return [PendingWebhook(*row) for row in rows]

    def _payload(self, seq: int) -> bytes:
        return self.db.conn().execute("SELECT payload FROM sandbox_webhooks WHERE seq = ?", (seq,)).fetchone()[0]

    def _send(self, events: list[tuple[int, bytes]], deliver: Deliver, now: float,
              stop_at_failure: bool) -> tuple[list[int], list[tuple[int, Exception]]]:
        delivered: list[int] = []
        failed: list[tuple[int, Exception]] = []
        for seq, payload in events:
            try:
                deliver(payload)
            except Exception as error:
                failed.append((seq, error))
                if stop_at_failure:
                    break
            else:
                delivered.append(seq)
        # One write for the lot: a process killed before it sends the delivered ones again, which the
        # shop takes as the duplicates they are.
        if delivered or failed:
            self._record(delivered, failed, now)
        return delivered, failed

    def _record(self, delivered: list[int], failed: list[tuple[int, Exception]], now: float) -> None:
        with self.db.write() as conn:
            conn.executemany("UPDATE sandbox_webhooks SET delivered_at = ? WHERE seq = ?",
                             [(now, seq) for seq in delivered])
            for seq, error in failed:
                attempts = conn.execute("SELECT attempts FROM sandbox_webhooks WHERE seq = ?", (seq,)).fetchone()[0] + 1
                conn.execute("UPDATE sandbox_webhooks SET attempts = ?, next_at = ?, last_error = ? WHERE seq = ?",
                             (attempts, now + retry_wait(attempts), repr(error)[:500], seq))
                if attempts >= MAX_ATTEMPTS:
                    log.error("sandbox webhook given up after its last attempt", extra={"seq": seq})
