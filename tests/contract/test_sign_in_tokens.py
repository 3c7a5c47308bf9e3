"""Sign-in links in the store: kept by hash, used once, never after they expire (every adapter)."""
from __future__ import annotations

import hashlib
import secrets
import threading
from datetime import timedelta

from kameng.ports.store import SignInGrant

from .store_world import START

TTL = timedelta(minutes=15)


def a_link(store, *, station: str = "game-zone", shopper_key: str = "shopper-a", at=START) -> str:
    token_hash = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
    store.sign_ins.put_sign_in(token_hash, SignInGrant(shopper_key, station, "a***e@example.com", at + TTL))
    return token_hash


def test_a_link_used_in_time_gives_its_grant(store):
    token_hash = a_link(store, station="av-club", shopper_key="shopper-b")
    grant = store.sign_ins.use_sign_in(token_hash, START + timedelta(minutes=1))
    assert grant == SignInGrant("shopper-b", "av-club", "a***e@example.com", START + TTL)


def test_a_link_works_only_once(store):
    token_hash = a_link(store)
    assert store.sign_ins.use_sign_in(token_hash, START) is not None
    assert store.sign_ins.use_sign_in(token_hash, START) is None


def test_an_expired_link_gives_nothing(store):
    token_hash = a_link(store)
    assert store.sign_ins.use_sign_in(token_hash, START + TTL) is None


def test_an_expired_link_stays_refused_later(store):
    token_hash = a_link(store)
    store.sign_ins.use_sign_in(token_hash, START + TTL + timedelta(seconds=1))
    assert store.sign_ins.use_sign_in(token_hash, START + timedelta(minutes=1)) is None


def test_an_unknown_link_gives_nothing(store):
    a_link(store)
    assert store.sign_ins.use_sign_in(hashlib.sha256(b"never issued").hexdigest(), START) is None


def test_links_are_independent(store):
    first, second = a_link(store, shopper_key="one"), a_link(store, shopper_key="two")
    assert store.sign_ins.use_sign_in(second, START).shopper_key == "two"
    assert store.sign_ins.use_sign_in(first, START).shopper_key == "one"


def test_of_ten_racing_uses_of_one_link_exactly_one_wins(store):
    token_hash = a_link(store)
    barrier = threading.Barrier(10)
    grants = []

    def use() -> None:
        barrier.wait()
        grants.append(store.sign_ins.use_sign_in(token_hash, START))

    threads = [threading.Thread(target=use) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(grants) == 10 and len([g for g in grants if g is not None]) == 1
