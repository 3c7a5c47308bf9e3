"""POST /api/checkout: the server prices the order, reserves keys and sends the shopper to pay."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import pytest


def test_checkout_answers_201_with_a_pay_url(stations, sku_with_keys, checkout):
    stocked = sku_with_keys(3)
    response = checkout(stations.substation, stocked.sku, 2)
    assert response.status == 201 and response.json["pay_url"].startswith("http")


def test_checkout_answers_with_the_orders_public_fields(stations, sku_with_keys, checkout):
    response = checkout(stations.substation, sku_with_keys(3).sku)
    assert set(response.json) == {"order_id", "pay_url", "order_url", "currency", "expires_at", "unit_price", "subtotal",
                                  "level", "level_discount", "coupon", "coupon_discount", "total"}


def test_checkout_reserves_the_ordered_keys(stations, sku_with_keys, place):
    stocked = sku_with_keys(5)
    place(stations.substation, stocked.sku, 2)
    assert (stocked.stock().available, stocked.stock().reserved) == (3, 2)


def test_the_order_url_carries_the_token_in_the_fragment_only(stations, sku_with_keys, place):
    # A fragment never reaches a server log or a Referer header.
    placed = place(stations.substation, sku_with_keys(1).sku)
    before_fragment = placed.body["order_url"].split("#", 1)[0]
    assert placed.token and placed.token not in before_fragment


def test_checkout_holds_the_keys_only_briefly_until_the_pay_page_is_opened(stations, sku_with_keys, place, deps, clock):
    placed = place(stations.substation, sku_with_keys(1).sku, opened=False)
    assert datetime.fromisoformat(placed.body["expires_at"]) == clock() + deps.settings.unopened_hold


def test_the_payment_session_lasts_the_whole_reservation(stations, sku_with_keys, place, deps, clock):
    placed = place(stations.substation, sku_with_keys(1).sku, opened=False)
    assert deps.gateway.session(placed.session_id).expires_at == int((clock() + deps.settings.reservation_ttl).timestamp())


def test_the_payment_session_asks_for_the_orders_total(stations, sku_with_keys, place, deps):
    placed = place(stations.substation, sku_with_keys(3).sku, 3)
    assert deps.gateway.session(placed.session_id).total == placed.total


def test_the_shopper_sees_a_pending_order_before_paying(stations, sku_with_keys, place, order_view):
    view = order_view(place(stations.substation, sku_with_keys(1).sku))
    assert (view["status"], view["keys"]) == ("pending", [])


# ---------------------------------------------------------------- prices come from the price book only


@pytest.mark.parametrize("claimed", [{"price": 1}, {"total": 1}, {"unit_price": 1}, {"price": 1, "total": 1, "unit_price": 1, "currency": "USD"}])
def test_a_price_sent_by_the_client_is_ignored(stations, sku_with_keys, place, claimed):
    stocked = sku_with_keys(3)
    placed = place(stations.substation, stocked.sku, 2, **claimed)
    assert (placed.total, placed.body["currency"]) == (stocked.substation_price * 2, "CNY")


def test_a_price_sent_by_the_client_does_not_reach_the_payment_session(stations, sku_with_keys, place, deps):
    stocked = sku_with_keys(3)
    placed = place(stations.substation, stocked.sku, 1, total=1, price=1)
    assert deps.gateway.session(placed.session_id).total == stocked.substation_price


def test_each_station_charges_its_own_price_for_the_same_sku(stations, sku_with_keys, place):
    stocked = sku_with_keys(2, price=10200, substation_price=10500)
    charged = (place(stations.main, stocked.sku).total, place(stations.substation, stocked.sku).total)
    assert charged == (stocked.main_price, stocked.substation_price)


def test_a_substation_order_records_its_own_price_and_the_wholesale_price(stations, sku_with_keys, place, deps):
    stocked = sku_with_keys(1)
    order = deps.store.orders.order(place(stations.substation, stocked.sku).order_id)
    assert (order.unit_price, order.unit_wholesale) == (stocked.substation_price, stocked.wholesale)


def test_a_sku_missing_from_the_stations_price_book_is_unknown(stations, sku_with_keys, checkout):
    main_only = sku_with_keys(2, substation_price=None)
    response = checkout(stations.substation, main_only.sku)
    assert (response.status, response.error["code"]) == (404, "unknown_sku")


def test_an_unknown_sku_reserves_nothing(stations, sku_with_keys, checkout):
    main_only = sku_with_keys(2, substation_price=None)
    checkout(stations.substation, main_only.sku)
    assert main_only.stock().available == 2


def test_an_unknown_station_is_refused(stations, sku_with_keys, checkout):
    response = checkout("no-such-station", sku_with_keys(1).sku)
    assert (response.status, response.error["code"]) == (404, "unknown_station")


def test_a_quantity_above_the_lines_maximum_is_out_of_range(stations, sku_with_keys, checkout):
    stocked = sku_with_keys(10, max_quantity=5)
    response = checkout(stations.substation, stocked.sku, 6)
    assert (response.status, response.error["code"]) == (422, "quantity_out_of_range")


def test_a_quantity_below_the_lines_minimum_is_out_of_range(stations, sku_with_keys, checkout):
    stocked = sku_with_keys(10, min_quantity=2)
    response = checkout(stations.substation, stocked.sku, 1)
    assert (response.status, response.error["code"]) == (422, "quantity_out_of_range")


def test_an_order_for_more_keys_than_are_in_stock_is_sold_out(stations, sku_with_keys, checkout):
    stocked = sku_with_keys(2)
    response = checkout(stations.substation, stocked.sku, 3)
    assert (response.status, response.error["code"]) == (409, "sold_out")


def test_a_sold_out_checkout_reserves_nothing(stations, sku_with_keys, checkout):
    stocked = sku_with_keys(2)
    checkout(stations.substation, stocked.sku, 3)
    assert stocked.stock().available == 2


# ---------------------------------------------------------------- the page without JavaScript


def test_a_form_post_is_redirected_to_the_pay_step(stations, sku_with_keys, checkout, deps):
    response = checkout(stations.substation, sku_with_keys(1).sku, form=True)
    order_id = urlsplit(response.headers["location"]).path.split("/")[3]
    session_id = deps.store.orders.order(order_id).payment_session
    assert (response.status, deps.gateway.session(session_id).status) == (303, "open")


def test_a_form_post_reserves_keys_like_a_json_post(stations, sku_with_keys, checkout):
    stocked = sku_with_keys(3)
    checkout(stations.substation, stocked.sku, 2, form=True)
    assert stocked.stock().reserved == 2


def test_a_form_post_that_fails_gets_an_html_page_with_the_same_status(stations, sku_with_keys, checkout):
    stocked = sku_with_keys(1)
    response = checkout(stations.substation, stocked.sku, 2, form=True)
    assert (response.status, response.headers["content-type"].split(";")[0]) == (409, "text/html")


def test_a_form_post_with_a_bad_field_gets_an_html_page(stations, sku_with_keys, checkout):
    response = checkout(stations.substation, sku_with_keys(1).sku, email="not-an-address", form=True)
    assert (response.status, response.headers["content-type"].split(";")[0]) == (400, "text/html")


def test_an_html_error_page_escapes_what_the_client_sent(stations, checkout):
    response = checkout(stations.substation, "<script>alert(1)</script>", form=True)
    assert response.status == 404 and "<script>" not in response.raw["body"]


# ---------------------------------------------------------------- a gateway that is down


def test_when_the_gateway_is_down_the_shopper_is_told_and_the_keys_go_back(stations, sku_with_keys, checkout, deps, monkeypatch):
    stocked = sku_with_keys(2)

    def down(request):
        raise ConnectionError("gateway unreachable")

    monkeypatch.setattr(deps.gateway, "create_session", down)
    response = checkout(stations.substation, stocked.sku, 2)
    assert (response.status, response.error["code"], stocked.stock().available) == (503, "gateway_unavailable", 2)
