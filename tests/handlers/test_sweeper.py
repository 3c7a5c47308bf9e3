"""The sweeper gives lapsed reservations back exactly once; a payment that lands later is never lost."""
from __future__ import annotations

import pytest

COMPLETED_PAID = "stripe_checkout_session_completed_paid"


@pytest.fixture
def lapsed(deps, clock):
    """Let the reservation run out and the scheduled sweeper run."""

    def run_out(sweep) -> dict:
        clock.advance(seconds=deps.settings.reservation_ttl.total_seconds() + 1)
        return sweep()

    return run_out


def test_a_reservation_that_has_not_lapsed_is_left_alone(stations, sku_with_keys, place, sweep, clock, deps):
    stocked = sku_with_keys(2)
    place(stations.substation, stocked.sku, 2)
    clock.advance(seconds=deps.settings.reservation_ttl.total_seconds() - 1)
    sweep()
    assert stocked.stock().reserved == 2


def test_a_lapsed_reservation_returns_its_keys_to_stock(stations, sku_with_keys, place, sweep, lapsed):
    stocked = sku_with_keys(3)
    place(stations.substation, stocked.sku, 2)
    lapsed(sweep)
    assert (stocked.stock().available, stocked.stock().reserved) == (3, 0)


def test_a_lapsed_order_shows_as_expired(stations, sku_with_keys, place, sweep, lapsed, order_view):
    placed = place(stations.substation, sku_with_keys(1).sku)
    lapsed(sweep)
    assert order_view(placed)["status"] == "expired"


def test_sweeping_twice_returns_the_keys_once(stations, sku_with_keys, place, sweep, lapsed):
    stocked = sku_with_keys(3)
    place(stations.substation, stocked.sku, 2)
    first = lapsed(sweep)
    second = sweep()
    assert (first.get("expired"), second.get("expired", 0), stocked.stock().available) == (1, 0, 3)


def test_the_sweeper_expires_the_payment_session(stations, sku_with_keys, place, sweep, lapsed, deps):
    placed = place(stations.substation, sku_with_keys(1).sku)
    lapsed(sweep)
    assert deps.gateway.session(placed.session_id).status == "expired"


def test_a_lapsed_order_can_no_longer_be_paid_on_the_pay_page(stations, sku_with_keys, place, pay, sweep, lapsed):
    stocked = sku_with_keys(1)
    placed = place(stations.substation, stocked.sku)
    lapsed(sweep)
    assert pay(placed) is None and stocked.stock().sold == 0


def test_a_payment_after_the_lapse_is_delivered_while_stock_is_left(stations, sku_with_keys, place, sweep, lapsed,
                                                                  payment_event, deliver_webhook, order_view):
    stocked = sku_with_keys(2)
    placed = place(stations.substation, stocked.sku)
    lapsed(sweep)
    deliver_webhook(payment_event(placed, COMPLETED_PAID))
    view = order_view(placed)
    assert (view["status"], len(view["keys"]), stocked.stock().sold) == ("delivered", 1, 1)


def test_a_payment_after_the_lapse_with_stock_gone_is_refunded(stations, sku_with_keys, place, pay, sweep, lapsed,
                                                               payment_event, deliver_webhook, order_view):
    stocked = sku_with_keys(1)
    late = place(stations.substation, stocked.sku)
    lapsed(sweep)
    pay(place(stations.substation, stocked.sku, email="quicker@example.com"))
    deliver_webhook(payment_event(late, COMPLETED_PAID))
    view = order_view(late)
    assert (view["status"], view["keys"]) == ("refunded", [])


def test_a_late_payment_with_stock_gone_is_recorded_never_lost(stations, sku_with_keys, place, pay, sweep, lapsed,
                                                               payment_event, deliver_webhook, deps):
    stocked = sku_with_keys(1)
    late = place(stations.substation, stocked.sku)
    lapsed(sweep)
    pay(place(stations.substation, stocked.sku, email="quicker@example.com"))
    event = payment_event(late, COMPLETED_PAID)
    deliver_webhook(event)
    order = deps.store.orders.order(late.order_id)
    assert (order.payment_ref, deps.store.orders.event_seen(event["id"]), bool(order.attention_reason)) == (
        event["data"]["object"]["payment_intent"], True, True)


def test_a_late_payment_with_stock_gone_does_not_take_the_other_shoppers_key(stations, sku_with_keys, place, pay, sweep,
                                                                              lapsed, payment_event, deliver_webhook, order_view):
    stocked = sku_with_keys(1)
    late = place(stations.substation, stocked.sku)
    lapsed(sweep)
    quicker = place(stations.substation, stocked.sku, email="quicker@example.com")
    pay(quicker)
    deliver_webhook(payment_event(late, COMPLETED_PAID))
    assert ([k["code"] for k in order_view(quicker)["keys"]], stocked.stock().sold) == (stocked.codes, 1)


def test_a_late_payment_repeated_is_recorded_once(stations, sku_with_keys, place, pay, sweep, lapsed,
                                                 payment_event, deliver_webhook):
    stocked = sku_with_keys(1)
    late = place(stations.substation, stocked.sku)
    lapsed(sweep)
    pay(place(stations.substation, stocked.sku, email="quicker@example.com"))
    event = payment_event(late, COMPLETED_PAID)
    deliver_webhook(event)
    assert deliver_webhook(event).json["outcome"] == "duplicate"


def test_the_stock_equation_holds_through_lapse_and_late_payments(stations, sku_with_keys, place, pay, sweep, lapsed,
                                                                  payment_event, deliver_webhook):
    stocked = sku_with_keys(2)
    late = [place(stations.substation, stocked.sku) for _ in range(2)]
    lapsed(sweep)
    pay(place(stations.substation, stocked.sku, email="quicker@example.com"))
    for placed in late:
        deliver_webhook(payment_event(placed, COMPLETED_PAID))
    counted = stocked.stock()
    assert (counted.sold, counted.available + counted.reserved + counted.sold + counted.void) == (2, stocked.imported)


def test_the_sweeper_delivers_a_paid_order_whose_release_did_not_happen(stations, sku_with_keys, place, sweep, deps,
                                                                        clock, payment_event, deliver_webhook, monkeypatch,
                                                                        order_view):
    from kameng.services import payments

    placed = place(stations.substation, sku_with_keys(1).sku)
    with monkeypatch.context() as frozen:
        # The function was frozen right after recording the payment, before the release.
        frozen.setattr(payments, "release", lambda order_id, deps: None)
        deliver_webhook(payment_event(placed, COMPLETED_PAID))
    clock.advance(minutes=2)
    done = sweep()
    assert (done.get("delivered"), order_view(placed)["status"]) == (1, "delivered")


class Killed(BaseException):
    """The function's process stopped here: no except clause of the code under test runs."""


def test_keys_of_a_checkout_killed_before_its_payment_session_come_back_at_expiry(stations, sku_with_keys, checkout, sweep,
                                                                                  lapsed, deps, monkeypatch):
    stocked = sku_with_keys(2)

    def killed(request):
        raise Killed()

    with monkeypatch.context() as dying, pytest.raises(Killed):
        dying.setattr(deps.gateway, "create_session", killed)
        checkout(stations.substation, stocked.sku, 2)
    lapsed(sweep)
    assert (stocked.stock().available, stocked.stock().reserved) == (2, 0)


def test_two_sweepers_running_at_once_return_each_reservation_once(stations, sku_with_keys, place, sweep, clock, deps):
    from concurrent.futures import ThreadPoolExecutor

    stocked = sku_with_keys(10)
    for i in range(5):
        place(stations.substation, stocked.sku, 2, email=f"s{i}@example.com")
    clock.advance(seconds=deps.settings.reservation_ttl.total_seconds() + 1)
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda _: sweep(), range(2)))
    counted = stocked.stock()
    assert (sum(run.get("expired", 0) for run in runs), counted.available, counted.reserved) == (5, 10, 0)


def test_payments_racing_the_sweeper_are_all_delivered_when_stock_allows(stations, sku_with_keys, place, sweep, clock, deps,
                                                                         payment_event, deliver_webhook, order_view):
    from concurrent.futures import ThreadPoolExecutor

    stocked = sku_with_keys(10)
    placed = [place(stations.substation, stocked.sku, 1, email=f"s{i}@example.com") for i in range(10)]
    clock.advance(seconds=deps.settings.reservation_ttl.total_seconds() + 1)
    paying = [payment_event(p, COMPLETED_PAID) for p in placed]
    with ThreadPoolExecutor(max_workers=11) as pool:
        sweeping = pool.submit(sweep)
        statuses = list(pool.map(lambda event: deliver_webhook(event).status, paying))
        sweeping.result()
    assert statuses == [200] * 10 and [order_view(p)["status"] for p in placed] == ["delivered"] * 10 and stocked.stock().sold == 10
