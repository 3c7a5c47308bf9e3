"""POST /api/orders/lookup: e-mail + query password list that shopper's orders, and only with the right password."""
from __future__ import annotations

import pytest

from kameng.services.lookup import LOOKUP_WINDOW_SECONDS, LOOKUPS_PER_ADDRESS, LOOKUPS_PER_SHOPPER


def ids_of(response) -> list[str]:
    assert response.status == 200, response.raw
    return [order["id"] for order in response.json["orders"]]


@pytest.fixture
def stocked(sku_with_keys):
    return sku_with_keys(10)


def test_a_shopper_finds_their_orders_with_email_and_query_password(stations, stocked, place, lookup, clock):
    first = place(stations.substation, stocked.sku, email="alice@example.com", query_password="alice-pw")
    clock.advance(seconds=1)
    second = place(stations.main, stocked.sku, email="alice@example.com", query_password="alice-pw")
    assert ids_of(lookup("alice@example.com", "alice-pw")) == [second.order_id, first.order_id]


def test_a_shopper_does_not_see_another_shoppers_orders(stations, stocked, place, lookup):
    place(stations.substation, stocked.sku, email="alice@example.com", query_password="same-pw")
    bobs = place(stations.substation, stocked.sku, email="bob@example.com", query_password="same-pw")
    assert ids_of(lookup("bob@example.com", "same-pw")) == [bobs.order_id]


def test_a_wrong_query_password_finds_nothing(stations, stocked, place, lookup):
    place(stations.substation, stocked.sku, email="alice@example.com", query_password="alice-pw")
    assert ids_of(lookup("alice@example.com", "wrong-pw")) == []


def test_an_address_with_no_orders_finds_nothing(stations, stocked, lookup):
    assert ids_of(lookup("nobody@example.com", "whatever")) == []


def test_the_email_is_matched_without_regard_to_case(stations, stocked, place, lookup):
    placed = place(stations.substation, stocked.sku, email="Alice@Example.COM", query_password="alice-pw")
    assert ids_of(lookup("alice@example.com", "alice-pw")) == [placed.order_id]


def test_only_orders_placed_with_that_query_password_are_listed(stations, stocked, place, lookup, clock):
    kept = place(stations.substation, stocked.sku, email="alice@example.com", query_password="first-pw")
    clock.advance(seconds=1)
    place(stations.substation, stocked.sku, email="alice@example.com", query_password="second-pw")
    assert ids_of(lookup("alice@example.com", "first-pw")) == [kept.order_id]


def test_a_delivered_order_found_by_lookup_shows_its_keys(stations, stocked, place, pay, lookup, order_view):
    placed = place(stations.substation, stocked.sku, email="alice@example.com", query_password="alice-pw")
    pay(placed)
    assert lookup("alice@example.com", "alice-pw").json["orders"][0]["keys"] == order_view(placed)["keys"]


def test_looking_up_too_often_for_one_shopper_is_rate_limited(stations, stocked, place, lookup):
    place(stations.substation, stocked.sku, email="alice@example.com", query_password="alice-pw")
    answers = [lookup("alice@example.com", f"guess-{i}", source_ip=f"198.51.100.{i}").status for i in range(LOOKUPS_PER_SHOPPER + 1)]
    assert answers == [200] * LOOKUPS_PER_SHOPPER + [429]


def test_a_rate_limited_lookup_says_when_to_retry(stations, stocked, lookup):
    for _ in range(LOOKUPS_PER_SHOPPER):
        lookup("alice@example.com", "guess")
    response = lookup("alice@example.com", "guess")
    assert (response.error["code"], int(response.headers["retry-after"])) == ("rate_limited", LOOKUP_WINDOW_SECONDS)


def test_a_rate_limited_lookup_finds_nothing_even_with_the_right_password(stations, stocked, place, lookup):
    place(stations.substation, stocked.sku, email="alice@example.com", query_password="alice-pw")
    for i in range(LOOKUPS_PER_SHOPPER):
        lookup("alice@example.com", f"guess-{i}")
    response = lookup("alice@example.com", "alice-pw")
    assert response.status == 429 and "orders" not in response.json


def test_one_address_trying_many_shoppers_is_rate_limited(stations, stocked, lookup):
    answers = [lookup(f"shopper{i}@example.com", "guess", source_ip="198.51.100.7").status for i in range(LOOKUPS_PER_ADDRESS + 1)]
    assert answers == [200] * LOOKUPS_PER_ADDRESS + [429]


def test_the_rate_limit_lifts_when_the_window_has_passed(stations, stocked, place, lookup, clock):
    placed = place(stations.substation, stocked.sku, email="alice@example.com", query_password="alice-pw")
    for _ in range(LOOKUPS_PER_SHOPPER + 1):
        lookup("alice@example.com", "guess")
    clock.advance(seconds=LOOKUP_WINDOW_SECONDS)
    assert ids_of(lookup("alice@example.com", "alice-pw")) == [placed.order_id]
