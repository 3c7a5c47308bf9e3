"""Idempotency keys in the store: claimed once, a response kept for replay, forgotten when they expire (every adapter)."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from kameng.ports.store import Conflict, Recorded, RequestClaim

from .store_world import START

LEASE = timedelta(seconds=60)
KEPT = timedelta(hours=24)


def a_claim(scope_key: str = "scope-a", request_hash: str = "request-1", at: datetime = START) -> RequestClaim:
    return RequestClaim(scope_key, request_hash, at, lease_ends=at + LEASE, expires_at=at + KEPT)


def test_the_first_request_with_a_key_claims_it(store):
    assert store.idempotent_requests.begin(a_claim()) is None


def test_a_retry_while_the_first_is_processed_finds_it_in_progress(store):
    first = a_claim()
    store.idempotent_requests.begin(first)
    retry = a_claim(at=START + timedelta(seconds=5))
    assert store.idempotent_requests.begin(retry) == Recorded("request-1", START, None)


def test_a_finished_request_is_recalled_with_its_response(store):
    first = a_claim()
    store.idempotent_requests.begin(first)
    store.idempotent_requests.finish(first, b"\x00sealed answer\xff")
    recalled = store.idempotent_requests.begin(a_claim(at=START + timedelta(hours=23)))
    assert recalled == Recorded("request-1", START, b"\x00sealed answer\xff")


def test_another_body_under_the_same_key_gets_the_first_requests_hash(store):
    first = a_claim()
    store.idempotent_requests.begin(first)
    store.idempotent_requests.finish(first, b"answer")
    other = store.idempotent_requests.begin(a_claim(request_hash="request-2", at=START + timedelta(minutes=1)))
    assert other is not None and other.request_hash == "request-1" != "request-2"


def test_a_key_is_forgotten_after_24_hours(store):
    first = a_claim()
    store.idempotent_requests.begin(first)
    store.idempotent_requests.finish(first, b"answer")
    later = a_claim(request_hash="request-2", at=START + KEPT)
    assert store.idempotent_requests.begin(later) is None
    store.idempotent_requests.finish(later, b"new answer")
    assert store.idempotent_requests.begin(a_claim(at=START + KEPT + timedelta(seconds=1))) == Recorded(
        "request-2", START + KEPT, b"new answer")


def test_a_claim_whose_lease_ended_without_an_answer_can_be_taken_over(store):
    store.idempotent_requests.begin(a_claim())
    assert store.idempotent_requests.begin(a_claim(at=START + LEASE)) is None


def test_a_finished_answer_outlives_the_lease(store):
    first = a_claim()
    store.idempotent_requests.begin(first)
    store.idempotent_requests.finish(first, b"answer")
    assert store.idempotent_requests.begin(a_claim(at=START + LEASE * 10)).response == b"answer"


def test_finishing_a_claim_that_was_taken_over_is_a_conflict(store):
    first = a_claim()
    store.idempotent_requests.begin(first)
    store.idempotent_requests.begin(a_claim(at=START + LEASE))
    with pytest.raises(Conflict):
        store.idempotent_requests.finish(first, b"late answer")


def test_finishing_twice_is_a_conflict(store):
    first = a_claim()
    store.idempotent_requests.begin(first)
    store.idempotent_requests.finish(first, b"answer")
    with pytest.raises(Conflict):
        store.idempotent_requests.finish(first, b"another answer")
    assert store.idempotent_requests.begin(a_claim(at=START + timedelta(seconds=1))).response == b"answer"


def test_finishing_a_key_never_claimed_is_a_conflict(store):
    with pytest.raises(Conflict):
        store.idempotent_requests.finish(a_claim(), b"answer")


def test_an_abandoned_claim_frees_the_key_at_once(store):
    first = a_claim()
    store.idempotent_requests.begin(first)
    store.idempotent_requests.abandon(first)
    assert store.idempotent_requests.begin(a_claim(request_hash="request-2", at=START + timedelta(seconds=1))) is None


def test_abandoning_leaves_a_finished_answer_and_another_claim_alone(store):
    first = a_claim()
    store.idempotent_requests.begin(first)
    store.idempotent_requests.finish(first, b"answer")
    store.idempotent_requests.abandon(first)
    taken = a_claim(scope_key="scope-b")
    store.idempotent_requests.begin(taken)
    store.idempotent_requests.abandon(a_claim(scope_key="scope-b", at=START - timedelta(seconds=1)))
    assert store.idempotent_requests.begin(a_claim(at=START + timedelta(seconds=1))).response == b"answer"
    assert store.idempotent_requests.begin(a_claim(scope_key="scope-b", at=START + timedelta(seconds=1))) == Recorded(
        "request-1", START, None)


def test_keys_of_other_scopes_are_independent(store):
    first = a_claim()
    store.idempotent_requests.begin(first)
    store.idempotent_requests.finish(first, b"answer")
    assert store.idempotent_requests.begin(a_claim(scope_key="scope-b")) is None


def test_of_ten_racing_claims_of_one_key_exactly_one_wins(store):
    barrier = threading.Barrier(10)
    outcomes: list[Recorded | None] = []

    def begin(number: int) -> None:
        claim = a_claim(at=START + timedelta(microseconds=number))
        barrier.wait()
        outcomes.append(store.idempotent_requests.begin(claim))

    threads = [threading.Thread(target=begin, args=(number,)) for number in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 10 and outcomes.count(None) == 1
    assert {(o.request_hash, o.response) for o in outcomes if o is not None} == {("request-1", None)}
