"""What create_session sends to Stripe, read off the wire."""
from datetime import timedelta

import pytest
import stripe

from kameng.adapters.gateway_stripe import StripeGateway
from kameng.ports.outside import PaymentSession

from .conftest import API_KEY, NOW, ORDER, WEBHOOK_SECRET, RecordingClient, recorded, session_request

THIRTY_MINUTES = 30 * 60


@pytest.fixture
def opened(api, gateway):
    """Open a session for `request` and return what was sent."""

    def open_session(request=None, gateway_=None):
        api.answer("checkout_session_open")
        session = (gateway_ or gateway).create_session(request or session_request())
        return session, api.last

    return open_session


def test_it_posts_one_checkout_session_and_returns_its_id_and_url(opened):
    session, sent = opened()
    answer = recorded("checkout_session_open")
    assert session == PaymentSession(id=answer["id"], url=answer["url"])
    assert (sent.method, sent.url) == ("post", "https://api.stripe.com/v1/checkout/sessions")
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_one_line_item_priced_from_the_order_in_lower_case_currency(opened):
    _, sent = opened(session_request(quantity=3, unit_price=10200, total=30600, title="Steam 钱包充值卡 100 元"))
    form = sent.form
    assert form["mode"] == "payment"
    assert form["line_items[0][price_data][currency]"] == "cny"
    assert form["line_items[0][price_data][unit_amount]"] == "10200"
    assert form["line_items[0][price_data][product_data][name]"] == "Steam 钱包充值卡 100 元"
    assert form["line_items[0][quantity]"] == "3"
    assert not any(key.startswith("line_items[1]") for key in form)


def test_card_alipay_and_wechat_pay_with_the_web_client_wechat_pay_requires(opened):
    _, sent = opened()
    form = sent.form
    assert [form[f"payment_method_types[{i}]"] for i in range(3)] == ["card", "alipay", "wechat_pay"]
    assert form["payment_method_options[wechat_pay][client]"] == "web"


def test_without_wechat_pay_no_wechat_options_are_sent(api, opened):
    card_only = StripeGateway(API_KEY, WEBHOOK_SECRET, http_client=api, methods=("card",), clock=lambda: NOW)
    _, sent = opened(gateway_=card_only)
    assert sent.form["payment_method_types[0]"] == "card"
    assert "payment_method_types[1]" not in sent.form
    assert not any(key.startswith("payment_method_options") for key in sent.form)


def test_an_unknown_payment_method_is_refused_at_construction(api):
    with pytest.raises(ValueError, match="payment methods"):
        StripeGateway(API_KEY, WEBHOOK_SECRET, http_client=api, methods=("card", "paypal"))


def test_the_order_is_named_by_reference_and_metadata_on_the_session_and_its_payment(opened):
    _, sent = opened()
    form = sent.form
    assert form["client_reference_id"] == ORDER
    assert form["customer_email"] == "buyer@example.com"
    assert (form["metadata[order_id]"], form["metadata[station]"]) == (ORDER, "game-zone")
    assert form["payment_intent_data[metadata][order_id]"] == ORDER
    assert form["payment_intent_data[metadata][station]"] == "game-zone"
    assert form["locale"] == "auto"


def test_success_and_cancel_urls_are_sent_as_given(opened):
    request = session_request()
    _, sent = opened(request)
    assert sent.form["success_url"] == request.success_url
    assert sent.form["cancel_url"] == request.cancel_url


def test_a_reservation_shorter_than_stripes_minimum_gets_a_session_of_at_least_30_minutes(opened):
    _, sent = opened(session_request(expires_at=NOW + timedelta(minutes=15)))
    expires_at = int(sent.form["expires_at"])
    assert expires_at >= NOW.timestamp() + THIRTY_MINUTES + 60  # with a margin for clocks and flight time
    assert expires_at <= NOW.timestamp() + THIRTY_MINUTES + 10 * 60


def test_a_longer_reservation_keeps_its_own_expiry(opened):
    wanted = NOW + timedelta(hours=2)
    _, sent = opened(session_request(expires_at=wanted))
    assert int(sent.form["expires_at"]) == int(wanted.timestamp())


def test_a_reservation_beyond_stripes_24_hours_is_cut_to_what_stripe_accepts(opened):
    _, sent = opened(session_request(expires_at=NOW + timedelta(hours=24)))
    assert NOW.timestamp() + 23 * 3600 < int(sent.form["expires_at"]) < NOW.timestamp() + 24 * 3600


def test_two_tries_for_one_order_seconds_apart_send_the_same_expiry(api):
    """Stripe answers a reused idempotency key with other parameters by an error, not the first session."""
    sent = []
    for seconds in (0, 20):
        later = StripeGateway(API_KEY, WEBHOOK_SECRET, http_client=api, clock=lambda s=seconds: NOW + timedelta(seconds=s))
        api.answer("checkout_session_open")
        later.create_session(session_request())
        sent.append(api.last)
    assert sent[0].form == sent[1].form
    assert sent[0].headers["Idempotency-Key"] == sent[1].headers["Idempotency-Key"]


def test_the_idempotency_key_is_derived_from_the_order(opened):
    _, sent = opened()
    assert sent.headers["Idempotency-Key"] == f"checkout-{ORDER}"


def test_a_failed_try_is_retried_with_the_same_idempotency_key(api, gateway):
    api.answer("error_api", status=500).answer("checkout_session_open")
    gateway.create_session(session_request())
    first, second = api.sent
    assert first.body == second.body
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"] == f"checkout-{ORDER}"


def test_without_a_payout_account_nothing_is_split(opened):
    _, sent = opened(session_request(payout_account=None, application_fee=0))
    assert not any("application_fee" in key or "transfer_data" in key for key in sent.form)


def test_with_a_payout_account_it_is_a_destination_charge_with_the_platforms_fee(opened):
    _, sent = opened(session_request(payout_account="acct_1QwGameZoneStation", application_fee=9553))
    form = sent.form
    assert form["payment_intent_data[transfer_data][destination]"] == "acct_1QwGameZoneStation"
    assert form["payment_intent_data[application_fee_amount]"] == "9553"
    assert "payment_intent_data[on_behalf_of]" not in form


def test_a_discounted_order_is_one_line_for_exactly_its_total_naming_quantity_and_discount(opened):
    # 3 × 102.00 less a member discount and a coupon of 25.03 in all: 280.97, which 3 does not divide.
    _, sent = opened(session_request(quantity=3, unit_price=10200, total=28097, discount=2503, title="Steam 100 元"))
    form = sent.form
    assert (form["line_items[0][price_data][unit_amount]"], form["line_items[0][quantity]"]) == ("28097", "1")
    assert form["line_items[0][price_data][product_data][name]"] == "Steam 100 元 × 3"
    assert form["line_items[0][price_data][product_data][description]"] == "3 × ¥102.00 − ¥25.03"
    assert not any(key.startswith("line_items[1]") for key in form)


def test_a_total_that_is_not_quantity_times_price_is_refused_before_anything_is_sent(api, gateway):
    with pytest.raises(ValueError, match="total"):
        gateway.create_session(session_request(quantity=2, unit_price=10500, total=10500))
    with pytest.raises(ValueError, match="total"):
        gateway.create_session(session_request(quantity=2, unit_price=10500, total=20000, discount=500))
    assert api.sent == []


def test_a_stripe_error_propagates_as_a_stripe_error_and_is_not_retried(api, gateway):
    api.answer("error_payment_method_not_activated", status=400)
    with pytest.raises(stripe.StripeError) as raised:
        gateway.create_session(session_request())
    assert isinstance(raised.value, stripe.InvalidRequestError)
    assert raised.value.param == "payment_method_types"
    assert len(api.sent) == 1


def test_an_outage_propagates_after_the_librarys_retries(api, gateway):
    for _ in range(3):
        api.answer("error_api", status=500)
    with pytest.raises(stripe.APIError):
        gateway.create_session(session_request())
    assert len(api.sent) == 3
    assert {s.headers["Idempotency-Key"] for s in api.sent} == {f"checkout-{ORDER}"}


def test_construction_needs_no_network_and_builds_its_own_http_client():
    # the autouse guard would turn any connection into an error
    gateway = StripeGateway(API_KEY, WEBHOOK_SECRET)
    assert isinstance(gateway._client._requestor._client, stripe.RequestsClient)


def test_the_injected_client_is_the_one_used(api, gateway):
    assert gateway._client._requestor._client is api
    assert isinstance(api, RecordingClient)
