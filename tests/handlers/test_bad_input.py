"""Bad input gets a clear 4xx with a machine-readable code and a human message; never a 500."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kameng.handlers import checkout as checkout_handler
from kameng.handlers import orders as orders_handler
from kameng.http import MAX_BODY_BYTES

FIELDS = ["station", "sku", "quantity", "email", "query_password"]


@pytest.fixture
def post_checkout(deps, stations, api_event):
    """POST /api/checkout with exactly this body."""

    def post(body, content_type: str = "application/json"):
        event = api_event("POST", "/api/checkout", body=body, headers={"content-type": content_type})
        return checkout_handler.handler(event, None)

    return post


@pytest.fixture
def valid_fields(stations, sku_with_keys):
    stocked = sku_with_keys(2)
    return {"station": stations.substation, "sku": stocked.sku, "quantity": 1, "email": "buyer@example.com",
            "query_password": "8866-qp"}


def error_of(response) -> dict:
    assert response["headers"]["content-type"].startswith("application/json"), response
    return json.loads(response["body"])["error"]


def field_locs(response) -> set[str]:
    return {f["loc"] for f in error_of(response).get("fields", [])}


@pytest.mark.parametrize("body", ["{", "{'station': 'main'}", "station=main", "\x00\x01", b"\xff\xfe\xfd"])
def test_a_body_that_is_not_json_is_an_invalid_request(post_checkout, body):
    response = post_checkout(body)
    assert (response["statusCode"], error_of(response)["code"]) == (400, "invalid_request")


@pytest.mark.parametrize("body", ["[]", '["main"]', '"main"', "42", "null", "true"])
def test_json_that_is_not_an_object_is_an_invalid_request(post_checkout, body):
    response = post_checkout(body)
    assert (response["statusCode"], error_of(response)["code"]) == (400, "invalid_request")


def test_an_error_carries_a_human_message(post_checkout):
    assert error_of(post_checkout("{"))["message"].strip()


def test_an_empty_body_names_every_missing_field(post_checkout):
    response = post_checkout("")
    assert response["statusCode"] == 400 and field_locs(response) >= {"station", "sku", "email", "query_password"}


@pytest.mark.parametrize("missing", ["station", "sku", "email", "query_password"])
def test_a_missing_field_is_named(post_checkout, valid_fields, missing):
    del valid_fields[missing]
    response = post_checkout(valid_fields)
    assert (response["statusCode"], field_locs(response)) == (400, {missing})


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "not-an-address"), ("email", "a@b"), ("email", "<a>@example.com"), ("email", 12345), ("email", "x" * 250 + "@example.com"),
     ("email", "a\u0000b@example.com"), ("email", "a@exam\u0007ple.com"), ("email", "a\u202eb@example.com"),
     ("email", "a\u200b@example.com"),
     ("query_password", "123"), ("query_password", ""), ("query_password", "p" * 65),
     ("quantity", 0), ("quantity", -1), ("quantity", "many"), ("quantity", 1.5), ("quantity", 10**30),
     ("station", "Main"), ("station", "../main"), ("station", ""), ("sku", ""), ("sku", "s" * 65)],
)
def test_a_bad_field_is_named_with_a_reason(post_checkout, valid_fields, field, value):
    response = post_checkout({**valid_fields, field: value})
    error = error_of(response)
    assert (response["statusCode"], error["code"], field_locs(response)) == (400, "invalid_request", {field})


@pytest.mark.parametrize("value", [True, False])
def test_a_boolean_quantity_is_refused(post_checkout, valid_fields, value):
    # JSON true is not a number of keys; treating it as 1 hides a broken client.
    response = post_checkout({**valid_fields, "quantity": value})
    assert response["statusCode"] == 400 and field_locs(response) == {"quantity"}


def test_a_field_error_has_a_message_for_the_shopper(post_checkout, valid_fields):
    response = post_checkout({**valid_fields, "email": "not-an-address"})
    assert all(f["msg"].strip() for f in error_of(response)["fields"])


def test_a_body_over_the_limit_is_refused(post_checkout, valid_fields):
    response = post_checkout({**valid_fields, "padding": "x" * (MAX_BODY_BYTES + 1)})
    assert 400 <= response["statusCode"] < 500 and error_of(response)["code"] == "invalid_request"


def test_a_deeply_nested_body_is_an_invalid_request_not_a_crash(post_checkout):
    # 5,000 brackets are 10 KB, well inside the body limit.
    response = post_checkout("[" * 5000 + "]" * 5000)
    assert response["statusCode"] == 400


def test_a_deeply_nested_lookup_body_is_an_invalid_request_not_a_crash(deps, api_event):
    event = api_event("POST", "/api/orders/lookup", body="[" * 5000, headers={"content-type": "application/json"})
    assert orders_handler.lookup_orders(event, None)["statusCode"] == 400


@pytest.mark.parametrize("field", ["email", "query_password"])
def test_an_unpaired_surrogate_escape_is_an_invalid_request_not_a_crash(post_checkout, valid_fields, field):
    # Valid JSON text (RFC 8259 allows the escape) that no UTF-8 string can hold.
    value = "\\ud800x@example.com" if field == "email" else "\\ud800pass"
    body = json.dumps({**valid_fields, field: "PLACEHOLDER"}).replace("PLACEHOLDER", value)
    response = post_checkout(body)
    assert 400 <= response["statusCode"] < 500


def test_a_lookup_with_an_unpaired_surrogate_is_an_invalid_request_not_a_crash(deps, api_event):
    event = api_event("POST", "/api/orders/lookup", body='{"email": "buyer@example.com", "query_password": "\\udfffpass"}',
                      headers={"content-type": "application/json"})
    assert 400 <= orders_handler.lookup_orders(event, None)["statusCode"] < 500


def test_a_lookup_with_a_bad_email_names_the_field(lookup):
    response = lookup(email="not-an-address")
    assert (response.status, {f["loc"] for f in response.error["fields"]}) == (400, {"email"})


def test_a_lookup_with_a_too_short_query_password_names_the_field(lookup):
    response = lookup(query_password="123")
    assert (response.status, {f["loc"] for f in response.error["fields"]}) == (400, {"query_password"})


def test_an_order_request_without_an_id_is_not_found(get_order):
    assert get_order("", "some-token").status == 404


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
checkout_bodies = st.dictionaries(st.sampled_from(FIELDS + ["price", "total", "extra"]), json_values, max_size=7)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=checkout_bodies)
def test_no_checkout_body_makes_the_function_fail(post_checkout, body):
    assert post_checkout(body)["statusCode"] < 500


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.fixed_dictionaries({
    "station": st.sampled_from(["game-zone", "main", "nowhere", ""]) | st.text(max_size=10),
    "sku": st.text(max_size=20),
    "quantity": st.integers(min_value=-3, max_value=60) | st.text(max_size=3),
    "email": st.sampled_from(["buyer@example.com", "BUYER@Example.com"]) | st.emails() | st.text(max_size=20),
    "query_password": st.text(max_size=70),
}))
def test_no_well_shaped_checkout_makes_the_function_fail(post_checkout, fields):
    assert post_checkout(fields)["statusCode"] < 500


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=200))
def test_no_raw_bytes_make_the_function_fail(post_checkout, body):
    assert post_checkout(body)["statusCode"] < 500


def test_a_stock_request_without_a_station_names_the_field(stock_of, api_event):
    from kameng.handlers import stock as stock_handler

    response = stock_handler.handler(api_event("GET", "/api/stock"), None)
    assert response["statusCode"] == 400 and field_locs(response) == {"station"}


def test_a_stock_request_for_an_unknown_station_is_not_found(stock_of):
    response = stock_of("no-such-station")
    assert (response.status, response.error["code"]) == (404, "unknown_station")


def test_a_browser_that_asks_for_english_gets_the_message_in_english(stations, sku_with_keys, events):
    from kameng.handlers import checkout as checkout_handler

    stocked = sku_with_keys(1)
    event = events.checkout({"station": stations.substation, "sku": stocked.sku, "quantity": 2,
                             "email": "en@example.com", "query_password": "1234"})
    event["headers"]["accept-language"] = "en-GB,en;q=0.9"
    english = checkout_handler.handler(event, None)
    event["headers"]["accept-language"] = "zh-CN,zh;q=0.9"
    chinese = checkout_handler.handler(event, None)

    assert english["statusCode"] == chinese["statusCode"] == 409
    assert json.loads(english["body"])["error"] == {"code": "sold_out", "message": "Sold out."}
    assert json.loads(chinese["body"])["error"]["message"] == "库存不足，该商品已售罄"
