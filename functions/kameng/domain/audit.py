"""The owner's audit log: each entry carries the hash of the one before it, so an entry edited, deleted,
reordered or slipped in afterwards no longer chains, and `verify` names the first place it breaks."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Sequence, Union

# What `before` and `after` may hold: small JSON values, never a secret or a plain card key.
Json = Union[None, bool, int, str, list["Json"], dict[str, "Json"]]

GENESIS = "0" * 64


def instant(moment: datetime) -> str:
    # One fixed-width UTC spelling, so a time read back from any store hashes as it was written.
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# An export's columns, the CLI's and the console's alike.
CSV_COLUMNS = ["seq", "at", "actor", "station", "action", "subject", "before", "after", "prev_hash", "hash"]


def compact(value: Json) -> str:
    """`before` or `after` on one line: "-" for nothing."""
    return "-" if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class AuditDraft:
    """What happened, before the log gives it a place in the chain."""

    at: datetime
    actor: str
    station: str
    action: str
    subject: str
    before: Json = None
    after: Json = None


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    station: str
    action: str
    subject: str
    before: Json
    after: Json
    prev_hash: str
    hash: str

    def csv_row(self) -> list[str | int]:
        return [self.seq, instant(self.at), self.actor, self.station, self.action, self.subject,
                compact(self.before), compact(self.after), self.prev_hash, self.hash]

    def as_json(self) -> dict[str, Json]:
        return {"seq": self.seq, "at": instant(self.at), "actor": self.actor, "station": self.station,
                "action": self.action, "subject": self.subject, "before": self.before, "after": self.after,
                "prev_hash": self.prev_hash, "hash": self.hash}


@dataclass(frozen=True)
class AuditHead:
    """The newest entry's place and hash, kept apart from the entries so a deleted last entry shows too."""

    seq: int
    hash: str


@dataclass(frozen=True)
class Problem:
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.reason}"


def entry_hash(seq: int, draft: AuditDraft, prev_hash: str) -> str:
    canonical = json.dumps(
        [seq, instant(draft.at), draft.actor, draft.station, draft.action, draft.subject, draft.before, draft.after,
         prev_hash], sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def chained(draft: AuditDraft, head: AuditHead | None) -> AuditEntry:
    """The entry that follows `head` (None: the first entry of the log)."""
    seq, prev_hash = (1, GENESIS) if head is None else (head.seq + 1, head.hash)
    return AuditEntry(seq, draft.at, draft.actor, draft.station, draft.action, draft.subject, draft.before,
                      draft.after, prev_hash, entry_hash(seq, draft, prev_hash))


def draft_of(entry: AuditEntry) -> AuditDraft:
    return AuditDraft(entry.at, entry.actor, entry.station, entry.action, entry.subject, entry.before, entry.after)


def _link_problem(entry: AuditEntry, expected_seq: int, prev_hash: str) -> Problem | None:
    if entry.seq > expected_seq:
        return Problem(expected_seq, f"missing (the log jumps to {entry.seq}): deleted")
    if entry.seq < expected_seq:
        return Problem(entry.seq, f"out of place after {expected_seq - 1}: reordered or inserted")
    if entry.prev_hash != prev_hash:
        return Problem(entry.seq, "does not follow the entry before it: an entry was deleted, inserted or reordered")
    if entry_hash(entry.seq, draft_of(entry), entry.prev_hash) != entry.hash:
        return Problem(entry.seq, "its contents do not match its hash: edited")
    return None


def verify(entries: Sequence[AuditEntry], head: AuditHead | None) -> list[Problem]:
    """Every break in the chain, in log order (the first one first); [] for a log that is whole.

    `entries` are the whole log as the store reads it back, by seq; `head` is what the store
    remembers of the newest entry, so a log cut short at its end does not pass."""
    problems: list[Problem] = []
    expected_seq, prev_hash = 1, GENESIS
    for entry in entries:
        problem = _link_problem(entry, expected_seq, prev_hash)
        if problem is not None:
            problems.append(problem)
        expected_seq, prev_hash = max(expected_seq, entry.seq) + 1, entry.hash
    tail = _tail_problem(entries[-1] if entries else None, expected_seq - 1, head)
    return problems + ([tail] if tail is not None else [])


def _tail_problem(last_entry: AuditEntry | None, last: int, head: AuditHead | None) -> Problem | None:
    if head is None:
        return None if last_entry is None else Problem(1, "the log remembers no entries at all: inserted")
    if head.seq > last:
        return Problem(last + 1, f"missing (the log should end at {head.seq}): deleted")
    if head.seq < last:
        return Problem(head.seq + 1, f"comes after the newest entry the log remembers ({head.seq}): inserted")
    if last_entry is not None and last_entry.hash != head.hash:
        return Problem(last, "is not the newest entry the log remembers: replaced")
    return None
