"""Supply attempts on every store: kept before they are sent, changed only from what was read, swept until settled."""
from __future__ import annotations

import dataclasses
import sqlite3
from collections import Counter
from datetime import timedelta, timezone

import pytest

from kameng.adapters.sqlite import open_store
from kameng.domain.supply import SupplyAttempt
from kameng.ports.store import Duplicate, UnknownRecord

from .store_world import START
from .test_store_concurrency import race

CHINA = timezone(timedelta(hours=8))


def an_attempt(request_id: str, order_id: str = "order-1", minutes: int = 0, **changes) -> SupplyAttempt:
    attempt = SupplyAttempt(request_id=request_id, order_id=order_id, supplier="upstream-a", product_code="CM-100",
                            quantity=2, max_unit_cost=9500, currency="CNY", started_at=START + timedelta(minutes=minutes))
    return dataclasses.replace(attempt, **changes)


def kept(store, *attempts: SupplyAttempt) -> list[SupplyAttempt]:
    for attempt in attempts:
        store.supply_attempts.start_attempt(attempt)
    return list(attempts)


def moved(store, attempt: SupplyAttempt, **changes) -> SupplyAttempt:
    changed = dataclasses.replace(attempt, **changes)
    assert store.supply_attempts.update_attempt(changed, attempt)
    return changed


def ids(attempts: list[SupplyAttempt]) -> list[str]:
    return [a.request_id for a in attempts]


def test_a_started_attempt_reads_back_whole_with_its_time_zone(store):
    attempt = an_attempt("req-1", started_at=START.astimezone(CHINA), supplier_ref="", receipt=None, note="首选")
    kept(store, attempt)
    read = store.supply_attempts.attempt("req-1")
    assert read == attempt
    assert read.started_at.utcoffset() == timedelta(hours=8)


def test_an_update_keeps_every_field_and_both_instants(store):
    [attempt] = kept(store, an_attempt("req-1"))
    answered = (START + timedelta(seconds=3)).astimezone(CHINA)
    done = moved(store, attempt, status="delivered", quantity_delivered=2, quantity_applied=2, unit_cost=9300,
                 supplier_ref="UP-778", receipt="充值成功 13800000000", updated_at=answered)
    read = store.supply_attempts.attempt("req-1")
    assert read == done
    assert read.updated_at.utcoffset() == timedelta(hours=8)


def test_a_request_id_is_kept_once(store):
    kept(store, an_attempt("req-1", supplier="upstream-a"))
    with pytest.raises(Duplicate):
        store.supply_attempts.start_attempt(an_attempt("req-1", supplier="upstream-b"))
    assert store.supply_attempts.attempt("req-1").supplier == "upstream-a"
    assert ids(store.supply_attempts.attempts_of("order-1")) == ["req-1"]


def test_an_unknown_request_id_is_none_and_cannot_be_updated(store):
    assert store.supply_attempts.attempt("req-missing") is None
    ghost = an_attempt("req-missing")
    with pytest.raises(UnknownRecord):
        store.supply_attempts.update_attempt(dataclasses.replace(ghost, status="failed"), ghost)


def test_a_new_attempt_must_be_placed_and_its_times_zoned(store):
    with pytest.raises(ValueError):
        store.supply_attempts.start_attempt(an_attempt("req-1", status="delivered", quantity_delivered=2))
    with pytest.raises(ValueError):
        store.supply_attempts.start_attempt(an_attempt("req-2", started_at=START.replace(tzinfo=None)))
    assert store.supply_attempts.attempts_of("order-1") == []


def test_an_orders_attempts_come_oldest_first_and_only_its_own(store):
    kept(store, an_attempt("req-c", minutes=2), an_attempt("req-b", minutes=1), an_attempt("req-z", minutes=0),
         an_attempt("req-a", minutes=1), an_attempt("req-other", order_id="order-2", minutes=0))
    assert ids(store.supply_attempts.attempts_of("order-1")) == ["req-z", "req-a", "req-b", "req-c"]
    assert ids(store.supply_attempts.attempts_of("order-2")) == ["req-other"]
    assert store.supply_attempts.attempts_of("order-none") == []


def test_an_orders_attempts_show_their_latest_state(store):
    [first, second] = kept(store, an_attempt("req-1"), an_attempt("req-2", minutes=1))
    moved(store, first, status="unavailable", note="timeout")
    moved(store, second, status="pending", supplier_ref="UP-9")
    assert [(a.status, a.supplier_ref) for a in store.supply_attempts.attempts_of("order-1")] == [
        ("unavailable", ""), ("pending", "UP-9")]


def test_an_update_from_a_stale_read_writes_nothing(store):
    [placed] = kept(store, an_attempt("req-1"))
    pending = moved(store, placed, status="pending")
    late = dataclasses.replace(placed, status="failed", note="timed out")
    assert store.supply_attempts.update_attempt(late, placed) is False
    assert store.supply_attempts.attempt("req-1") == pending
    applied_twice = dataclasses.replace(pending, status="delivered", quantity_delivered=2, quantity_applied=2)
    assert store.supply_attempts.update_attempt(applied_twice, dataclasses.replace(pending, quantity_applied=1)) is False
    assert store.supply_attempts.attempt("req-1").status == "pending"


def test_an_update_cannot_move_an_attempt_to_another_order(store):
    [placed] = kept(store, an_attempt("req-1"))
    with pytest.raises(ValueError):
        store.supply_attempts.update_attempt(dataclasses.replace(placed, order_id="order-2"), placed)
    assert ids(store.supply_attempts.attempts_of("order-1")) == ["req-1"]


def test_of_eight_racing_answers_to_one_read_exactly_one_is_applied(store):
    [placed] = kept(store, an_attempt("req-1", quantity=8))
    answers = [dataclasses.replace(placed, status="delivered", quantity_delivered=8, quantity_applied=8,
                                   note=f"answer {i}") for i in range(8)]
    outcomes = race(8, lambda i: store.supply_attempts.update_attempt(answers[i], placed))
    assert Counter(outcomes) == {True: 1, False: 7}
    assert store.supply_attempts.attempt("req-1") == answers[outcomes.index(True)]


def test_the_sweeper_lists_open_and_unapplied_attempts_oldest_first(store):
    attempts = kept(store, *(an_attempt(f"req-{i}", order_id=f"order-{i}", minutes=i) for i in range(8)))
    moved(store, attempts[1], status="pending")
    moved(store, attempts[2], status="unavailable")
    moved(store, attempts[3], status="delivered", quantity_delivered=2, quantity_applied=2)
    moved(store, attempts[4], status="failed")
    moved(store, attempts[5], status="delivered", quantity_delivered=2)
    moved(store, attempts[6], status="abandoned")
    listed = store.supply_attempts.open_attempts(START + timedelta(minutes=7), limit=10)
    assert ids(listed) == ["req-0", "req-1", "req-2", "req-5"]
    assert listed[1].status == "pending"


def test_the_sweep_stops_before_the_given_time_and_at_the_limit(store):
    kept(store, *(an_attempt(f"req-{i}", order_id=f"order-{i}", minutes=i) for i in range(6)))
    assert ids(store.supply_attempts.open_attempts(START + timedelta(minutes=2), limit=10)) == ["req-0", "req-1"]
    assert ids(store.supply_attempts.open_attempts(START + timedelta(hours=1), limit=3)) == ["req-0", "req-1", "req-2"]
    assert store.supply_attempts.open_attempts(START, limit=10) == []
    assert store.supply_attempts.open_attempts(START + timedelta(hours=1), limit=0) == []


def test_an_attempt_leaves_the_sweep_once_settled_and_applied(store):
    [attempt] = kept(store, an_attempt("req-1"))
    later = START + timedelta(minutes=5)
    pending = moved(store, attempt, status="pending")
    assert ids(store.supply_attempts.open_attempts(later, 10)) == ["req-1"]
    delivered = moved(store, pending, status="delivered", quantity_delivered=1)
    assert ids(store.supply_attempts.open_attempts(later, 10)) == ["req-1"]
    moved(store, delivered, status="delivered", quantity_applied=1)
    assert store.supply_attempts.open_attempts(later, 10) == []


def test_a_late_success_of_an_abandoned_attempt_is_swept_until_applied(store):
    [attempt] = kept(store, an_attempt("req-1"))
    abandoned = moved(store, attempt, status="abandoned")
    assert store.supply_attempts.open_attempts(START + timedelta(minutes=5), 10) == []
    moved(store, abandoned, quantity_delivered=2)
    assert ids(store.supply_attempts.open_attempts(START + timedelta(minutes=5), 10)) == ["req-1"]


def test_a_store_file_made_before_supply_attempts_gains_them(tmp_path):
    path = tmp_path / "kameng.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE price_books (station TEXT PRIMARY KEY, version TEXT NOT NULL, body TEXT NOT NULL)")
    store = open_store(path)
    kept(store, an_attempt("req-1"))
    assert ids(open_store(path).supply_attempts.open_attempts(START + timedelta(minutes=1), 10)) == ["req-1"]
