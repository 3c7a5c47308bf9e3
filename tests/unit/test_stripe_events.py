"""Recorded Stripe events read into payment events, once their signature checks out."""
import time

import pytest
import stripe

from kameng.adapters.stripe_events import TOLERANCE_SECONDS, signature_valid, verify
from kameng.domain.errors import InvalidRequest, InvalidSignature
from kameng.domain.order import PaymentKind

SECRET = "whsec_" + "5" * 48
ORDER = "01JNM8Z4Y6T3K2Q9W7E5R1V0XB"


@pytest.fixture
def read(events):
    def read_event(name: str, **changes):
        event = events.stripe(name, order_id=ORDER, amount=21000, session_id="cs_test_abc")
        for key, value in changes.items():
            event["data"]["object"][key] = value
        payload = events.encode(event)
        return event, verify(payload, events.sign(payload, SECRET), SECRET)

    return read_event


@pytest.mark.parametrize(
    ("name", "kind", "paid"),
    [("stripe_checkout_session_completed_paid", PaymentKind.COMPLETED, True),
     ("stripe_checkout_session_completed_unpaid", PaymentKind.COMPLETED, False),
     ("stripe_checkout_session_async_payment_succeeded", PaymentKind.ASYNC_SUCCEEDED, True),
     ("stripe_checkout_session_async_payment_failed", PaymentKind.ASYNC_FAILED, False),
     ("stripe_checkout_session_expired", PaymentKind.EXPIRED, False)],
)
def test_each_recorded_event_reads_as_its_kind_and_payment_status(read, name, kind, paid):
    _, event = read(name)
    assert (event.kind, event.paid) == (kind, paid)


def test_an_event_names_its_order_session_amount_and_currency(read):
    raw, event = read("stripe_checkout_session_completed_paid")
    assert (event.id, event.order_id, event.session_id, event.amount, event.currency) == (
        raw["id"], ORDER, "cs_test_abc", 21000, "CNY")


def test_the_payment_intent_is_the_payment_reference(read):
    raw, event = read("stripe_checkout_session_completed_paid")
    assert event.payment_ref == raw["data"]["object"]["payment_intent"]


def test_an_expired_session_has_no_payment_reference(read):
    _, event = read("stripe_checkout_session_expired")
    assert event.payment_ref is None


def test_the_order_is_found_by_client_reference_when_metadata_lacks_it(read):
    _, event = read("stripe_checkout_session_completed_paid", metadata={})
    assert event.order_id == ORDER


def test_a_missing_amount_reads_as_none_not_zero(read):
    _, event = read("stripe_checkout_session_completed_paid", amount_total=None)
    assert event.amount is None


def test_an_event_type_the_shop_does_not_use_reads_as_other(events):
    event = events.stripe("stripe_checkout_session_completed_paid", order_id=ORDER, amount=1)
    event["type"] = "charge.refunded"
    payload = events.encode(event)
    assert verify(payload, events.sign(payload, SECRET), SECRET).kind is PaymentKind.OTHER


@pytest.mark.parametrize("age", [301, 3600])
def test_an_event_signed_too_long_ago_is_refused(events, age):
    payload = events.encode(events.stripe("stripe_checkout_session_completed_paid", order_id=ORDER, amount=1))
    with pytest.raises(InvalidSignature):
        verify(payload, events.sign(payload, SECRET, int(time.time()) - age), SECRET)


def test_an_event_signed_with_another_secret_is_refused(events):
    payload = events.encode(events.stripe("stripe_checkout_session_completed_paid", order_id=ORDER, amount=1))
    with pytest.raises(InvalidSignature):
        verify(payload, events.sign(payload, "whsec_" + "6" * 48), SECRET)


@pytest.fixture
def read_refund(events):
    def read_event(name: str, event_type: str | None = None, **changes):
        event = events.load(name)
        event["type"] = event_type or event["type"]
        event["data"]["object"].update(changes)
        payload = events.encode(event)
        return event, verify(payload, events.sign(payload, SECRET), SECRET)

    return read_event


@pytest.mark.parametrize(
    ("name", "event_type", "status", "kind"),
    [("stripe_refund_failed", "refund.failed", "failed", PaymentKind.REFUND_FAILED),
     ("stripe_refund_failed", "refund.updated", "failed", PaymentKind.REFUND_FAILED),
     ("stripe_refund_failed", "refund.updated", "canceled", PaymentKind.REFUND_FAILED),
     ("stripe_refund_failed", "charge.refund.updated", "failed", PaymentKind.REFUND_FAILED),
     ("stripe_refund_updated_succeeded", "refund.updated", "succeeded", PaymentKind.REFUND_UPDATED),
     ("stripe_refund_updated_succeeded", "refund.updated", "pending", PaymentKind.REFUND_UPDATED),
     ("stripe_refund_updated_succeeded", "refund.updated", "requires_action", PaymentKind.REFUND_UPDATED)],
)
def test_a_refund_event_reads_as_failed_only_when_no_money_went_back(read_refund, name, event_type, status, kind):
    _, event = read_refund(name, event_type, status=status)
    assert (event.kind, event.refund_status) == (kind, status)


def test_a_refund_event_names_its_order_refund_payment_and_reason(read_refund):
    raw, event = read_refund("stripe_refund_failed")
    refund = raw["data"]["object"]
    assert (event.id, event.order_id, event.refund_id, event.payment_ref, event.amount, event.currency) == (
        raw["id"], refund["metadata"]["order_id"], refund["id"], refund["payment_intent"], refund["amount"], "CNY")
    assert (event.refund_failure, event.paid, event.session_id) == ("declined", False, None)


def test_a_refund_event_without_a_refund_is_a_bad_request(events):
    event = events.load("stripe_refund_failed")
    event["data"]["object"] = {"id": "ch_1", "object": "charge"}
    payload = events.encode(event)
    with pytest.raises(InvalidRequest):
        verify(payload, events.sign(payload, SECRET), SECRET)


# The signature is checked without the stripe library (it is slow to import): held here to the library's scheme.

def test_a_signature_made_by_stripes_library_is_accepted_and_any_change_refused():
    secret, body = "whsec_" + "3" * 48, b'{"id":"evt_1","type":"checkout.session.completed"}'
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret)
    assert signature_valid(body, header, secret)
    assert not signature_valid(body + b" ", header, secret)
    assert not signature_valid(body, header, "whsec_" + "4" * 48)
    stamp, signature = header.split(",")
    # While a secret rotates Stripe sends a v1 for each: one matching is enough; a v0 alone never is.
    assert signature_valid(body, f"{stamp},v1={'0' * 64},{signature}", secret)
    assert not signature_valid(body, f"{stamp},{signature.replace('v1=', 'v0=')}", secret)
    assert not signature_valid(body, f"t=abc,{signature}", secret)
    assert not signature_valid(body, f"{stamp},{stamp},{signature}", secret)


def test_a_signature_older_than_five_minutes_is_refused_as_stripes_library_refuses_it():
    secret, body = "whsec_" + "3" * 48, b"{}"
    old = int(time.time()) - TOLERANCE_SECONDS - 5
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret, old)
    assert not signature_valid(body, header, secret)
    assert signature_valid(body, header, secret, now=old + TOLERANCE_SECONDS)
