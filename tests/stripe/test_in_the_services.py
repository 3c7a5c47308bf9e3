"""The Stripe gateway plugged into the real checkout and sweeper services, Stripe answering from recordings."""
import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest

from kameng.adapters.gateway_stripe import StripeGateway
from kameng.domain.errors import GatewayUnavailable
from kameng.domain.order import OrderStatus
from kameng.services import checkout, sweeper
from kameng.services.pay_step import open_pay_page

from .conftest import API_KEY, WEBHOOK_SECRET, recorded

PAYOUT = "acct_1QwGameZoneStation"


@pytest.fixture
def stripe_deps(deps, clock, api):
    gateway = StripeGateway(API_KEY, WEBHOOK_SECRET, http_client=api, clock=clock)
    return dataclasses.replace(deps, gateway=gateway)


def pay_out(deps, station):
    """The station is paid out through its own connected account, the platform keeping 5 %
    (after stocking: publishing a SKU rewrites the book)."""
    book = deps.store.price_books.price_book(station)
    deps.store.price_books.put_price_book(book.model_copy(update={"payout_account": PAYOUT, "platform_fee_percent": Decimal(5)}))
    return deps.store.price_books.price_book(station)


def place(deps, station, sku, quantity=1):
    return checkout.place(checkout.CheckoutRequest(
        station=station, sku=sku, quantity=quantity, email="buyer@example.com", query_password="8866-qp"), deps)


def test_a_substation_order_opens_a_destination_charge_session_priced_by_the_book(
        api, stripe_deps, stations, sku_with_keys, clock):
    stocked = sku_with_keys(3)
    book = pay_out(stripe_deps, stations.substation)
    api.answer("checkout_session_open")
    placed = place(stripe_deps, stations.substation, stocked.sku, 2)
    order = placed.order
    form = api.last.form
    assert api.last.headers["Idempotency-Key"] == f"checkout-{order.id}"
    assert (form["line_items[0][price_data][unit_amount]"], form["line_items[0][quantity]"]) == (str(stocked.substation_price), "2")
    assert form["line_items[0][price_data][currency]"] == "cny"
    assert form["payment_intent_data[transfer_data][destination]"] == PAYOUT
    fee = order.wholesale_total + int(Decimal(order.total) * 5 / 100 + Decimal("0.5"))  # 5%, half up
    assert form["payment_intent_data[application_fee_amount]"] == str(fee) == str(order.application_fee)
    assert (form["client_reference_id"], form["metadata[order_id]"]) == (order.id, order.id)
    assert form["success_url"] == placed.order_url.split("#")[0]
    assert placed.token not in form["success_url"]
    # the 3-minute hold (15 once the pay page is opened) lapses first; Stripe's session lives its 30 minutes and more
    assert order.expires_at == clock() + timedelta(minutes=3)
    assert int(form["expires_at"]) >= (clock() + timedelta(minutes=31)).timestamp()
    kept = stripe_deps.store.orders.order(order.id)
    assert (kept.payment_session, kept.payment_url) == (recorded("checkout_session_open")["id"], recorded("checkout_session_open")["url"])
    assert open_pay_page(order.id, placed.pay_url.split("?t=", 1)[1], stripe_deps) == recorded("checkout_session_open")["url"]


def test_a_main_station_order_is_not_split(api, stripe_deps, stations, sku_with_keys):
    stocked = sku_with_keys(1)
    api.answer("checkout_session_open")
    place(stripe_deps, stations.main, stocked.sku)
    assert not any("transfer_data" in key or "application_fee" in key for key in api.last.form)


def test_a_stripe_refusal_becomes_gateway_unavailable_and_the_keys_go_back(api, stripe_deps, stations, sku_with_keys):
    stocked = sku_with_keys(2)
    api.answer("error_payment_method_not_activated", status=400)
    with pytest.raises(GatewayUnavailable):
        place(stripe_deps, stations.substation, stocked.sku, 2)
    assert (stocked.stock().available, stocked.stock().reserved) == (2, 0)


def test_the_sweeper_expires_the_session_of_a_lapsed_reservation(api, stripe_deps, stations, sku_with_keys, clock):
    stocked = sku_with_keys(1)
    api.answer("checkout_session_open")
    order = place(stripe_deps, stations.substation, stocked.sku).order
    clock.advance(minutes=16)
    api.answer("checkout_session_open").answer("checkout_session_expired")
    assert sweeper.sweep(stripe_deps)["expired"] == 1
    assert api.last.path == f"/v1/checkout/sessions/{recorded('checkout_session_open')['id']}/expire"
    assert stripe_deps.store.orders.order(order.id).status is OrderStatus.EXPIRED
    assert stocked.stock().available == 1


def test_a_session_paid_between_the_sweepers_question_and_the_expiry_is_left_alone_quietly(
        api, stripe_deps, stations, sku_with_keys, clock, caplog):
    stocked = sku_with_keys(1)
    api.answer("checkout_session_open")
    place(stripe_deps, stations.substation, stocked.sku)
    clock.advance(minutes=16)
    # Still open when asked, complete by the time it is expired: its webhook brings the payment.
    api.answer("checkout_session_open").answer("error_session_not_open", status=400).answer("checkout_session_complete")
    assert sweeper.sweep(stripe_deps)["expired"] == 1
    assert "could not expire the payment session" not in caplog.text
