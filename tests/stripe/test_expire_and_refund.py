"""Expiring a session when its reservation lapses; refunding a payment whose keys are gone."""
import pytest
import stripe

from .conftest import ORDER, recorded

SESSION = recorded("checkout_session_open")["id"]
DESTINATION_PI = recorded("payment_intent_destination")["id"]
DIRECT_PI = recorded("payment_intent_direct")["id"]


# ---------------------------------------------------------------- expire


def test_expire_posts_to_the_sessions_expire_endpoint(api, gateway):
    api.answer("checkout_session_expired")
    assert gateway.expire_session(SESSION) is None
    assert (api.last.method, api.last.path) == ("post", f"/v1/checkout/sessions/{SESSION}/expire")
    assert api.last.form == {}


@pytest.mark.parametrize("finished", ["checkout_session_complete", "checkout_session_expired"])
def test_a_session_already_finished_is_left_alone_without_an_error(api, gateway, finished):
    api.answer("error_session_not_open", status=400).answer(finished)
    gateway.expire_session(SESSION)
    expire, look = api.sent
    assert (look.method, look.path) == ("get", f"/v1/checkout/sessions/{SESSION}")


def test_a_refusal_for_a_session_that_is_still_open_is_an_error(api, gateway):
    api.answer("error_session_not_open", status=400).answer("checkout_session_open")
    with pytest.raises(stripe.InvalidRequestError):
        gateway.expire_session(SESSION)


def test_an_unknown_session_is_an_error(api, gateway):
    api.answer("error_no_such_session", status=404).answer("error_no_such_session", status=404)
    with pytest.raises(stripe.InvalidRequestError, match="No such checkout.session"):
        gateway.expire_session("cs_test_missing")


def test_an_outage_while_expiring_raises_for_the_sweeper_to_log(api, gateway):
    for _ in range(3):
        api.answer("error_api", status=500)
    with pytest.raises(stripe.APIError):
        gateway.expire_session(SESSION)


# ---------------------------------------------------------------- refund


def test_a_refund_of_a_destination_charge_reverses_the_transfer_and_the_fee(api, gateway):
    api.answer("payment_intent_destination").answer("refund")
    refund_id = gateway.refund(DESTINATION_PI, 10500, ORDER)
    assert refund_id == recorded("refund")["id"]
    look, sent = api.sent
    assert (look.method, look.path) == ("get", f"/v1/payment_intents/{DESTINATION_PI}")
    assert (sent.method, sent.path) == ("post", "/v1/refunds")
    assert sent.form == {
        "payment_intent": DESTINATION_PI, "amount": "10500", "metadata[order_id]": ORDER,
        "reverse_transfer": "true", "refund_application_fee": "true",
    }
    assert sent.headers["Idempotency-Key"] == f"refund-{ORDER}-10500"


def test_a_refund_of_a_platform_charge_has_nothing_to_reverse(api, gateway):
    api.answer("payment_intent_direct").answer("refund")
    gateway.refund(DIRECT_PI, 10200, ORDER)
    assert api.last.form == {"payment_intent": DIRECT_PI, "amount": "10200", "metadata[order_id]": ORDER}


def test_a_full_refund_sends_no_amount_and_says_full_in_its_key(api, gateway):
    api.answer("payment_intent_destination").answer("refund")
    gateway.refund(DESTINATION_PI, None, ORDER)
    assert "amount" not in api.last.form
    assert api.last.headers["Idempotency-Key"] == f"refund-{ORDER}-full"


def test_a_refund_retried_after_a_lost_answer_reuses_its_key(api, gateway):
    api.answer("payment_intent_direct").answer("error_api", status=500).answer("refund")
    gateway.refund(DIRECT_PI, 10200, ORDER)
    _, first, second = api.sent
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"] == f"refund-{ORDER}-10200"


@pytest.mark.parametrize("amount", [0, -5])
def test_a_refund_of_nothing_is_refused_before_anything_is_sent(api, gateway, amount):
    with pytest.raises(ValueError):
        gateway.refund(DIRECT_PI, amount, ORDER)
    assert api.sent == []
