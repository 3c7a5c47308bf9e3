"""The audit log keeps one unforked chain on every store, and an entry changed behind its back shows."""
from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest

from kameng.adapters.dynamodb import keys
from kameng.adapters.dynamodb.audit import DynamoAuditLog
from kameng.domain.audit import GENESIS, AuditDraft, verify
from kameng.ports.store import Store

from .store_world import START
from .test_store_concurrency import race


def a_draft(n: int = 0, station: str = "main") -> AuditDraft:
    return AuditDraft(START + timedelta(seconds=n), "owner (cli)", station, "order.refund", f"order-{n}",
                      {"status": "delivered"}, {"status": "refunded", "amount": 9980, "note": "退款 ✓"})


def whole_log(store: Store):
    return store.audit_log.entries(None, 0, 1000), store.audit_log.head()


def tamper(store: Store, seq: int, delete: bool = False) -> None:
    """Edit or delete one entry straight in the storage, as someone with the database's credentials could."""
    log = store.audit_log
    if isinstance(log, DynamoAuditLog):
        key = keys.audit_entry(seq)
        if delete:
            log.table.client.delete_item(TableName=log.table.name, Key=key)
        else:
            item = log.table.get(key)
            item["after"] = {"S": json.dumps({"status": "refunded", "amount": 1})}
            log.table.client.put_item(TableName=log.table.name, Item=item)
        return
    with sqlite3.connect(log._db.path) as conn:
        if delete:
            conn.execute("DELETE FROM audit_entries WHERE seq = ?", (seq,))
        else:
            conn.execute("UPDATE audit_entries SET after = ? WHERE seq = ?", (json.dumps({"amount": 1}), seq))


def test_an_empty_log_has_no_head_and_verifies(store):
    assert whole_log(store) == ([], None)
    assert verify([], None) == []


def test_appended_entries_read_back_chained_in_order(store):
    first = store.audit_log.append(a_draft(0))
    second = store.audit_log.append(a_draft(1, station="game-zone"))
    entries, head = whole_log(store)
    assert entries == [first, second]
    assert (first.seq, first.prev_hash, second.seq, second.prev_hash) == (1, GENESIS, 2, first.hash)
    assert entries[0].after == {"status": "refunded", "amount": 9980, "note": "退款 ✓"}
    assert entries[0].at == START
    assert (head.seq, head.hash) == (2, second.hash)
    assert verify(entries, head) == []


def test_entries_filter_by_station_and_page_by_seq(store):
    for n in range(5):
        store.audit_log.append(a_draft(n, station="game-zone" if n % 2 else "main"))
    assert [e.seq for e in store.audit_log.entries("game-zone", 0, 10)] == [2, 4]
    assert [e.seq for e in store.audit_log.entries(None, 2, 2)] == [3, 4]
    assert [e.seq for e in store.audit_log.entries("main", 1, 1)] == [3]
    assert store.audit_log.entries(None, 5, 10) == []


def test_racing_appends_never_fork_the_chain(store):
    outcomes = race(10, lambda i: store.audit_log.append(a_draft(i)))
    assert not [o for o in outcomes if isinstance(o, Exception)]
    entries, head = whole_log(store)
    assert sorted(e.seq for e in outcomes) == [e.seq for e in entries] == list(range(1, 11))
    assert sorted(e.subject for e in entries) == sorted(f"order-{i}" for i in range(10))
    assert head.seq == 10 and verify(entries, head) == []


@pytest.mark.parametrize("seq", [1, 3, 5])
def test_an_entry_edited_in_the_storage_is_named(store, seq):
    for n in range(5):
        store.audit_log.append(a_draft(n))
    tamper(store, seq)
    problems = verify(*whole_log(store))
    assert problems and problems[0].seq == seq and "edited" in problems[0].reason


@pytest.mark.parametrize("seq", [1, 3, 5])
def test_an_entry_deleted_in_the_storage_is_named(store, seq):
    for n in range(5):
        store.audit_log.append(a_draft(n))
    tamper(store, seq, delete=True)
    problems = verify(*whole_log(store))
    assert problems and problems[0].seq == seq and "deleted" in problems[0].reason
