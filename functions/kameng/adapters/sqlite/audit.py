"""The audit log: entries by seq, and the head row that remembers the newest one."""
from __future__ import annotations

import json
from datetime import datetime

from kameng.adapters.sqlite_file import SqliteFile
from kameng.domain.audit import AuditDraft, AuditEntry, AuditHead, chained, instant

_COLUMNS = "seq, at, actor, station, action, subject, before, after, prev_hash, hash"


def _entry(row: tuple) -> AuditEntry:
    return AuditEntry(row[0], datetime.fromisoformat(row[1]), row[2], row[3], row[4], row[5], json.loads(row[6]),
                      json.loads(row[7]), row[8], row[9])


class SqliteAuditLog:
    def __init__(self, db: SqliteFile):
        self._db = db

    def append(self, draft: AuditDraft) -> AuditEntry:
        # BEGIN IMMEDIATE serialises appends across processes; the seq's primary key refuses a fork regardless.
        with self._db.write() as conn:
            row = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
            entry = chained(draft, None if row is None else AuditHead(row[0], row[1]))
            conn.execute(
                f"INSERT INTO audit_entries ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (entry.seq, instant(entry.at), entry.actor, entry.station, entry.action, entry.subject,
                 json.dumps(entry.before, ensure_ascii=False), json.dumps(entry.after, ensure_ascii=False),
                 entry.prev_hash, entry.hash),
            )
            conn.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) "
                         "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                         (entry.seq, entry.hash))
        return entry

    def entries(self, station: str | None, after_seq: int, limit: int) -> list[AuditEntry]:
        if station is None:
            rows = self._db.conn().execute(
                f"SELECT {_COLUMNS} FROM audit_entries WHERE seq > ? ORDER BY seq LIMIT ?", (after_seq, limit))
        else:
            rows = self._db.conn().execute(
                f"SELECT {_COLUMNS} FROM audit_entries WHERE station = ? AND seq > ? ORDER BY seq LIMIT ?",
                (station, after_seq, limit))
        return [_entry(row) for row in rows]

    def head(self) -> AuditHead | None:
        row = self._db.conn().execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        return None if row is None else AuditHead(row[0], row[1])
