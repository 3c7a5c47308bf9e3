"""The API key goes to Stripe in the Authorization header and nowhere else: not a log line, not a repr."""
import logging

import pytest
import stripe

from .conftest import API_KEY, WEBHOOK_SECRET, session_request

SESSION = "cs_test_a1Kq7XbN0mZ4pR8sT2vW6yA9cE3gH5jL7nP1rT3vX5zB7dF9hJ"


def test_every_request_is_authorised_with_the_key(api, gateway):
    api.answer("checkout_session_open").answer("checkout_session_expired")
    gateway.create_session(session_request())
    gateway.expire_session(SESSION)
    assert [s.headers["Authorization"] for s in api.sent] == [f"Bearer {API_KEY}"] * 2
    assert all(API_KEY not in s.url and API_KEY not in (s.body or "") for s in api.sent)


@pytest.fixture
def loud_stripe_logs(monkeypatch, caplog):
    """The library at its most talkative: its logger at DEBUG and its own console echo on."""
    monkeypatch.setattr(stripe, "log", "debug")
    caplog.set_level(logging.DEBUG)
    return caplog


def test_the_key_is_in_no_log_line_even_at_debug(api, gateway, loud_stripe_logs, capsys):
    api.answer("checkout_session_open").answer("error_session_not_open", status=400).answer("checkout_session_complete")
    api.answer("payment_intent_destination").answer("refund")
    gateway.create_session(session_request())
    gateway.expire_session(SESSION)
    gateway.refund("pi_3QwErTyUiOpAsDfG1hJkLzXd", None, "01JNM8Z4Y6T3K2Q9W7E5R1V0XB")
    logged = loud_stripe_logs.text + "".join(
        f"{r.__dict__}" for r in loud_stripe_logs.records) + "".join(capsys.readouterr())
    assert "Request to Stripe api" in logged  # the library did log, at debug
    assert API_KEY not in logged
    assert API_KEY[-12:] not in logged
    assert WEBHOOK_SECRET not in logged


def test_the_key_is_not_in_an_error_from_stripe(api, gateway):
    api.answer("error_payment_method_not_activated", status=400)
    with pytest.raises(stripe.StripeError) as raised:
        gateway.create_session(session_request())
    assert API_KEY not in str(raised.value) and API_KEY not in repr(raised.value)


def test_the_gateway_shows_neither_secret(gateway):
    for shown in (repr(gateway), str(gateway), f"{gateway!r}"):
        assert API_KEY not in shown and WEBHOOK_SECRET not in shown
