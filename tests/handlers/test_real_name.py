"""POST and GET /api/account/real-name, and the checkout refusal a shopper meets without a verified identity."""
from __future__ import annotations

import dataclasses

import pytest

from kameng import wiring
from kameng.adapters.real_name_sandbox import SandboxRealNameCheck
from kameng.domain.real_name import RealNameRule
from kameng.handlers import account as account_handler
from kameng.handlers import checkout as checkout_handler
from kameng.http import SESSION_COOKIE
from tests.conftest import checkout_event
from tests.handlers.conftest import Response
from tests.handlers.test_account import ALICE, outbox, sign_in, signed_in, start_session  # noqa: F401 (fixtures)

ZHANG = {"name": "张三", "id_number": "11010519491231002X"}


@pytest.fixture(autouse=True)
def sandbox_check(deps):
    check = SandboxRealNameCheck()
    wiring.use(dataclasses.replace(deps, real_name_check=check))
    return check


@pytest.fixture
def real_name(api_event):
    def call(session: str | None, body: dict | None = None, headers: dict | None = None) -> Response:
        event = api_event("POST" if body is not None else "GET", "/api/account/real-name", body=body, headers=headers)
        event["cookies"] = [f"{SESSION_COOKIE}={session}"] if session else []
        handler = account_handler.verify_real_name if body is not None else account_handler.get_real_name
        return Response(handler(event, None))

    return call


def test_a_signed_in_member_verifies_and_then_sees_the_identity_masked(stations, signed_in, real_name):
    session = signed_in()
    assert real_name(session).json == {"verified": False}
    answered = real_name(session, ZHANG)
    assert answered.status == 201
    assert (answered.json["name"], answered.json["id_number"]) == ("张*", "1101**********002X")
    assert real_name(session).json["verified"] is True
    assert "张三" not in str(real_name(session).raw)


def test_without_a_session_the_answer_is_401(stations, real_name):
    assert real_name(None, ZHANG).json["error"]["code"] == "signed_out"
    assert real_name(None).status == 401


def test_an_invalid_number_is_400_id_number_invalid_naming_the_field(stations, signed_in, real_name, sandbox_check):
    answered = real_name(signed_in(), {"name": "张三", "id_number": "110105194912310021"})
    assert answered.status == 400
    assert answered.json["error"]["code"] == "id_number_invalid"
    assert answered.json["error"]["fields"][0]["loc"] == "id_number"
    assert sandbox_check.calls == 0


def test_a_mismatch_is_422_and_a_second_verification_409(stations, signed_in, real_name):
    session = signed_in()
    mismatch = real_name(session, {"name": "李四", "id_number": "11010519491231002X"})
    assert (mismatch.status, mismatch.json["error"]["code"]) == (422, "real_name_mismatch")
    assert "姓名与身份证号不一致" in mismatch.json["error"]["message"]
    assert real_name(session, ZHANG).status == 201
    again = real_name(session, ZHANG)
    assert (again.status, again.json["error"]["code"]) == (409, "real_name_verified")


def test_the_sixth_attempt_of_a_day_is_429(stations, signed_in, real_name):
    session = signed_in()
    for _ in range(5):
        assert real_name(session, {"name": "王二", "id_number": "11010519491231002X"}).status == 422
    assert real_name(session, ZHANG).status == 429


def test_a_form_post_from_another_site_is_refused(stations, signed_in, real_name):
    answered = real_name(signed_in(), ZHANG, headers={"content-type": "text/plain"})
    assert answered.status == 415


def test_checkout_of_a_covered_order_without_verification_answers_403_real_name_required(deps, stations, sku_with_keys):
    stocked = sku_with_keys(3)
    book = deps.store.price_books.price_book("game-zone")
    deps.store.price_books.put_price_book(book.model_copy(update={"real_name": RealNameRule(products=("steam-wallet",))}))
    event = checkout_event({"station": "game-zone", "sku": stocked.sku, "quantity": 1, "email": ALICE,
                            "query_password": "8866-qp"})
    answered = Response(checkout_handler.handler(event, None))
    assert (answered.status, answered.json["error"]["code"]) == (403, "real_name_required")
    assert stocked.stock().available == 3
