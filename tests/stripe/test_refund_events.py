"""Refunds that settle later (Alipay, WeChat Pay): refund.updated and refund.failed through the webhook function."""
import dataclasses
import json
import secrets

import pytest

from kameng import wiring
from kameng.adapters.gateway_stripe import StripeGateway
from kameng.domain.order import OrderStatus
from kameng.domain.refund import AUTOMATIC_REFUND_FAILURES, HELD_ACCOUNT
from kameng.handlers import webhook
from kameng.services import checkout, sweeper
from kameng.services.refunds import refund_order

from .conftest import API_KEY, WEBHOOK_SECRET, recorded

SESSION = recorded("checkout_session_open")["id"]
REFUND = recorded("refund")["id"]
FAILED = "stripe_refund_failed"
SUCCEEDED = "stripe_refund_updated_succeeded"


@pytest.fixture
def stripe_deps(deps, clock, api):
    """The shop on Stripe: the services and the webhook function alike."""
    chosen = dataclasses.replace(deps, gateway=StripeGateway(API_KEY, WEBHOOK_SECRET, http_client=api, clock=clock))
    wiring.use(chosen)
    return chosen


def post(events, event: dict, secret: str = WEBHOOK_SECRET) -> dict:
    """The webhook function's answer to the event, signed as Stripe signs it."""
    payload = events.encode(event)
    response = webhook.handler(events.webhook(payload, events.sign(payload, secret)))
    return {"status": response["statusCode"], **json.loads(response["body"])}


@pytest.fixture
def refunded(api, stripe_deps, stations, sku_with_keys, events):
    """A delivered order the owner refunded; Stripe took the refund as pending, as for Alipay."""
    api.answer("checkout_session_open")
    order = checkout.place(checkout.CheckoutRequest(
        station=stations.substation, sku=sku_with_keys(2).sku, quantity=1, email="buyer@example.com",
        query_password="8866-qp"), stripe_deps).order
    assert post(events, events.stripe("stripe_checkout_session_completed_paid", order_id=order.id,
                                      amount=order.total, session_id=SESSION))["outcome"] == "applied"
    api.answer("payment_intent_direct").answer("refund")
    done, _ = refund_order(order.id, "卡密无效", stripe_deps)
    assert (done.status, done.refund_id) == (OrderStatus.REFUNDED, REFUND)
    return done


def refund_event(events, name: str, order, **changes) -> dict:
    """A recorded refund event, made out for the order's refund; a fresh event id."""
    event = events.load(name)
    event["id"] = f"evt_{secrets.token_hex(12)}"
    refund = event["data"]["object"]
    refund.update(id=order.refund_id or REFUND, amount=order.total, currency=order.currency.lower(),
                  payment_intent=order.payment_ref)
    refund["metadata"]["order_id"] = order.id
    refund.update(changes)
    return event


def state(deps, order) -> tuple:
    return deps.store.orders.order(order.id), deps.store.orders.ledger(order.id)


def net(deps, order, account: str) -> int:
    return sum(entry.amount for entry in deps.store.orders.ledger(order.id) if entry.account == account)


def test_a_failed_refund_puts_the_order_back_in_needs_attention_saying_so(refunded, stripe_deps, events):
    answer = post(events, refund_event(events, FAILED, refunded))
    order = stripe_deps.store.orders.order(refunded.id)
    assert (answer["status"], answer["outcome"], order.status, order.refund_id) == (
        200, "applied", OrderStatus.NEEDS_ATTENTION, None)
    assert order.attention_reason.startswith("refund_failed: ") and REFUND in order.attention_reason
    assert "declined" in order.attention_reason


def test_the_same_failure_event_twice_changes_the_order_once(refunded, stripe_deps, events):
    event = refund_event(events, FAILED, refunded)
    post(events, event)
    before = state(stripe_deps, refunded)
    assert post(events, event)["outcome"] == "duplicate" and state(stripe_deps, refunded) == before


def test_refund_updated_to_failed_and_refund_failed_of_one_refund_move_the_order_once(refunded, stripe_deps, events):
    updated = refund_event(events, FAILED, refunded)
    updated["type"] = "refund.updated"
    assert post(events, updated)["outcome"] == "applied"
    before = state(stripe_deps, refunded)
    assert post(events, refund_event(events, FAILED, refunded))["outcome"] == "ignored"
    assert state(stripe_deps, refunded) == before and before[0].refund_failures == 1


def test_a_succeeded_refund_update_changes_nothing(refunded, stripe_deps, events):
    before = state(stripe_deps, refunded)
    answer = post(events, refund_event(events, SUCCEEDED, refunded))
    assert (answer["status"], answer["outcome"], state(stripe_deps, refunded)) == (200, "ignored", before)


def test_a_forged_refund_failure_is_refused_and_changes_nothing(refunded, stripe_deps, events):
    before = state(stripe_deps, refunded)
    answer = post(events, refund_event(events, FAILED, refunded), secret="whsec_" + "0" * 48)
    assert (answer["status"], answer["error"]["code"], state(stripe_deps, refunded)) == (
        400, "invalid_signature", before)


def test_the_failure_of_a_refund_the_order_does_not_hold_changes_nothing(refunded, stripe_deps, events):
    before = state(stripe_deps, refunded)
    assert post(events, refund_event(events, FAILED, refunded, id="re_someoneelse"))["outcome"] == "ignored"
    assert state(stripe_deps, refunded) == before


def test_after_a_failed_refund_the_ledger_holds_the_money_and_still_balances(refunded, stripe_deps, events):
    post(events, refund_event(events, FAILED, refunded))
    entries = stripe_deps.store.orders.ledger(refunded.id)
    assert sum(entry.amount for entry in entries) == 0
    assert (net(stripe_deps, refunded, HELD_ACCOUNT), entries[-1].memo) == (refunded.total, "refund failed")


def test_the_sweeper_asks_for_a_new_refund_an_hour_later_under_a_new_idempotency_key(
        api, refunded, stripe_deps, events, clock):
    post(events, refund_event(events, FAILED, refunded))
    assert sweeper.sweep(stripe_deps) == {}
    clock.advance(hours=1, seconds=1)
    api.answer("payment_intent_direct").answer("refund")
    assert sweeper.sweep(stripe_deps) == {"refunded": 1}
    order = stripe_deps.store.orders.order(refunded.id)
    assert (order.status, order.refund_id, api.last.headers["Idempotency-Key"]) == (
        OrderStatus.REFUNDED, REFUND, f"refund-{refunded.id}-full-again-1")
    assert (net(stripe_deps, refunded, HELD_ACCOUNT), sum(e.amount for e in stripe_deps.store.orders.ledger(order.id))) == (0, 0)


def test_the_owner_can_ask_again_at_once(api, refunded, stripe_deps, events):
    post(events, refund_event(events, FAILED, refunded))
    api.answer("payment_intent_direct").answer("refund")
    order, now = refund_order(refunded.id, None, stripe_deps)
    assert (order.status, now, api.last.headers["Idempotency-Key"]) == (
        OrderStatus.REFUNDED, True, f"refund-{refunded.id}-full-again-1")


def test_after_the_last_automatic_attempt_fails_the_order_waits_for_the_owner(
        api, refunded, stripe_deps, events, clock):
    for attempt in range(1, AUTOMATIC_REFUND_FAILURES + 1):
        post(events, refund_event(events, FAILED, stripe_deps.store.orders.order(refunded.id)))
        clock.advance(hours=1, seconds=1)
        if attempt < AUTOMATIC_REFUND_FAILURES:
            api.answer("payment_intent_direct").answer("refund")
            assert sweeper.sweep(stripe_deps) == {"refunded": 1}
    clock.advance(days=1)
    order = stripe_deps.store.orders.order(refunded.id)
    assert (sweeper.sweep(stripe_deps), order.status, order.refund_failures, order.due_at) == (
        {}, OrderStatus.NEEDS_ATTENTION, AUTOMATIC_REFUND_FAILURES, None)


def test_a_failure_told_before_the_refund_is_recorded_is_asked_for_again_then_applied(
        api, stripe_deps, stations, sku_with_keys, events):
    api.answer("checkout_session_open")
    order = checkout.place(checkout.CheckoutRequest(
        station=stations.substation, sku=sku_with_keys(2).sku, quantity=1, email="buyer@example.com",
        query_password="8866-qp"), stripe_deps).order
    post(events, events.stripe("stripe_checkout_session_completed_paid", order_id=order.id, amount=order.total,
                               session_id=SESSION))
    delivered = stripe_deps.store.orders.order(order.id)
    failure = refund_event(events, FAILED, delivered)

    early = post(events, failure)

    # Answered as a retry, not a 200 that would end Stripe's deliveries with the failure unread.
    assert (early["status"], early["error"]["code"]) == (503, "busy")
    assert stripe_deps.store.orders.order(order.id).status is OrderStatus.DELIVERED
    api.answer("payment_intent_direct").answer("refund")
    refund_order(order.id, "卡密无效", stripe_deps)
    assert post(events, failure)["outcome"] == "applied"
    assert stripe_deps.store.orders.order(order.id).status is OrderStatus.NEEDS_ATTENTION
