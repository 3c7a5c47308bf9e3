"""Stripe-signed webhook payloads, checked with the gateway's signing secret before being read."""
import time

import pytest

from kameng.domain.errors import InvalidSignature
from kameng.domain.order import PaymentKind
from kameng.ports.outside import Notification

from .conftest import ORDER, WEBHOOK_SECRET

def verify(gateway, body: bytes, signature: str | None):
    """The gateway reads a notification as the webhook route hands it over: the raw body and its headers."""
    return gateway.verify_event(Notification(body, {} if signature is None else {"stripe-signature": signature}))


SESSION = "cs_test_a1Kq7XbN0mZ4pR8sT2vW6yA9cE3gH5jL7nP1rT3vX5zB7dF9hJ"


@pytest.fixture
def signed(events):
    def payload(name: str):
        event = events.stripe(name, order_id=ORDER, amount=10500, session_id=SESSION)
        body = events.encode(event)
        return event, body

    return payload


def test_a_signed_event_is_read_through_the_shared_stripe_event_reader(gateway, signed, events):
    # Every event kind is covered once, in tests/unit/test_stripe_events.py; here: the gateway uses that reader.
    raw, body = signed("stripe_checkout_session_async_payment_succeeded")
    event = verify(gateway, body, events.sign(body, WEBHOOK_SECRET))
    assert (event.id, event.kind, event.paid) == (raw["id"], PaymentKind.ASYNC_SUCCEEDED, True)
    assert (event.order_id, event.session_id, event.amount, event.currency) == (ORDER, SESSION, 10500, "CNY")


def test_a_paid_event_carries_the_payment_intent_for_a_refund(gateway, signed, events):
    raw, body = signed("stripe_checkout_session_completed_paid")
    event = verify(gateway, body, events.sign(body, WEBHOOK_SECRET))
    assert event.payment_ref == raw["data"]["object"]["payment_intent"]


def test_the_two_success_events_of_one_async_payment_are_two_events_for_one_order(gateway, signed, events):
    _, first = signed("stripe_checkout_session_completed_unpaid")
    _, second = signed("stripe_checkout_session_async_payment_succeeded")
    a = verify(gateway, first, events.sign(first, WEBHOOK_SECRET))
    b = verify(gateway, second, events.sign(second, WEBHOOK_SECRET))
    assert a.id != b.id and a.order_id == b.order_id == ORDER
    assert (a.paid, b.paid) == (False, True)


def test_a_signature_made_with_another_secret_is_refused(gateway, signed, events):
    _, body = signed("stripe_checkout_session_completed_paid")
    with pytest.raises(InvalidSignature):
        verify(gateway, body, events.sign(body, "whsec_" + "8" * 48))


def test_a_body_changed_after_signing_is_refused(gateway, signed, events):
    _, body = signed("stripe_checkout_session_completed_paid")
    signature = events.sign(body, WEBHOOK_SECRET)
    with pytest.raises(InvalidSignature):
        verify(gateway, body.replace(b"10500", b"1"), signature)


def test_a_signature_older_than_five_minutes_is_a_replay(gateway, signed, events):
    _, body = signed("stripe_checkout_session_completed_paid")
    with pytest.raises(InvalidSignature):
        verify(gateway, body, events.sign(body, WEBHOOK_SECRET, int(time.time()) - 301))


def test_a_signature_four_minutes_old_is_still_good(gateway, signed, events):
    _, body = signed("stripe_checkout_session_completed_paid")
    assert verify(gateway, body, events.sign(body, WEBHOOK_SECRET, int(time.time()) - 240)).paid


@pytest.mark.parametrize("header", [None, "", "t=1772438460", "garbage"])
def test_a_missing_or_malformed_signature_header_is_refused(gateway, signed, header):
    _, body = signed("stripe_checkout_session_completed_paid")
    with pytest.raises(InvalidSignature):
        verify(gateway, body, header)


def test_verifying_needs_no_stripe_api_call(api, gateway, signed, events):
    _, body = signed("stripe_checkout_session_completed_paid")
    verify(gateway, body, events.sign(body, WEBHOOK_SECRET))
    assert api.sent == []
