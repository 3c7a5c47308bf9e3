"""An order's keys are shown to the holder of its token only; everyone else gets one and the same 404."""
from __future__ import annotations

import pytest


@pytest.fixture
def delivered(stations, sku_with_keys, place, pay):
    placed = place(stations.substation, sku_with_keys(2).sku)
    pay(placed)
    return placed


def test_the_token_as_a_bearer_header_shows_the_keys(delivered, get_order):
    response = get_order(delivered.order_id, delivered.token, via="bearer")
    assert response.status == 200 and len(response.json["order"]["keys"]) == 1


def test_the_token_as_a_query_parameter_shows_the_keys(delivered, get_order):
    response = get_order(delivered.order_id, delivered.token, via="query")
    assert response.status == 200 and len(response.json["order"]["keys"]) == 1


def test_both_ways_of_presenting_the_token_show_the_same_order(delivered, get_order):
    assert get_order(delivered.order_id, delivered.token, via="bearer").json == get_order(
        delivered.order_id, delivered.token, via="query").json


@pytest.mark.parametrize("via", ["bearer", "query"])
def test_a_wrong_token_is_not_found(delivered, get_order, via):
    response = get_order(delivered.order_id, delivered.token[:-1] + ("A" if delivered.token[-1] != "A" else "B"), via=via)
    assert (response.status, response.error["code"]) == (404, "not_found")


def test_a_missing_token_is_not_found(delivered, get_order):
    assert get_order(delivered.order_id, None).status == 404


def test_an_empty_token_is_not_found(delivered, get_order):
    assert get_order(delivered.order_id, "", via="query").status == 404


def test_another_orders_token_is_not_found(stations, sku_with_keys, place, delivered, get_order):
    other = place(stations.substation, sku_with_keys(1).sku)
    assert get_order(delivered.order_id, other.token).status == 404


def test_an_unknown_order_is_not_found(delivered, get_order):
    assert get_order("01JNM8Z4Y6T3K2Q9W7E5R1V0XB", delivered.token).status == 404


def test_a_wrong_token_and_an_unknown_order_get_the_same_answer(delivered, get_order):
    # Ids must not be probeable: "exists but not yours" looks exactly like "does not exist".
    wrong_token = get_order(delivered.order_id, "not-the-token").raw
    unknown = get_order("01JNM8Z4Y6T3K2Q9W7E5R1V0XB", "not-the-token").raw
    assert wrong_token == unknown


def test_a_refused_order_request_reveals_no_key(delivered, get_order, deps):
    codes = [k["code"] for k in get_order(delivered.order_id, delivered.token).json["order"]["keys"]]
    refused = get_order(delivered.order_id, "not-the-token").raw["body"]
    assert codes and not any(code in refused for code in codes)


def test_an_order_response_is_never_cached(delivered, get_order):
    assert get_order(delivered.order_id, delivered.token).headers["cache-control"] == "no-store"


def test_the_order_view_has_exactly_the_documented_fields(delivered, order_view):
    assert set(order_view(delivered)) == {"id", "station", "status", "sku", "title", "quantity", "unit_price", "subtotal",
                                          "level", "level_discount", "coupon", "coupon_discount", "total",
                                          "currency", "created_at", "keys", "tickets", "replaced_keys",
                                          "delivery", "account", "receipt", "message", "deliver_by"}


def test_a_delivered_key_has_a_code_and_a_password_field(delivered, order_view):
    assert [set(k) for k in order_view(delivered)["keys"]] == [{"key_id", "code", "password"}]
