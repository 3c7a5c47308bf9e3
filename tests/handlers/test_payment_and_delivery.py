"""Paying on the sandbox pay page delivers the keys to the order page; failure and expiry give them back."""
from __future__ import annotations

import pytest

METHODS = ["card", "alipay", "wechat_pay"]


@pytest.mark.parametrize("method", METHODS)
def test_a_paid_order_is_delivered(stations, sku_with_keys, place, pay, order_view, method):
    placed = place(stations.substation, sku_with_keys(3).sku, 2)
    pay(placed, method)
    assert order_view(placed)["status"] == "delivered"


@pytest.mark.parametrize("method", METHODS)
def test_a_delivered_order_shows_as_many_keys_as_were_bought_from_the_stock(stations, sku_with_keys, place, pay, order_view, method):
    stocked = sku_with_keys(3)
    placed = place(stations.substation, stocked.sku, 2)
    pay(placed, method)
    codes = [k["code"] for k in order_view(placed)["keys"]]
    assert len(codes) == len(set(codes)) == 2 and set(codes) <= set(stocked.codes)


def test_a_delivered_key_shows_its_password(stations, sku_with_keys, place, pay, order_view):
    stocked = sku_with_keys(1, passwords=True)
    placed = place(stations.substation, stocked.sku)
    pay(placed)
    assert [(k["code"], k["password"]) for k in order_view(placed)["keys"]] == [(stocked.codes[0], stocked.passwords[0])]


def test_delivered_keys_are_sold_in_the_stock(stations, sku_with_keys, place, pay):
    stocked = sku_with_keys(3)
    pay(place(stations.substation, stocked.sku, 2))
    counted = stocked.stock()
    assert (counted.available, counted.reserved, counted.sold, counted.imported) == (1, 0, 2, stocked.imported)


def test_the_order_page_shows_what_was_bought_and_charged(stations, sku_with_keys, place, pay, order_view):
    stocked = sku_with_keys(3)
    placed = place(stations.substation, stocked.sku, 2)
    pay(placed)
    view = order_view(placed)
    assert (view["sku"], view["quantity"], view["unit_price"], view["total"], view["currency"], view["station"]) == (
        stocked.sku, 2, stocked.substation_price, stocked.substation_price * 2, "CNY", stations.substation)


def test_a_substation_delivery_books_wholesale_to_the_main_station_and_the_margin_to_the_substation(
        stations, sku_with_keys, place, pay, deps):
    stocked = sku_with_keys(2, wholesale=9500, substation_price=10500)
    placed = place(stations.substation, stocked.sku, 2)
    pay(placed)
    booked = {entry.account: entry.amount for entry in deps.store.orders.ledger(placed.order_id) if entry.account.startswith("station:")}
    assert booked == {f"station:{stations.main}": 9500 * 2, f"station:{stations.substation}": (10500 - 9500) * 2}


def test_a_deliverys_ledger_balances_to_zero(stations, sku_with_keys, place, pay, deps):
    placed = place(stations.substation, sku_with_keys(2).sku, 2)
    pay(placed)
    entries = deps.store.orders.ledger(placed.order_id)
    assert entries and sum(entry.amount for entry in entries) == 0


def test_an_alipay_payment_is_delivered_once_although_two_success_events_arrive(stations, sku_with_keys, place, pay, deps,
                                                                               webhook_deliveries):
    stocked = sku_with_keys(3)
    placed = place(stations.substation, stocked.sku)
    pay(placed, "alipay")
    accounts = [entry.account for entry in deps.store.orders.ledger(placed.order_id)]
    assert len(webhook_deliveries) == 2 and stocked.stock().sold == 1 and len(accounts) == len(set(accounts))


def test_a_failed_payment_returns_the_keys_to_stock(stations, sku_with_keys, place, deps):
    stocked = sku_with_keys(3)
    placed = place(stations.substation, stocked.sku, 2)
    deps.gateway.fail(placed.session_id, "alipay")
    assert (stocked.stock().available, stocked.stock().reserved) == (3, 0)


def test_a_failed_payment_shows_as_failed_without_keys(stations, sku_with_keys, place, deps, order_view):
    placed = place(stations.substation, sku_with_keys(1).sku)
    deps.gateway.fail(placed.session_id, "wechat_pay")
    view = order_view(placed)
    assert (view["status"], view["keys"]) == ("failed", [])


def test_an_expired_session_returns_the_keys_to_stock(stations, sku_with_keys, place, deps):
    stocked = sku_with_keys(2)
    placed = place(stations.substation, stocked.sku, 2)
    deps.gateway.expire_session(placed.session_id)
    assert (stocked.stock().available, deps.store.orders.order(placed.order_id).status) == (2, "expired")


def test_an_expired_sessions_keys_can_be_bought_by_the_next_shopper(stations, sku_with_keys, place, pay, deps, order_view):
    stocked = sku_with_keys(1)
    deps.gateway.expire_session(place(stations.substation, stocked.sku).session_id)
    after = place(stations.substation, stocked.sku, email="second@example.com")
    pay(after)
    assert [k["code"] for k in order_view(after)["keys"]] == stocked.codes


def test_paying_twice_on_the_pay_page_charges_once(stations, sku_with_keys, place, pay, webhook_deliveries):
    stocked = sku_with_keys(3)
    placed = place(stations.substation, stocked.sku)
    pay(placed)
    assert pay(placed) is None and len(webhook_deliveries) == 1 and stocked.stock().sold == 1


def test_the_stock_badge_counts_reserved_keys_as_gone(stations, sku_with_keys, place, stock_of):
    stocked = sku_with_keys(5, low_stock=3)
    place(stations.substation, stocked.sku, 3)
    assert stock_of(stations.substation).json["skus"][stocked.sku] == {"level": "low", "available": 2}


def test_the_stock_badge_says_sold_out_when_no_key_is_left(stations, sku_with_keys, place, pay, stock_of):
    stocked = sku_with_keys(1)
    pay(place(stations.substation, stocked.sku))
    assert stock_of(stations.substation).json["skus"][stocked.sku]["level"] == "sold_out"
