"""A payment that can never be delivered is given back through the gateway, once, and the ledger says so."""
from __future__ import annotations

from collections import defaultdict

import pytest

from kameng.domain.order import OrderStatus

COMPLETED_PAID = "stripe_checkout_session_completed_paid"


class FlakyRefunds:
    """The gateway's refund, failing the first `failures` calls; every call is counted."""

    def __init__(self, refund, failures: int = 0):
        self.refund = refund
        self.failures = failures
        self.calls: list[tuple] = []

    def __call__(self, payment_ref, amount, order_id, attempt=0, take_back=None):
        self.calls.append((payment_ref, amount, order_id))
        if len(self.calls) <= self.failures:
            raise ConnectionError("gateway unreachable")
        return self.refund(payment_ref, amount, order_id, attempt)


@pytest.fixture
def refunds(deps, monkeypatch):
    def install(failures: int = 0) -> FlakyRefunds:
        flaky = FlakyRefunds(deps.gateway.refund, failures)
        monkeypatch.setattr(deps.gateway, "refund", flaky)
        return flaky

    return install


@pytest.fixture
def paid_too_late(stations, sku_with_keys, place, pay, sweep, clock, deps, payment_event, deliver_webhook):
    """A payment that lands after its reservation lapsed and another shopper bought the last key."""

    def run():
        stocked = sku_with_keys(1)
        late = place(stations.substation, stocked.sku)
        clock.advance(seconds=deps.settings.reservation_ttl.total_seconds() + 1)
        sweep()
        pay(place(stations.substation, stocked.sku, email="quicker@example.com"))
        event = payment_event(late, COMPLETED_PAID)
        deliver_webhook(event)
        return late, event

    return run


def balances(rows) -> tuple[int, set[int]]:
    per_account: dict[str, int] = defaultdict(int)
    for entry in rows:
        per_account[entry.account] += entry.amount
    return sum(entry.amount for entry in rows), set(per_account.values())


def test_a_late_payment_with_stock_gone_is_refunded_in_full(paid_too_late, refunds, deps):
    counted = refunds()
    late, event = paid_too_late()
    order = deps.store.orders.order(late.order_id)
    payment_ref = event["data"]["object"]["payment_intent"]
    assert (order.status, counted.calls) == (OrderStatus.REFUNDED, [(payment_ref, None, late.order_id)])
    assert order.refund_id == deps.gateway.refund.refund(payment_ref, None, late.order_id)


def test_a_refunded_late_payment_keeps_why_it_was_refunded(paid_too_late, deps):
    late, _ = paid_too_late()
    order = deps.store.orders.order(late.order_id)
    assert order.attention_reason == order.refund_reason == "paid_after_reservation_lapsed_and_stock_is_gone"


def test_a_refund_of_an_undelivered_payment_balances_to_zero(paid_too_late, deps):
    late, _ = paid_too_late()
    rows = deps.store.orders.ledger(late.order_id)
    assert balances(rows) == (0, {0}) and sorted(e.amount for e in rows if e.account.startswith("shopper:")) == [-late.total, late.total]


def test_a_refunded_late_payment_shows_as_refunded_without_keys(paid_too_late, order_view):
    late, _ = paid_too_late()
    view = order_view(late)
    assert (view["status"], view["keys"]) == ("refunded", [])


def test_a_refund_that_fails_leaves_the_order_needing_attention(paid_too_late, refunds, deps):
    refunds(failures=1)
    late, _ = paid_too_late()
    order = deps.store.orders.order(late.order_id)
    assert (order.status, order.refund_id, deps.store.orders.ledger(late.order_id), order.due_at is not None) == (
        OrderStatus.NEEDS_ATTENTION, None, [], True)


def test_the_sweeper_retries_a_failed_refund_once_it_is_due(paid_too_late, refunds, sweep, clock, deps):
    counted = refunds(failures=1)
    late, _ = paid_too_late()
    early = sweep()
    clock.advance(minutes=2)
    done = sweep()
    order = deps.store.orders.order(late.order_id)
    assert (early.get("refunded", 0), done.get("refunded"), order.status, len(counted.calls)) == (
        0, 1, OrderStatus.REFUNDED, 2)


def test_a_repeated_sweep_after_the_refund_does_not_refund_again(paid_too_late, refunds, sweep, clock):
    counted = refunds(failures=1)
    paid_too_late()
    clock.advance(minutes=2)
    sweep()
    clock.advance(minutes=10)
    again = sweep()
    assert (again.get("refunded", 0), len(counted.calls)) == (0, 2)


def test_a_gateway_that_keeps_failing_loses_nothing(paid_too_late, refunds, sweep, clock, deps):
    counted = refunds(failures=100)
    late, _ = paid_too_late()
    for _ in range(3):
        clock.advance(minutes=2)
        sweep()
    order = deps.store.orders.order(late.order_id)
    assert (order.status, order.payment_ref is not None, len(counted.calls)) == (OrderStatus.NEEDS_ATTENTION, True, 4)


def test_the_same_late_payment_delivered_again_refunds_once(paid_too_late, refunds, deliver_webhook):
    counted = refunds()
    _, event = paid_too_late()
    assert deliver_webhook(event).json["outcome"] == "duplicate" and len(counted.calls) == 1


def test_the_stock_equation_holds_through_a_refund(paid_too_late, deps):
    late, _ = paid_too_late()
    counted = deps.store.inventory.stock([late.sku])[late.sku]
    assert (counted.sold, counted.imported) == (1, 1)


# ---------------------------------------------------------------- the money did not match


@pytest.fixture
def pending(stations, sku_with_keys, place):
    return place(stations.substation, sku_with_keys(5).sku)


def test_a_payment_of_the_wrong_amount_is_refunded_in_full(pending, refunds, payment_event, deliver_webhook, deps):
    counted = refunds()
    event = payment_event(pending, COMPLETED_PAID, amount=pending.total - 1)
    deliver_webhook(event)
    order = deps.store.orders.order(pending.order_id)
    assert (order.status, counted.calls) == (
        OrderStatus.REFUNDED, [(event["data"]["object"]["payment_intent"], None, pending.order_id)])


def test_a_wrong_amount_refunded_is_recorded_at_the_amount_paid(pending, payment_event, deliver_webhook, deps):
    deliver_webhook(payment_event(pending, COMPLETED_PAID, amount=123))
    rows = deps.store.orders.ledger(pending.order_id)
    assert balances(rows) == (0, {0}) and {abs(e.amount) for e in rows} == {123}


def test_a_payment_in_the_wrong_currency_is_refunded_in_that_currency(pending, payment_event, deliver_webhook, deps):
    deliver_webhook(payment_event(pending, COMPLETED_PAID, currency="usd"))
    order = deps.store.orders.order(pending.order_id)
    assert (order.status, {entry.currency for entry in deps.store.orders.ledger(pending.order_id)}) == (OrderStatus.REFUNDED, {"USD"})


def test_a_payment_of_the_wrong_amount_whose_refund_failed_is_refunded_by_the_sweeper(
        pending, refunds, payment_event, deliver_webhook, sweep, clock, deps):
    refunds(failures=1)
    deliver_webhook(payment_event(pending, COMPLETED_PAID, amount=1))
    clock.advance(minutes=2)
    assert (sweep().get("refunded"), deps.store.orders.order(pending.order_id).status) == (1, OrderStatus.REFUNDED)


# ---------------------------------------------------------------- the gateway reports a refund failed later


def refund_failed_event(events, order) -> dict:
    """Stripe's refund.failed for the order's refund (Alipay and WeChat Pay refunds settle later)."""
    event = events.load("stripe_refund_failed")
    event["id"] = f"evt_{order.id.lower()}_refund_failed"
    refund = event["data"]["object"]
    refund.update(id=order.refund_id, amount=order.paid_amount, currency=order.currency.lower(),
                  payment_intent=order.payment_ref)
    refund["metadata"]["order_id"] = order.id
    return event


def test_a_failed_refund_of_a_late_payment_needs_attention_again(paid_too_late, deps, events, deliver_webhook, order_view):
    late, _ = paid_too_late()
    response = deliver_webhook(refund_failed_event(events, deps.store.orders.order(late.order_id)))
    order = deps.store.orders.order(late.order_id)
    assert (response.json["outcome"], order.status, order_view(late)["status"]) == (
        "applied", OrderStatus.NEEDS_ATTENTION, "needs_attention")
    assert order.attention_reason.startswith("refund_failed: ") and balances(deps.store.orders.ledger(late.order_id))[0] == 0


def test_a_failed_refund_of_a_late_payment_is_asked_for_again_by_the_sweeper(
        paid_too_late, refunds, deps, events, deliver_webhook, sweep, clock):
    late, _ = paid_too_late()
    first = deps.store.orders.order(late.order_id).refund_id
    counted = refunds()
    deliver_webhook(refund_failed_event(events, deps.store.orders.order(late.order_id)))
    clock.advance(hours=1, seconds=1)
    done = sweep()
    order = deps.store.orders.order(late.order_id)
    assert (done, order.status, len(counted.calls)) == ({"refunded": 1}, OrderStatus.REFUNDED, 1)
    assert order.refund_id != first and balances(deps.store.orders.ledger(late.order_id)) == (0, {0})
