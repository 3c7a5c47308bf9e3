"""The audit chain: any entry edited, deleted, reordered or inserted is named by the first seq it breaks."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

from kameng.domain.audit import GENESIS, AuditDraft, AuditHead, chained, verify

START = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)


def a_chain(n: int = 5):
    entries, head = [], None
    for i in range(n):
        entry = chained(AuditDraft(START + timedelta(minutes=i), "owner (cli)", "main", "keys.import", f"sku-{i}",
                                   None, {"imported": i}), head)
        entries.append(entry)
        head = AuditHead(entry.seq, entry.hash)
    return entries, head


def first_break(entries, head) -> int:
    return verify(entries, head)[0].seq


def test_a_whole_chain_verifies_and_starts_from_genesis():
    entries, head = a_chain()
    assert verify(entries, head) == [] and entries[0].prev_hash == GENESIS
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]


def test_the_hash_covers_every_field():
    entries, head = a_chain()
    for field, value in [("actor", "someone"), ("station", "game-zone"), ("action", "order.refund"),
                         ("subject", "x"), ("before", {"a": 1}), ("after", {"imported": 99}),
                         ("at", START + timedelta(days=1))]:
        edited = entries[:2] + [dataclasses.replace(entries[2], **{field: value})] + entries[3:]
        assert first_break(edited, head) == 3, field


def test_an_edit_that_rehashes_the_entry_breaks_the_next_link():
    entries, head = a_chain()
    draft = AuditDraft(entries[1].at, "someone", "main", "keys.import", "sku-1", None, {"imported": 1})
    forged = chained(draft, AuditHead(1, entries[0].hash))
    assert first_break(entries[:1] + [forged] + entries[2:], head) == 3


def test_deleted_reordered_and_inserted_entries_are_named():
    entries, head = a_chain()
    assert first_break(entries[:2] + entries[3:], head) == 3
    assert first_break([entries[0], entries[2], entries[1], *entries[3:]], head) == 2
    assert first_break(entries[:4], head) == 5
    extra = chained(AuditDraft(START, "x", "main", "coupon.give", "c", None, None), head)
    assert first_break(entries + [extra], head) == 6
    assert first_break(entries, None) == 1
