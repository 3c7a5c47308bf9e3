"""Owners and their API tokens in the store: kept by hash, scoped by station, refused once revoked or expired."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import pytest

from kameng.domain.owners import Owner, OwnerToken, Role
from kameng.ports.store import Duplicate, UnknownRecord

from .store_world import START

BOSS = Owner("01OWNER0000000000000000001", "boss@example.com", Role.PLATFORM_OWNER, None)
ZHANG = Owner("01OWNER0000000000000000002", "zhang@example.com", Role.STATION_OWNER, "game-zone")
LI = Owner("01OWNER0000000000000000003", "li@example.com", Role.STAFF, "game-zone")
WANG = Owner("01OWNER0000000000000000004", "wang@example.com", Role.STATION_OWNER, "av-club")
DAY = timedelta(days=1)


def a_token(store, owner: Owner = LI, days: int = 30, label: str = "laptop") -> str:
    token_hash = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
    store.owners.issue_token(OwnerToken(token_hash, owner.id, label, START, START + days * DAY))
    return token_hash


@pytest.fixture
def owners(store):
    for owner in (BOSS, ZHANG, LI, WANG):
        store.owners.add_owner(owner)
    return store.owners


def test_an_owner_reads_back_by_id_and_email(owners):
    assert owners.owner(LI.id) == LI
    assert owners.owner(BOSS.id) == BOSS
    assert owners.owner_by_email("zhang@example.com") == ZHANG
    assert owners.owner("01OWNER9999999999999999999") is None
    assert owners.owner_by_email("nobody@example.com") is None


def test_adding_an_owner_twice_is_a_duplicate(owners):
    with pytest.raises(Duplicate):
        owners.add_owner(LI)


def test_an_email_belongs_to_one_owner(owners):
    with pytest.raises(Duplicate):
        owners.add_owner(Owner("01OWNER0000000000000000009", LI.email, Role.STAFF, "av-club"))
    assert owners.owner("01OWNER0000000000000000009") is None


def test_owners_of_a_station_are_only_that_stations(owners):
    assert owners.owners("game-zone") == [LI, ZHANG]
    assert owners.owners("av-club") == [WANG]
    assert owners.owners("nowhere") == []
    assert owners.owners(None) == [BOSS, LI, WANG, ZHANG]


def test_a_token_finds_its_owner(store, owners):
    token_hash = a_token(store)
    assert owners.owner_by_token(token_hash, START + DAY) == LI


def test_a_revoked_token_finds_no_one(store, owners):
    token_hash = a_token(store)
    revoked = owners.revoke_token(token_hash, START + DAY)
    assert revoked.revoked_at == START + DAY and revoked.label == "laptop"
    assert owners.owner_by_token(token_hash, START + DAY) is None


def test_revoking_again_keeps_the_first_revocation(store, owners):
    token_hash = a_token(store)
    owners.revoke_token(token_hash, START + DAY)
    assert owners.revoke_token(token_hash, START + 2 * DAY).revoked_at == START + DAY


def test_an_expired_token_finds_no_one(store, owners):
    token_hash = a_token(store, days=30)
    assert owners.owner_by_token(token_hash, START + 30 * DAY - timedelta(seconds=1)) == LI
    assert owners.owner_by_token(token_hash, START + 30 * DAY) is None


def test_an_unknown_token_finds_no_one(store, owners):
    a_token(store)
    assert owners.owner_by_token(hashlib.sha256(b"never issued").hexdigest(), START) is None


def test_revoking_an_unknown_token_is_unknown(owners):
    with pytest.raises(UnknownRecord):
        owners.revoke_token(hashlib.sha256(b"never issued").hexdigest(), START)


def test_a_token_of_an_unknown_owner_is_refused(store, owners):
    with pytest.raises(UnknownRecord):
        a_token(store, Owner("01OWNER9999999999999999999", "ghost@example.com", Role.STAFF, "game-zone"))
    assert owners.tokens() == []


def test_a_token_hash_is_issued_once(store, owners):
    token_hash = a_token(store)
    with pytest.raises(Duplicate):
        owners.issue_token(OwnerToken(token_hash, ZHANG.id, "other", START, START + DAY))
    assert owners.owner_by_token(token_hash, START) == LI


def test_tokens_list_every_token_revoked_ones_included(store, owners):
    first, second = a_token(store, LI, label="a"), a_token(store, ZHANG, label="b")
    owners.revoke_token(first, START)
    listed = {token.token_hash: token for token in owners.tokens()}
    assert set(listed) == {first, second}
    assert listed[first].revoked_at == START and listed[second].revoked_at is None
    assert listed[second] == OwnerToken(second, ZHANG.id, "b", START, START + 30 * DAY)


def test_a_second_factor_is_kept_sealed_and_unconfirmed_until_a_code_confirms_it(owners):
    from kameng.domain.second_factor import SecondFactor

    assert owners.second_factor(LI.id) is None
    owners.start_second_factor(SecondFactor(LI.id, b"sealed-1"))
    # A sign-in link used again before any code was typed starts over with a new secret.
    owners.start_second_factor(SecondFactor(LI.id, b"sealed-2"))
    assert owners.second_factor(LI.id) == SecondFactor(LI.id, b"sealed-2", False, 0)

    assert owners.use_second_factor_step(LI.id, 1000, b"sealed-2") is True
    assert owners.second_factor(LI.id) == SecondFactor(LI.id, b"sealed-2", True, 1000)


def test_a_confirmed_second_factor_cannot_be_replaced(owners):
    from kameng.domain.second_factor import SecondFactor
    from kameng.ports.store import Conflict

    owners.start_second_factor(SecondFactor(ZHANG.id, b"phone"))
    owners.use_second_factor_step(ZHANG.id, 7, b"phone")
    with pytest.raises(Conflict):
        owners.start_second_factor(SecondFactor(ZHANG.id, b"attacker"))
    assert owners.second_factor(ZHANG.id).sealed_secret == b"phone"


def test_each_step_of_codes_is_accepted_once_and_never_an_earlier_one(owners):
    from kameng.domain.second_factor import SecondFactor

    owners.start_second_factor(SecondFactor(LI.id, b"s"))
    assert owners.use_second_factor_step(LI.id, 50, b"s") is True
    assert owners.use_second_factor_step(LI.id, 50, b"s") is False
    assert owners.use_second_factor_step(LI.id, 49, b"s") is False
    assert owners.use_second_factor_step(LI.id, 51, b"s") is True
    assert owners.use_second_factor_step(WANG.id, 51, b"s") is False  # no secret set up


def test_a_second_factor_needs_a_known_owner(store):
    from kameng.domain.second_factor import SecondFactor

    with pytest.raises(UnknownRecord):
        store.owners.start_second_factor(SecondFactor("01OWNER9999999999999999999", b"s"))


def test_resetting_a_second_factor_lets_a_new_one_be_set_up(owners):
    from kameng.domain.second_factor import SecondFactor

    assert owners.reset_second_factor(LI.id) is False
    owners.start_second_factor(SecondFactor(LI.id, b"lost phone"))
    owners.use_second_factor_step(LI.id, 9, b"lost phone")
    assert owners.reset_second_factor(LI.id) is True
    assert owners.second_factor(LI.id) is None
    owners.start_second_factor(SecondFactor(LI.id, b"new phone"))
    assert owners.second_factor(LI.id) == SecondFactor(LI.id, b"new phone", False, 0)


def test_a_code_confirms_only_the_secret_it_was_checked_against(owners):
    from kameng.domain.second_factor import SecondFactor

    owners.start_second_factor(SecondFactor(LI.id, b"the owner's phone"))
    # A second link, opened before the owner's code arrives, put another secret there.
    owners.start_second_factor(SecondFactor(LI.id, b"someone else's phone"))
    assert owners.use_second_factor_step(LI.id, 10, b"the owner's phone") is False
    assert owners.second_factor(LI.id).confirmed is False
