"""Substations' payouts: each request commits its amount only within the balance, racing ones included;
a decision applies once, and a rejection gives its amount back."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from kameng.domain.member import personal_coupon
from kameng.domain.payouts import PayoutStatus, StationPayout, decide
from kameng.ports.store import Conflict, Duplicate, UnknownRecord

START = datetime(2026, 12, 1, 8, tzinfo=timezone.utc)


def a_payout(payout_id: str, amount: int, station: str = "game-zone") -> StationPayout:
    return StationPayout(id=payout_id, station=station, amount=amount, currency="CNY",
                         requested_by="owner@game-zone.example", requested_at=START)


def test_a_request_within_the_balance_is_kept_and_committed(store):
    assert store.station_payouts.request_payout(a_payout("P1", 6000), ceiling=10000)
    assert store.station_payouts.request_payout(a_payout("P2", 4000), ceiling=10000)

    assert store.station_payouts.committed("game-zone") == 10000
    assert [p.id for p in store.station_payouts.payouts("game-zone")] == ["P2", "P1"]
    assert store.station_payouts.payout("game-zone", "P1").amount == 6000


def test_a_request_over_what_is_left_keeps_nothing(store):
    store.station_payouts.request_payout(a_payout("P1", 6000), ceiling=10000)

    assert not store.station_payouts.request_payout(a_payout("P2", 4001), ceiling=10000)
    assert store.station_payouts.committed("game-zone") == 6000
    assert store.station_payouts.payout("game-zone", "P2") is None


def test_the_same_id_twice_is_a_duplicate(store):
    store.station_payouts.request_payout(a_payout("P1", 100), ceiling=10000)
    with pytest.raises(Duplicate):
        store.station_payouts.request_payout(a_payout("P1", 100), ceiling=10000)
    assert store.station_payouts.committed("game-zone") == 100


def test_stations_are_kept_apart(store):
    store.station_payouts.request_payout(a_payout("P1", 100), ceiling=10000)
    assert store.station_payouts.payout("av-club", "P1") is None
    assert store.station_payouts.payouts("av-club") == []
    assert store.station_payouts.committed("av-club") == 0


def test_of_racing_requests_only_those_within_the_balance_are_kept(store):
    barrier = threading.Barrier(6)
    kept = []

    def ask(number: int) -> None:
        barrier.wait()
        if store.station_payouts.request_payout(a_payout(f"P{number}", 4000), ceiling=10000):
            kept.append(number)

    threads = [threading.Thread(target=ask, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(kept) == 2
    assert store.station_payouts.committed("game-zone") == 8000
    assert len(store.station_payouts.payouts("game-zone")) == 2


def test_a_rejection_gives_the_amount_back_and_a_stale_decision_conflicts(store):
    store.station_payouts.request_payout(a_payout("P1", 6000), ceiling=10000)
    seen = store.station_payouts.payout("game-zone", "P1")
    approved = store.station_payouts.decide_payout(decide(seen, PayoutStatus.APPROVED, "root@x.example", START, None), seen)
    rejected = decide(approved, PayoutStatus.REJECTED, "root@x.example", START, "wrong account")

    with pytest.raises(Conflict):
        store.station_payouts.decide_payout(rejected, seen)
    store.station_payouts.decide_payout(rejected, approved)

    assert store.station_payouts.payout("game-zone", "P1").status is PayoutStatus.REJECTED
    assert store.station_payouts.committed("game-zone") == 0


def test_deciding_an_unknown_payout_raises_unknown_record(store):
    ghost = a_payout("NEVER", 100)
    with pytest.raises(UnknownRecord):
        store.station_payouts.decide_payout(decide(ghost, PayoutStatus.APPROVED, "root@x.example", START, None), ghost)


def test_station_coupons_are_listed_newest_first_with_their_uses(store):
    older = personal_coupon("game-zone", "shopper-a", "OLDER", 500, "owner", START)
    newer = personal_coupon("game-zone", "shopper-b", "NEWER", 300, "welcome", START + timedelta(hours=1))
    elsewhere = personal_coupon("av-club", "shopper-a", "ELSEWHERE", 100, "owner", START)
    for coupon in (older, newer, elsewhere):
        store.members.issue_coupon(coupon)

    listed = store.members.station_coupons("game-zone", limit=10)

    assert [(coupon.code, used) for coupon, used in listed] == [("NEWER", 0), ("OLDER", 0)]
    assert [c.code for c, _ in store.members.station_coupons("game-zone", limit=1)] == ["NEWER"]
