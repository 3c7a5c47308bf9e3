"""`kameng owners`: owners added, tokens issued once and revoked, each with a trace; the store keeps only hashes."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from kameng import wiring
from kameng.domain.errors import Forbidden, NotFound
from kameng.domain.owners import InvalidOwnerToken, Permission, check
from kameng.domain.shopper import hash_token
from kameng.http import STATUS
from kameng.services import owners

from .conftest import SUBSTATION, json_of


def issued(kameng, email: str = "li@example.com", *extra: object) -> tuple[str, str]:
    ran = kameng("owners", "token", email, "--label", "console laptop", *extra)
    assert ran.code == 0, ran.err
    token, note = ran.out.splitlines()
    return token, note.split()[1]


@pytest.fixture
def staffed(data_env, kameng):
    assert kameng("owners", "add", "Boss@Example.com", "--role", "platform_owner").code == 0
    assert kameng("owners", "add", "zhang@example.com", "--role", "station_owner", "--station", SUBSTATION).code == 0
    assert kameng("owners", "add", "li@example.com", "--role", "staff", "--station", SUBSTATION).code == 0
    assert kameng("owners", "add", "wang@example.com", "--role", "station_owner", "--station", "av-club").code == 0
    return data_env


def test_a_token_signs_its_owner_in_until_it_is_revoked(staffed, kameng):
    token, token_id = issued(kameng)
    deps = wiring.deps()
    li = owners.authenticate(token, deps)
    assert (li.email, li.station) == ("li@example.com", SUBSTATION)
    with pytest.raises(Forbidden):
        check(li, Permission.REFUND, SUBSTATION)

    ran = kameng("owners", "revoke", token_id)
    assert ran.code == 0 and token_id in ran.out
    with pytest.raises(InvalidOwnerToken):
        owners.authenticate(token, deps)


def test_a_bad_token_answers_401(staffed):
    for token in (None, "", "kmo_never-issued"):
        with pytest.raises(InvalidOwnerToken) as refused:
            owners.authenticate(token, wiring.deps())
        assert next(STATUS[kind] for kind in type(refused.value).__mro__ if kind in STATUS) == 401


def test_an_expired_token_signs_no_one_in(staffed, kameng):
    token, _ = issued(kameng, "li@example.com", "--days", "1")
    deps = wiring.deps()
    later = deps.clock() + timedelta(days=1, seconds=1)
    with pytest.raises(InvalidOwnerToken):
        owners.authenticate(token, dataclasses.replace(deps, clock=lambda: later))


def test_the_store_keeps_the_tokens_hash_never_the_token(staffed, kameng):
    token, _ = issued(kameng)
    held = b"".join(path.read_bytes() for path in staffed.rglob("*") if path.is_file())
    assert token.encode() not in held
    assert token.removeprefix("kmo_").encode() not in held
    assert hash_token(token).encode() in held


def test_a_token_is_revoked_by_itself_or_its_whole_hash_too(staffed, kameng):
    first, _ = issued(kameng)
    second, _ = issued(kameng, "zhang@example.com")
    assert kameng("owners", "revoke", first).code == 0
    assert kameng("owners", "revoke", hash_token(second).upper()).code == 0
    states = [t["state"] for o in json_of(kameng("owners", "list", "--json")) for t in o["tokens"]]
    assert states == ["revoked", "revoked"]


def test_list_shows_a_stations_owners_and_their_tokens_never_the_token(staffed, kameng):
    token, token_id = issued(kameng)
    listed = json_of(kameng("owners", "list", "--station", SUBSTATION, "--json"))
    assert [(o["email"], o["role"]) for o in listed] == [("li@example.com", "staff"),
                                                         ("zhang@example.com", "station_owner")]
    assert [(t["id"], t["label"], t["state"]) for t in listed[0]["tokens"]] == [(token_id, "console laptop", "active")]
    table = kameng("owners", "list")
    assert "boss@example.com" in table.out and "wang@example.com" in table.out and token not in table.out


def test_each_owner_action_leaves_an_audit_entry_without_the_token(staffed, kameng):
    token, token_id = issued(kameng)
    kameng("owners", "revoke", token_id)
    kameng("owners", "revoke", token_id)  # revoked already: nothing more happened, nothing more logged
    entries = wiring.deps().store.audit_log.entries(None, 0, 100)
    assert [e.action for e in entries] == ["owner.add"] * 4 + ["owner.token_issue", "owner.token_revoke"]
    assert [e.station for e in entries[:2]] == ["main", SUBSTATION]
    assert entries[4].after["token"] == token_id and entries[5].after == {"token": token_id, "revoked": True}
    assert token not in kameng("audit", "--json").out


@pytest.mark.parametrize("argv, message", [
    (["owners", "add", "li@example.com", "--role", "staff", "--station", SUBSTATION], "already"),
    (["owners", "add", "x@example.com", "--role", "staff"], "station"),
    (["owners", "add", "x@example.com", "--role", "platform_owner", "--station", SUBSTATION], "every station"),
    (["owners", "token", "nobody@example.com", "--label", "x"], "no owner"),
    (["owners", "token", "li@example.com", "--label", "x", "--days", "400"], "366"),
    (["owners", "revoke", "abc"], "hex digits"),
    (["owners", "revoke", "0123456789ab"], "no token"),
])
def test_mistakes_exit_1_with_a_reason(staffed, kameng, argv, message):
    ran = kameng(*argv)
    assert ran.code == 1 and message in ran.err


def test_an_unknown_role_is_a_usage_mistake(staffed, kameng):
    assert kameng("owners", "add", "x@example.com", "--role", "admin").code == 2


@pytest.mark.parametrize("action", ["add", "list", "token", "revoke"])
def test_each_action_helps_with_an_example(data_env, kameng, action):
    ran = kameng("owners", action, "--help")
    assert ran.code == 0 and f"kameng owners {action} " in ran.out


def test_another_stations_owner_is_not_found_for_a_station_owner(staffed, kameng):
    token, _ = issued(kameng, "wang@example.com")
    wang = owners.authenticate(token, wiring.deps())
    with pytest.raises(NotFound):
        check(wang, Permission.VIEW_ORDERS, SUBSTATION)
