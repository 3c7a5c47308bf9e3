"""Real-name verification of a member account, and checkout's rule that asks for it, on every store."""
from __future__ import annotations

import dataclasses
import sqlite3

import pytest

from kameng import wiring
from kameng.adapters.dynamodb.real_names import real_name_key
from kameng.adapters.real_name_sandbox import SandboxRealNameCheck, UNAVAILABLE_NUMBER, UNKNOWN_NUMBER
from kameng.domain.errors import RateLimited
from kameng.domain.id_number import IdNumberInvalid
from kameng.domain.real_name import (
    RealNameMismatch, RealNameRefused, RealNameRequired, RealNameRule, RealNameUnavailable, RealNameVerified,
)
from kameng.services import real_name
from kameng.services.checkout import CheckoutRequest, place
from kameng.services.lookup import shopper_key
from tests.support.dynamo_table import dynamodb_store

EMAIL = "buyer@example.com"
STATION = "game-zone"
ZHANG = real_name.RealNameRequest(name="张三", id_number="11010519491231002X")


@pytest.fixture(params=["sqlite", "dynamodb"])
def deps(request, deps, tmp_path):
    chosen = dataclasses.replace(deps, real_name_check=SandboxRealNameCheck())
    if request.param == "sqlite":
        wiring.use(chosen)
        yield chosen
        return
    with dynamodb_store(tmp_path) as store:
        chosen = dataclasses.replace(chosen, store=store)
        wiring.use(chosen)
        yield chosen


@pytest.fixture
def key(deps, stations):
    return shopper_key(EMAIL, deps)


def test_a_matching_identity_is_kept_once_and_shown_masked(deps, key):
    shown = real_name.verify(STATION, key, ZHANG, deps)
    assert shown["verified"] is True
    assert (shown["name"], shown["id_number"]) == ("张*", "1101**********002X")
    assert real_name.status(STATION, key, deps) == shown
    assert real_name.identity(STATION, key, deps) == ("张三", "11010519491231002X")


def test_the_identity_is_sealed_at_rest(deps, key):
    real_name.verify(STATION, key, ZHANG, deps)
    record = deps.store.real_names.real_name(STATION, key)
    for secret in ("张三".encode(), "张三".encode("unicode_escape"), b"11010519491231002X", b"19491231"):
        assert secret not in record.sealed
    if hasattr(deps.store.real_names, "_db"):
        raw = repr(sqlite3.connect(deps.store.real_names._db.path).execute("SELECT * FROM real_names").fetchall())
    else:
        raw = repr(deps.store.real_names.table.get(real_name_key(STATION, key)))
    assert "张*" in raw and "1101**********002X" in raw
    assert "11010519491231002X" not in raw and "张三" not in raw and "19491231" not in raw


def test_an_account_is_verified_once_and_never_asks_the_provider_again(deps, key):
    real_name.verify(STATION, key, ZHANG, deps)
    with pytest.raises(RealNameVerified):
        real_name.verify(STATION, key, real_name.RealNameRequest(name="李四", id_number="110101199003070070"), deps)
    assert deps.real_name_check.calls == 1
    assert real_name.identity(STATION, key, deps)[0] == "张三"


def test_verification_belongs_to_the_member_account_of_one_station(deps, key):
    real_name.verify(STATION, key, ZHANG, deps)
    assert real_name.status("main", key, deps) == {"verified": False}


def test_a_mismatch_is_explained_and_nothing_is_kept(deps, key):
    with pytest.raises(RealNameMismatch, match="姓名与身份证号不一致"):
        real_name.verify(STATION, key, real_name.RealNameRequest(name="李四", id_number="11010519491231002X"), deps)
    assert real_name.status(STATION, key, deps) == {"verified": False}


def test_an_outage_says_try_later_and_keeps_nothing(deps, key):
    with pytest.raises(RealNameUnavailable, match="稍后再试"):
        real_name.verify(STATION, key, real_name.RealNameRequest(name="张三", id_number=UNAVAILABLE_NUMBER), deps)
    assert real_name.status(STATION, key, deps) == {"verified": False}


def test_a_number_the_registry_does_not_know_is_refused_with_its_reason(deps, key):
    with pytest.raises(RealNameRefused, match="无此身份证记录"):
        real_name.verify(STATION, key, real_name.RealNameRequest(name="张三", id_number=UNKNOWN_NUMBER), deps)


def test_an_invalid_number_never_reaches_the_provider(deps, key):
    with pytest.raises(IdNumberInvalid):
        real_name.verify(STATION, key, real_name.RealNameRequest(name="张三", id_number="110105194912310021"), deps)
    assert deps.real_name_check.calls == 0


def test_an_account_may_ask_the_provider_five_times_a_day(deps, key, clock):
    wrong = real_name.RealNameRequest(name="王二", id_number="11010519491231002X")
    for _ in range(real_name.ATTEMPTS_PER_DAY):
        with pytest.raises(RealNameMismatch):
            real_name.verify(STATION, key, wrong, deps)
    with pytest.raises(RateLimited):
        real_name.verify(STATION, key, ZHANG, deps)
    assert deps.real_name_check.calls == real_name.ATTEMPTS_PER_DAY
    clock.advance(days=1)
    assert real_name.verify(STATION, key, ZHANG, deps)["verified"] is True


# ---------------------------------------------------------------- checkout


def require(deps, station: str, rule: RealNameRule) -> None:
    book = deps.store.price_books.price_book(station)
    deps.store.price_books.put_price_book(book.model_copy(update={"real_name": rule}))


def order(deps, sku: str, signed_in: bool, quantity: int = 1):
    request = CheckoutRequest(station=STATION, sku=sku, quantity=quantity, email=EMAIL, query_password="8642")
    return place(request, deps, session_shopper=shopper_key(EMAIL, deps) if signed_in else None)


@pytest.fixture
def steam(deps, sku_with_keys):
    return sku_with_keys(5)


def test_an_order_above_the_amount_is_refused_before_anything_is_held(deps, key, steam):
    require(deps, STATION, RealNameRule(above=20000))
    with pytest.raises(RealNameRequired, match="实名认证"):
        order(deps, steam.sku, signed_in=True, quantity=2)
    assert steam.stock().available == 5


def test_an_order_at_or_below_the_amount_needs_no_verification(deps, key, steam):
    require(deps, STATION, RealNameRule(above=20000))
    assert order(deps, steam.sku, signed_in=False).order.total == 10500


def test_a_flagged_product_needs_verification_whatever_its_total(deps, key, steam):
    require(deps, STATION, RealNameRule(products=("steam-wallet",)))
    with pytest.raises(RealNameRequired):
        order(deps, steam.sku, signed_in=True)


def test_a_verified_member_checks_out_signed_in_but_not_as_a_guest_with_the_same_email(deps, key, steam):
    require(deps, STATION, RealNameRule(above=20000))
    real_name.verify(STATION, key, ZHANG, deps)
    with pytest.raises(RealNameRequired):
        order(deps, steam.sku, signed_in=False, quantity=2)
    placed = order(deps, steam.sku, signed_in=True, quantity=2)
    assert placed.order.total == 21000
    assert steam.stock().available == 3
