"""Resellers' balances: a top-up counts once per reference, a charge once per request id and only within
balance + credit limit (racing threads included), a charge is given back once, and a nonce is used once."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from kameng.domain.errors import InsufficientBalance
from kameng.domain.wholesale import Reseller, ResellerCharge
from kameng.ports.store import Duplicate, UnknownRecord

START = datetime(2026, 12, 1, 8, tzinfo=timezone.utc)


def a_reseller(reseller_id: str = "R1", credit_limit: int = 0) -> Reseller:
    return Reseller(id=reseller_id, name=f"平台 {reseller_id}", station="main", key_id=f"K{reseller_id}",
                    sealed_secret=b"\x00sealed\xff", credit_limit=credit_limit, currency="CNY", created_at=START)


def a_charge(request_id: str, amount: int, reseller_id: str = "R1", order_id: str | None = None) -> ResellerCharge:
    return ResellerCharge(reseller_id, request_id, "steam-100", 1, amount, order_id or f"O-{request_id}", START)


def test_a_reseller_is_kept_as_added_and_listed_by_id(store):
    store.resellers.add_reseller(a_reseller("R2", credit_limit=500))
    store.resellers.add_reseller(a_reseller("R1"))

    assert store.resellers.reseller("R2") == a_reseller("R2", credit_limit=500)
    assert [r.id for r in store.resellers.resellers()] == ["R1", "R2"]
    assert store.resellers.reseller("R9") is None
    assert store.resellers.balance("R2") == (0, 500)


def test_the_same_reseller_id_twice_is_a_duplicate(store):
    store.resellers.add_reseller(a_reseller("R1"))
    with pytest.raises(Duplicate):
        store.resellers.add_reseller(a_reseller("R1", credit_limit=999))
    assert store.resellers.balance("R1") == (0, 0)


def test_a_top_up_counts_once_per_reference(store):
    store.resellers.add_reseller(a_reseller())

    assert store.resellers.top_up("R1", 10000, "bank-0001", START)
    assert not store.resellers.top_up("R1", 10000, "bank-0001", START)
    assert store.resellers.top_up("R1", 2500, "bank-0002", START)
    assert store.resellers.balance("R1") == (12500, 0)


def test_an_unknown_reseller_has_no_balance_to_top_up(store):
    with pytest.raises(UnknownRecord):
        store.resellers.top_up("R9", 100, "ref", START)
    with pytest.raises(UnknownRecord):
        store.resellers.balance("R9")


def test_a_charge_takes_its_amount_once_per_request_id(store):
    store.resellers.add_reseller(a_reseller())
    store.resellers.top_up("R1", 10000, "t1", START)

    first = store.resellers.charge(a_charge("req-1", 3000, order_id="O-first"))
    again = store.resellers.charge(a_charge("req-1", 3000, order_id="O-second"))

    assert (first.order_id, again.order_id) == ("O-first", "O-first")
    assert store.resellers.balance("R1") == (7000, 0)
    assert store.resellers.charge_of("R1", "req-1") == first
    assert store.resellers.charge_of("R1", "req-2") is None


def test_a_charge_past_balance_and_credit_is_refused_and_takes_nothing(store):
    store.resellers.add_reseller(a_reseller(credit_limit=2000))
    store.resellers.top_up("R1", 1000, "t1", START)

    store.resellers.charge(a_charge("req-1", 3000))
    with pytest.raises(InsufficientBalance):
        store.resellers.charge(a_charge("req-2", 1))

    assert store.resellers.balance("R1") == (-2000, 2000)
    assert store.resellers.charge_of("R1", "req-2") is None


def test_request_ids_of_two_resellers_are_kept_apart(store):
    for reseller_id in ("R1", "R2"):
        store.resellers.add_reseller(a_reseller(reseller_id))
        store.resellers.top_up(reseller_id, 1000, "t1", START)
    store.resellers.charge(a_charge("req-1", 400, "R1"))
    store.resellers.charge(a_charge("req-1", 300, "R2"))

    assert store.resellers.balance("R1") == (600, 0)
    assert store.resellers.balance("R2") == (700, 0)


def test_a_charge_is_given_back_once(store):
    store.resellers.add_reseller(a_reseller())
    store.resellers.top_up("R1", 1000, "t1", START)
    store.resellers.charge(a_charge("req-1", 600))

    assert store.resellers.give_back("R1", "req-1", START)
    assert not store.resellers.give_back("R1", "req-1", START)
    assert not store.resellers.give_back("R1", "never", START)
    assert store.resellers.balance("R1") == (1000, 0)
    assert store.resellers.charge_of("R1", "req-1").given_back
    # A given-back request stays charged-once: the same id is not charged again.
    assert store.resellers.charge(a_charge("req-1", 600)).given_back
    assert store.resellers.balance("R1") == (1000, 0)


def test_racing_charges_never_take_the_balance_below_the_credit_limit(store):
    store.resellers.add_reseller(a_reseller(credit_limit=1000))
    store.resellers.top_up("R1", 2000, "t1", START)
    barrier = threading.Barrier(8)
    taken, refused = [], []

    def buy(number: int) -> None:
        barrier.wait()
        try:
            taken.append(store.resellers.charge(a_charge(f"req-{number}", 700)))
        except InsufficientBalance:
            refused.append(number)

    threads = [threading.Thread(target=buy, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # 3000 of room buys four charges of 700 (2800), never a fifth.
    assert (len(taken), len(refused)) == (4, 4)
    assert store.resellers.balance("R1") == (2000 - 2800, 1000)


def test_racing_charges_of_one_request_id_take_it_once(store):
    store.resellers.add_reseller(a_reseller())
    store.resellers.top_up("R1", 5000, "t1", START)
    barrier = threading.Barrier(6)
    kept = []

    def buy(number: int) -> None:
        barrier.wait()
        kept.append(store.resellers.charge(a_charge("same", 1000, order_id=f"O-{number}")))

    threads = [threading.Thread(target=buy, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({charge.order_id for charge in kept}) == 1
    assert store.resellers.balance("R1") == (4000, 0)


def test_a_nonce_is_used_once_until_it_expires(store):
    later = START + timedelta(minutes=10)
    assert store.resellers.use_nonce("R1", "n" * 20, START, later)
    assert not store.resellers.use_nonce("R1", "n" * 20, START + timedelta(minutes=9), later)
    assert store.resellers.use_nonce("R2", "n" * 20, START, later)
    assert store.resellers.use_nonce("R1", "n" * 20, later + timedelta(seconds=1), later + timedelta(minutes=10))
