"""Payment events decide order changes; repeats and late arrivals ask for nothing.

Stripe retries for days, sends events twice and out of order, and one
payment can bring both `completed` and `async_payment_succeeded`.
"""
import pytest

from kameng.domain.order import KeyMove, OrderStatus, PaymentKind, decide_payment, paid_too_late
from .orders import NOW, a_payment, an_order

S = OrderStatus
K = KeyMove
EVERY_STATUS = list(OrderStatus)

SUCCESS = {
    # A payment for a pending order uses the keys it holds; a late one must find keys again.
    S.PENDING: (S.PAID, K.NONE),
    S.EXPIRED: (S.PAID, K.RESERVE),
    S.FAILED: (S.PAID, K.RESERVE),
}
ASYNC_FAILED = {S.PENDING: (S.FAILED, K.RETURN)}
EXPIRED = {S.PENDING: (S.EXPIRED, K.RETURN)}
MISMATCH = {
    S.PENDING: (S.NEEDS_ATTENTION, K.RETURN),
    S.EXPIRED: (S.NEEDS_ATTENTION, K.NONE),
    S.FAILED: (S.NEEDS_ATTENTION, K.NONE),
}


def decided(status, kind, paid=True, **event_fields):
    order = an_order(status)
    change = decide_payment(order, a_payment(kind, order, paid=paid, **event_fields), NOW)
    return None if change is None else (change.to_status, change.keys)


@pytest.mark.parametrize("kind", [PaymentKind.COMPLETED, PaymentKind.ASYNC_SUCCEEDED])
@pytest.mark.parametrize("status", EVERY_STATUS)
def test_a_successful_payment_pays_an_order_that_has_not_been_paid_yet(kind, status):
    assert decided(status, kind) == SUCCESS.get(status)


@pytest.mark.parametrize("status", EVERY_STATUS)
def test_a_completed_session_that_is_not_paid_yet_changes_nothing(status):
    # Alipay and WeChat Pay complete the session first and confirm the money later.
    assert decided(status, PaymentKind.COMPLETED, paid=False) is None


@pytest.mark.parametrize("status", EVERY_STATUS)
def test_a_failed_async_payment_fails_only_a_pending_order(status):
    assert decided(status, PaymentKind.ASYNC_FAILED, paid=False) == ASYNC_FAILED.get(status)


@pytest.mark.parametrize("status", EVERY_STATUS)
def test_an_expired_session_expires_only_a_pending_order(status):
    assert decided(status, PaymentKind.EXPIRED, paid=False) == EXPIRED.get(status)


@pytest.mark.parametrize("status", EVERY_STATUS)
def test_an_event_of_another_kind_changes_nothing(status):
    assert decided(status, PaymentKind.OTHER) is None


@pytest.mark.parametrize("status", EVERY_STATUS)
def test_a_payment_of_the_wrong_amount_needs_attention(status):
    order = an_order(status)
    assert decided(status, PaymentKind.COMPLETED, amount=order.total - 1) == MISMATCH.get(status)


@pytest.mark.parametrize("status", EVERY_STATUS)
def test_a_payment_in_the_wrong_currency_needs_attention(status):
    assert decided(status, PaymentKind.ASYNC_SUCCEEDED, currency="usd") == MISMATCH.get(status)


def test_a_payment_without_an_amount_needs_attention():
    assert decided(S.PENDING, PaymentKind.COMPLETED, amount=None) == MISMATCH[S.PENDING]


def test_stripes_lower_case_currency_matches_the_orders():
    assert decided(S.PENDING, PaymentKind.COMPLETED, currency="cny") == SUCCESS[S.PENDING]


def test_an_amount_mismatch_says_what_was_paid():
    order = an_order()
    change = decide_payment(order, a_payment(PaymentKind.COMPLETED, order, amount=1), NOW)
    assert "1" in change.reason and str(order.total) in change.reason


def test_a_payment_change_records_its_event_and_payment_reference():
    order = an_order()
    change = decide_payment(order, a_payment(PaymentKind.COMPLETED, order, id="evt_9", payment_ref="pi_9"), NOW)
    assert (change.event_id, change.payment_ref) == ("evt_9", "pi_9")


def test_a_paid_order_is_due_for_a_release_retry():
    # If the release after payment dies, the sweeper must find the paid order again.
    order = an_order()
    change = decide_payment(order, a_payment(PaymentKind.COMPLETED, order), NOW)
    assert change.due_at is not None and change.due_at > NOW


@pytest.mark.parametrize("kind", [PaymentKind.ASYNC_FAILED, PaymentKind.EXPIRED])
def test_a_change_that_returns_keys_records_its_event(kind):
    order = an_order()
    assert decide_payment(order, a_payment(kind, order, paid=False, id="evt_7"), NOW).event_id == "evt_7"


@pytest.mark.parametrize("status", [S.EXPIRED, S.FAILED])
def test_a_payment_for_keys_that_are_gone_needs_attention_and_keeps_the_payment(status):
    order = an_order(status)
    change = paid_too_late(order, a_payment(PaymentKind.COMPLETED, order, id="evt_3", payment_ref="pi_3"))
    assert (change.to_status, change.keys, change.event_id, change.payment_ref) == (S.NEEDS_ATTENTION, K.NONE, "evt_3", "pi_3")
