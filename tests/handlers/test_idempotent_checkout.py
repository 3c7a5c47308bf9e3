"""A checkout retried under the client's Idempotency-Key answers as its first try did and places one order."""
from __future__ import annotations

import threading
from typing import Any

import pytest

from kameng.domain.errors import Busy
from kameng.handlers import checkout as checkout_handler

from .conftest import EMAIL, QUERY_PASSWORD, Response

KEY = "5f0c1e9a-0d6b-4c1e-9a51-8f3e2b7d4c10"


@pytest.fixture
def post(events):
    """POST /api/checkout with an Idempotency-Key header (None: without one), or the key as a form field."""

    def send(station: str, sku: str, key: str | None = KEY, quantity: int = 1, email: str = EMAIL,
             form: bool = False, field: str | None = None) -> Response:
        fields: dict[str, Any] = {"station": station, "sku": sku, "quantity": quantity, "email": email,
                                  "query_password": QUERY_PASSWORD}
        if field is not None:
            fields["idempotency_key"] = field
        event = events.checkout(fields, form=form)
        if key is not None:
            event["headers"]["idempotency-key"] = key
        return Response(checkout_handler.handler(event, None))

    return send


def held(deps, sku: str) -> tuple[int, int]:
    """How many orders the store holds, and how many of the SKU's keys they reserve."""
    return len(deps.store.orders.recent_orders(100)), deps.store.inventory.stock([sku])[sku].reserved


def test_a_retried_checkout_returns_the_first_order_and_reserves_its_keys_once(stations, sku_with_keys, post, deps):
    stocked = sku_with_keys(3)
    first = post(stations.main, stocked.sku)
    retry = post(stations.main, stocked.sku)
    assert (first.status, retry.status) == (201, 201)
    assert retry.raw["body"] == first.raw["body"] and retry.raw["cookies"] == first.raw["cookies"]
    assert held(deps, stocked.sku) == (1, 1)


def test_a_retried_form_post_with_the_key_as_a_field_redirects_to_the_same_pay_page(stations, sku_with_keys, post, deps):
    stocked = sku_with_keys(3)
    first = post(stations.main, stocked.sku, key=None, form=True, field=KEY)
    retry = post(stations.main, stocked.sku, key=None, form=True, field=KEY)
    assert (first.status, retry.status) == (303, 303)
    assert retry.headers["location"] == first.headers["location"] and retry.raw["cookies"] == first.raw["cookies"]
    assert held(deps, stocked.sku) == (1, 1)


def test_two_racing_identical_checkouts_place_one_order(stations, sku_with_keys, post, deps):
    stocked = sku_with_keys(5)
    barrier = threading.Barrier(6)
    answers: list[Response] = []

    def buy() -> None:
        barrier.wait()
        answers.append(post(stations.main, stocked.sku))

    threads = [threading.Thread(target=buy) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    placed = [a for a in answers if a.status == 201]
    assert placed and {a.raw["body"] for a in placed} == {placed[0].raw["body"]}
    assert [a.error["code"] for a in answers if a.status != 201] == ["request_in_progress"] * (6 - len(placed))
    assert held(deps, stocked.sku) == (1, 1)


def test_a_retry_while_the_first_try_is_processed_is_told_to_try_again(stations, sku_with_keys, post, deps, monkeypatch):
    stocked = sku_with_keys(3)
    opening, answered = threading.Event(), threading.Event()
    create_session = deps.gateway.create_session

    def slow_gateway(request):
        opening.set()
        assert answered.wait(10)
        return create_session(request)

    monkeypatch.setattr(deps.gateway, "create_session", slow_gateway)
    answers: list[Response] = []
    first = threading.Thread(target=lambda: answers.append(post(stations.main, stocked.sku)))
    first.start()
    assert opening.wait(10)
    retry = post(stations.main, stocked.sku)
    answered.set()
    first.join()
    assert (retry.status, retry.error["code"], retry.headers["retry-after"]) == (409, "request_in_progress", "1")
    assert answers[0].status == 201
    assert post(stations.main, stocked.sku).raw["body"] == answers[0].raw["body"]
    assert held(deps, stocked.sku) == (1, 1)


def test_the_same_key_with_another_body_is_refused(stations, sku_with_keys, post, deps):
    stocked = sku_with_keys(3)
    assert post(stations.main, stocked.sku).status == 201
    reused = post(stations.main, stocked.sku, quantity=2)
    assert (reused.status, reused.error["code"]) == (422, "idempotency_key_reused")
    assert held(deps, stocked.sku) == (1, 1)


def test_the_same_key_as_a_form_post_after_json_is_another_request(stations, sku_with_keys, post):
    stocked = sku_with_keys(3)
    assert post(stations.main, stocked.sku).status == 201
    assert post(stations.main, stocked.sku, form=True).status == 422


def test_a_key_is_forgotten_after_24_hours(stations, sku_with_keys, post, deps, clock):
    stocked = sku_with_keys(3)
    first = post(stations.main, stocked.sku)
    clock.advance(seconds=24 * 3600)
    later = post(stations.main, stocked.sku)
    assert later.status == 201 and later.json["order_id"] != first.json["order_id"]


def test_one_key_of_two_shoppers_or_two_stations_answers_each_with_their_own_order(stations, sku_with_keys, post, deps):
    stocked = sku_with_keys(5)
    mine = post(stations.main, stocked.sku)
    theirs = post(stations.main, stocked.sku, email="other@example.com")
    elsewhere = post(stations.substation, stocked.sku)
    assert {mine.status, theirs.status, elsewhere.status} == {201}
    assert len({mine.json["order_id"], theirs.json["order_id"], elsewhere.json["order_id"]}) == 3
    assert held(deps, stocked.sku) == (3, 3)


def test_a_refused_checkout_is_not_remembered_and_its_retry_places_the_order(stations, sku_with_keys, post, deps,
                                                                          monkeypatch):
    stocked = sku_with_keys(3)
    create_session = deps.gateway.create_session
    monkeypatch.setattr(deps.gateway, "create_session", lambda request: (_ for _ in ()).throw(OSError("timed out")))
    assert post(stations.main, stocked.sku).error["code"] == "gateway_unavailable"
    monkeypatch.setattr(deps.gateway, "create_session", create_session)
    assert post(stations.main, stocked.sku).status == 201
    assert deps.store.inventory.stock([stocked.sku])[stocked.sku].reserved == 1


def test_without_a_key_every_checkout_is_a_new_order(stations, sku_with_keys, post, deps):
    stocked = sku_with_keys(3)
    first, second = post(stations.main, stocked.sku, key=None), post(stations.main, stocked.sku, key=None)
    assert (first.status, second.status) == (201, 201) and first.json["order_id"] != second.json["order_id"]
    assert held(deps, stocked.sku) == (2, 2)


@pytest.mark.parametrize("key", ["", "k" * 256, "ключ", "tab\there", "line\nbreak"])
def test_a_key_that_is_not_1_to_255_printable_ascii_characters_is_refused(stations, sku_with_keys, post, deps, key):
    stocked = sku_with_keys(3)
    refused = post(stations.main, stocked.sku, key=key)
    assert (refused.status, refused.error["code"]) == (400, "invalid_request")
    assert [f["loc"] for f in refused.error["fields"]] == ["Idempotency-Key"]
    assert held(deps, stocked.sku) == (0, 0)


def test_a_form_field_key_that_is_too_long_is_refused_with_the_page_of_errors(stations, sku_with_keys, post):
    stocked = sku_with_keys(3)
    refused = post(stations.main, stocked.sku, key=None, form=True, field="k" * 256)
    assert refused.status == 400 and refused.headers["content-type"].startswith("text/html")


def test_the_store_never_holds_a_remembered_answers_token_or_key_in_plain(stations, sku_with_keys, post, data_dir):
    stocked = sku_with_keys(3)
    first = post(stations.main, stocked.sku)
    assert post(stations.main, stocked.sku).raw["body"] == first.raw["body"]
    token = first.json["order_url"].split("#t=", 1)[1]
    stored = b"".join(path.read_bytes() for path in sorted(data_dir.glob("kameng.db*")))
    assert stored and token.encode() not in stored and KEY.encode() not in stored


def test_a_placed_order_is_answered_even_when_its_answer_cannot_be_kept(stations, sku_with_keys, post, deps, clock,
                                                                        monkeypatch):
    stocked = sku_with_keys(3)

    def store_busy(claim, response):
        raise Busy("the store is busy")

    monkeypatch.setattr(deps.store.idempotent_requests, "finish", store_busy)
    first = post(stations.main, stocked.sku)
    # Told to retry, the client would place a second order once the claim's lease ran out.
    assert first.status == 201
    assert held(deps, stocked.sku) == (1, 1)
