"""Before an order lapses the sweeper asks Stripe about its Checkout Session, Stripe answering from recordings."""
import dataclasses
import json

import pytest

from kameng import wiring
from kameng.adapters.gateway_stripe import StripeGateway
from kameng.domain.order import OrderStatus
from kameng.handlers import webhook
from kameng.services import checkout, sweeper

from .conftest import API_KEY, WEBHOOK_SECRET, recorded

SESSION = recorded("checkout_session_open")["id"]
PAID_INTENT = recorded("checkout_session_complete")["payment_intent"]


@pytest.fixture
def stripe_deps(deps, clock, api):
    """The shop on Stripe: the services and the webhook function alike."""
    chosen = dataclasses.replace(deps, gateway=StripeGateway(API_KEY, WEBHOOK_SECRET, http_client=api, clock=clock))
    wiring.use(chosen)
    return chosen


@pytest.fixture
def lapsed_order(api, stripe_deps, stations, sku_with_keys, clock):
    """An order placed on Stripe whose reservation has just run out: (order, stocked SKU)."""
    stocked = sku_with_keys(2)
    api.answer("checkout_session_open")
    order = checkout.place(checkout.CheckoutRequest(
        station=stations.substation, sku=stocked.sku, quantity=1, email="buyer@example.com",
        query_password="8866-qp"), stripe_deps).order
    clock.advance(minutes=16)
    return order, stocked


def answer_session(api, name: str, order, **changes) -> None:
    """Stripe answers with the recorded session, made out for this order."""
    session = recorded(name)
    session["metadata"]["order_id"] = session["client_reference_id"] = order.id
    session["amount_total"] = session["amount_subtotal"] = order.total
    session.update(changes)
    api.answers.append((200, json.dumps(session)))


def test_a_paid_session_whose_webhook_never_came_is_delivered_by_the_sweeper(api, stripe_deps, lapsed_order):
    order, stocked = lapsed_order
    answer_session(api, "checkout_session_complete", order)
    done = sweeper.sweep(stripe_deps)
    delivered = stripe_deps.store.orders.order(order.id)
    assert (done, delivered.status, delivered.payment_ref, stocked.stock().sold) == (
        {"recovered": 1, "delivered": 1}, OrderStatus.DELIVERED, PAID_INTENT, 1)


def test_the_sweeper_asks_by_retrieving_the_session_and_expires_nothing_it_found_paid(api, stripe_deps, lapsed_order):
    order, _ = lapsed_order
    answer_session(api, "checkout_session_complete", order)
    sweeper.sweep(stripe_deps)
    _, asked = api.sent
    assert (asked.method, asked.path, asked.body) == ("get", f"/v1/checkout/sessions/{SESSION}", None)


def test_the_webhook_arriving_after_the_sweeper_applied_the_payment_changes_nothing(
        api, stripe_deps, lapsed_order, events):
    order, stocked = lapsed_order
    answer_session(api, "checkout_session_complete", order)
    sweeper.sweep(stripe_deps)
    before = stripe_deps.store.orders.order(order.id), stocked.stock(), stripe_deps.store.orders.ledger(order.id)
    payload = events.encode(events.stripe("stripe_checkout_session_completed_paid", order_id=order.id,
                                          amount=order.total, session_id=SESSION))
    response = webhook.handler(events.webhook(payload, events.sign(payload, WEBHOOK_SECRET)))
    assert (response["statusCode"], json.loads(response["body"])["outcome"]) == (200, "ignored")
    assert (stripe_deps.store.orders.order(order.id), stocked.stock(), stripe_deps.store.orders.ledger(order.id)) == before


def test_an_open_session_is_lapsed_and_expired_as_before(api, stripe_deps, lapsed_order):
    order, stocked = lapsed_order
    answer_session(api, "checkout_session_open", order)
    api.answer("checkout_session_expired")
    done = sweeper.sweep(stripe_deps)
    assert (done, stripe_deps.store.orders.order(order.id).status, stocked.stock().available) == (
        {"expired": 1}, OrderStatus.EXPIRED, 2)
    assert [(sent.method, sent.path) for sent in api.sent[1:]] == [
        ("get", f"/v1/checkout/sessions/{SESSION}"), ("post", f"/v1/checkout/sessions/{SESSION}/expire")]


def test_a_delayed_payment_still_processing_lapses_and_its_success_later_is_delivered_from_stock(
        api, stripe_deps, lapsed_order, events):
    order, stocked = lapsed_order
    answer_session(api, "checkout_session_complete", order, payment_status="unpaid", payment_intent=None)
    api.answer("error_session_not_open", status=400).answer("checkout_session_complete")
    assert sweeper.sweep(stripe_deps) == {"expired": 1}
    payload = events.encode(events.stripe("stripe_checkout_session_async_payment_succeeded", order_id=order.id,
                                          amount=order.total, session_id=SESSION))
    webhook.handler(events.webhook(payload, events.sign(payload, WEBHOOK_SECRET)))
    assert (stripe_deps.store.orders.order(order.id).status, stocked.stock().sold) == (OrderStatus.DELIVERED, 1)


def test_an_order_stripe_cannot_be_asked_about_lapses_as_before(api, stripe_deps, lapsed_order):
    order, _ = lapsed_order
    for _ in range(3):  # the request and the library's two retries
        api.answer("error_api", status=500)
    api.answer("checkout_session_expired")
    assert (sweeper.sweep(stripe_deps), stripe_deps.store.orders.order(order.id).status) == (
        {"expired": 1}, OrderStatus.EXPIRED)


def test_the_payment_read_from_a_session_is_the_one_its_completion_webhook_brings(api, gateway):
    api.answer("checkout_session_complete")
    found = gateway.session_payment(SESSION)
    complete = recorded("checkout_session_complete")
    assert (found.order_id, found.session_id, found.paid, found.amount, found.currency, found.payment_ref) == (
        complete["metadata"]["order_id"], SESSION, True, complete["amount_total"], "CNY", PAID_INTENT)


@pytest.mark.parametrize("name", ["checkout_session_open", "checkout_session_expired"])
def test_a_session_that_took_no_money_reads_as_none(api, gateway, name):
    api.answer(name)
    assert gateway.session_payment(SESSION) is None
