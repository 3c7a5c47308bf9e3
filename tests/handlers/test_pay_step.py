"""The pay step: checkout holds keys briefly, and only a shopper who opens the pay link holds them for the
whole reservation, on the way to the gateway's pay page."""
from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest

# The default hold of an order whose pay page is not opened (KAMENG_UNOPENED_HOLD_MINUTES).
BRIEF_HOLD = timedelta(minutes=3)


@pytest.fixture
def after(deps, clock, sweep):
    """Let time pass since checkout, then run the scheduled sweeper."""

    def run(seconds: float) -> dict:
        clock.advance(seconds=seconds)
        return sweep()

    return run


def test_the_pay_url_is_the_shops_own_pay_step_on_the_station(stations, sku_with_keys, place, deps):
    placed = place(stations.substation, sku_with_keys(1).sku, opened=False)
    link = urlsplit(placed.body["pay_url"])
    assert (link.path, link.netloc) == (f"/api/orders/{placed.order_id}/pay", urlsplit(placed.body["order_url"]).netloc)


def test_the_pay_url_does_not_carry_the_order_token(stations, sku_with_keys, place):
    # A query string lands in access logs; the token opens the keys, the pay link only the pay page.
    placed = place(stations.substation, sku_with_keys(1).sku, opened=False)
    assert placed.token not in placed.body["pay_url"]


def test_the_pay_step_sends_the_shopper_on_to_the_gateways_pay_page(stations, sku_with_keys, place, open_pay_page, deps):
    placed = place(stations.substation, sku_with_keys(1).sku, opened=False)
    opened = open_pay_page(placed)
    assert (opened.status, opened.headers["location"]) == (303, deps.store.orders.order(placed.order_id).payment_url)
    assert opened.headers["location"].endswith(f"/_sandbox/pay/{placed.session_id}")


def test_the_pay_step_keeps_its_link_out_of_the_gateways_referer_and_caches(stations, sku_with_keys, place, open_pay_page):
    opened = open_pay_page(place(stations.substation, sku_with_keys(1).sku, opened=False))
    assert (opened.headers["referrer-policy"], opened.headers["cache-control"]) == ("no-referrer", "no-store")


def test_an_order_whose_pay_page_is_never_opened_gives_its_keys_back_after_the_brief_hold(
        stations, sku_with_keys, place, after, deps, order_view):
    stocked = sku_with_keys(3)
    placed = place(stations.substation, stocked.sku, 2, opened=False)
    done = after(BRIEF_HOLD.total_seconds() + 1)
    assert (done["expired"], stocked.stock().available, stocked.stock().reserved) == (1, 3, 0)
    assert order_view(placed)["status"] == "expired"


def test_an_unopened_orders_gateway_session_is_expired_with_it(stations, sku_with_keys, place, after, deps):
    placed = place(stations.substation, sku_with_keys(1).sku, opened=False)
    after(BRIEF_HOLD.total_seconds() + 1)
    assert deps.gateway.session(placed.session_id).status == "expired"


def test_opening_the_pay_page_holds_the_keys_past_the_brief_hold(stations, sku_with_keys, place, open_pay_page, after, deps):
    stocked = sku_with_keys(3)
    placed = place(stations.substation, stocked.sku, 2, opened=False)
    open_pay_page(placed)
    assert after(BRIEF_HOLD.total_seconds() + 1).get("expired", 0) == 0
    assert stocked.stock().reserved == 2


def test_an_opened_order_lapses_when_the_whole_reservation_from_checkout_ends(
        stations, sku_with_keys, place, open_pay_page, after, deps, clock):
    stocked = sku_with_keys(3)
    placed = place(stations.substation, stocked.sku, 2, opened=False)
    clock.advance(seconds=60)
    open_pay_page(placed)
    assert after(deps.settings.reservation_ttl.total_seconds() - 61).get("expired", 0) == 0
    assert (after(2)["expired"], stocked.stock().available) == (1, 3)


def test_opening_the_pay_page_twice_holds_the_keys_once(stations, sku_with_keys, place, open_pay_page, deps, clock):
    placed = place(stations.substation, sku_with_keys(1).sku, opened=False)
    first = open_pay_page(placed)
    held = deps.store.orders.order(placed.order_id)
    clock.advance(seconds=90)
    second = open_pay_page(placed)
    assert (second.status, second.headers["location"]) == (303, first.headers["location"])
    assert deps.store.orders.order(placed.order_id) == held
    assert held.expires_at == datetime.fromisoformat(placed.body["expires_at"]) - deps.settings.unopened_hold + deps.settings.reservation_ttl


@pytest.mark.parametrize("proof", ["", "0" * 64, "not-the-proof"])
def test_a_wrong_pay_link_is_not_found_and_holds_nothing(stations, sku_with_keys, place, open_pay_page, deps, proof):
    placed = place(stations.substation, sku_with_keys(1).sku, opened=False)
    before = deps.store.orders.order(placed.order_id)
    opened = open_pay_page(placed, proof=proof)
    assert (opened.status, opened.error["code"]) == (404, "not_found")
    assert deps.store.orders.order(placed.order_id) == before


def test_the_order_token_is_not_a_pay_link(stations, sku_with_keys, place, open_pay_page, deps):
    placed = place(stations.substation, sku_with_keys(1).sku, opened=False)
    assert open_pay_page(placed, proof=placed.token).status == 404


def test_one_orders_pay_link_does_not_open_another(stations, sku_with_keys, place, open_pay_page, deps):
    stocked = sku_with_keys(2)
    first = place(stations.substation, stocked.sku, opened=False)
    second = place(stations.substation, stocked.sku, opened=False)
    proof = first.body["pay_url"].split("?t=", 1)[1]
    assert open_pay_page(second, proof=proof).status == 404
    assert deps.store.orders.order(second.order_id).expires_at == datetime.fromisoformat(second.body["expires_at"])


def test_a_lapsed_orders_pay_link_opens_the_order_page(stations, sku_with_keys, place, open_pay_page, after, deps):
    placed = place(stations.substation, sku_with_keys(1).sku, opened=False)
    after(deps.settings.unopened_hold.total_seconds() + 1)
    opened = open_pay_page(placed)
    assert (opened.status, opened.headers["location"]) == (303, placed.body["order_url"].split("#", 1)[0])


def test_a_pay_link_opened_after_the_brief_hold_ran_out_holds_nothing(stations, sku_with_keys, place, open_pay_page, deps, clock):
    # The sweeper may not have come by yet: the reservation lapsed all the same.
    placed = place(stations.substation, sku_with_keys(1).sku, opened=False)
    clock.advance(seconds=deps.settings.unopened_hold.total_seconds())
    opened = open_pay_page(placed)
    assert opened.headers["location"] == placed.body["order_url"].split("#", 1)[0]
    assert deps.store.orders.order(placed.order_id).expires_at == clock()


def test_a_paid_orders_pay_link_opens_the_order_page(stations, sku_with_keys, place, pay, open_pay_page):
    placed = place(stations.substation, sku_with_keys(1).sku)
    pay(placed)
    assert open_pay_page(placed).headers["location"] == placed.body["order_url"].split("#", 1)[0]


def test_a_checkout_form_goes_to_the_pay_step(stations, sku_with_keys, checkout):
    response = checkout(stations.substation, sku_with_keys(1).sku, form=True)
    assert response.status == 303 and urlsplit(response.headers["location"]).path.endswith("/pay")
