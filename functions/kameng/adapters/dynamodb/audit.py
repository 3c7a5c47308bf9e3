"""The audit log: entries in one partition by seq, and the HEAD item every append moves under a condition."""
from __future__ import annotations

import json
from datetime import datetime

from kameng.adapters.dynamodb import keys
from kameng.adapters.dynamodb.table import Cancelled, Named, StoreBusy, Table, n, number, pause, s
from kameng.domain.audit import AuditDraft, AuditEntry, AuditHead, chained, instant

# Each lost race is another append that won, and owner actions are rare: many tries end in a win.
ATTEMPTS = 40


def _item(entry: AuditEntry) -> dict:
    return keys.audit_entry(entry.seq) | {
        "seq": n(entry.seq), "at": s(instant(entry.at)), "actor": s(entry.actor), "station": s(entry.station),
        "action": s(entry.action), "subject": s(entry.subject),
        "before": s(json.dumps(entry.before, ensure_ascii=False)), "after": s(json.dumps(entry.after, ensure_ascii=False)),
        "prev_hash": s(entry.prev_hash), "hash": s(entry.hash),
    }


def _entry(item: dict) -> AuditEntry:
    return AuditEntry(number(item, "seq"), datetime.fromisoformat(item["at"]["S"]), item["actor"]["S"],
                      item["station"]["S"], item["action"]["S"], item["subject"]["S"], json.loads(item["before"]["S"]),
                      json.loads(item["after"]["S"]), item["prev_hash"]["S"], item["hash"]["S"])


def _head_put(entry: AuditEntry, seen: AuditHead | None) -> Named:
    condition = {"ConditionExpression": "attribute_not_exists(pk)"} if seen is None else {
        "ConditionExpression": "#seq = :seen", "ExpressionAttributeNames": {"#seq": "seq"},
        "ExpressionAttributeValues": {":seen": n(seen.seq)}}
    item = keys.audit_head() | {"seq": n(entry.seq), "hash": s(entry.hash)}
    return Named("head", {"Put": {"Item": item} | condition})


class DynamoAuditLog:
    def __init__(self, table: Table):
        self.table = table

    def append(self, draft: AuditDraft) -> AuditEntry:
        for attempt in range(ATTEMPTS):
            seen = self.head()
            entry = chained(draft, seen)
            try:
                self.table.transact([
                    Named("entry", {"Put": {"Item": _item(entry), "ConditionExpression": "attribute_not_exists(pk)"}}),
                    _head_put(entry, seen),
                ])
                return entry
            except Cancelled:
                # Another append took this seq (or conflicted on HEAD): read the new head and chain after it.
                pause(attempt)
        raise StoreBusy("audit log appends kept conflicting")

    def entries(self, station: str | None, after_seq: int, limit: int) -> list[AuditEntry]:
        if limit < 1:
            return []
        pk, first, last = keys.audit_entries_after(after_seq)
        found: list[AuditEntry] = []
        for item in self.table.query(
                KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :last", ConsistentRead=True,
                ExpressionAttributeValues={":pk": s(pk), ":first": s(first), ":last": s(last)}, Limit=min(limit, 1000)):
            if station is None or item["station"]["S"] == station:
                found.append(_entry(item))
                if len(found) == limit:
                    break
        return found

    def head(self) -> AuditHead | None:
        item = self.table.get(keys.audit_head())
        return None if item is None else AuditHead(number(item, "seq"), item["hash"]["S"])
