"""One contract, every rail: what holds for Stripe holds for Alipay, WeChat Pay and 易支付.

Each rail is its real adapter talking to its sandbox (Stripe: its library against a stand-in of its API).
The first half asks the gateway alone; the second runs the shop around it: checkout on the rail, the
rail's notification through the webhook route, the sweeper asking the rail before an order lapses.
"""
from __future__ import annotations

import importlib
from datetime import datetime, timedelta, timezone

import pytest

from kameng.domain.errors import InvalidSignature
from kameng.domain.order import Applied, OrderStatus, PaymentKind, lapse
from kameng.ports.outside import SessionRequest, Show
from kameng.services.sweeper import sweep
from tests.rails.conftest import place, post_notification, request_of, session_of

NOTIFYING = ("stripe", "alipay", "wechat", "epay")
ORDER = "01KCONTRACT0000000000000001"


@pytest.fixture(params=NOTIFYING)
def rail(request, tmp_path):
    harness = importlib.import_module(f"tests.rails.harness_{request.param}").make_harness(tmp_path)
    yield harness
    harness.close()


def session_request(order_id: str = ORDER, total: int = 4950, **changes) -> SessionRequest:
    fields = dict(order_id=order_id, station="main", title="Steam 钱包 50 元", quantity=1, unit_price=total, total=total,
                  currency="CNY", email="buyer@example.com", success_url=f"https://shop.example/order/?id={order_id}",
                  cancel_url="https://shop.example/p/steam/", expires_at=datetime.now(timezone.utc) + timedelta(minutes=15),
                  notify_url="https://shop.example/api/webhooks/x", client_ip="203.0.113.9")
    return SessionRequest(**(fields | changes))


# ---------------------------------------------------------------- the gateway alone


def test_a_session_opens_for_the_order_and_shows_how_to_pay(rail):
    session = rail.gateway.create_session(session_request())
    assert session.id and session.url
    assert session.show in (Show.REDIRECT, Show.QR)
    assert rail.gateway.session_payment(session.id) is None  # nothing taken yet


def test_a_paid_notification_reads_as_the_payment_of_the_order(rail):
    request = session_request()
    session = rail.gateway.create_session(request)
    event = rail.gateway.verify_event(rail.pay(session, request, None))
    assert (event.kind, event.paid, event.order_id) == (PaymentKind.COMPLETED, True, ORDER)
    assert (event.amount, event.currency) == (4950, "CNY")
    assert event.payment_ref and event.id.startswith(("evt_", f"{rail.rail}:"))
    assert 200 <= rail.gateway.acknowledge(event).status < 300


def test_the_same_notification_twice_reads_as_the_same_event(rail):
    request = session_request()
    session = rail.gateway.create_session(request)
    notification = rail.pay(session, request, None)
    assert rail.gateway.verify_event(notification).id == rail.gateway.verify_event(notification).id


@pytest.mark.parametrize("spoil", ["forge", "unsigned", "tamper"])
def test_a_forged_unsigned_or_tampered_notification_is_refused(rail, spoil):
    request = session_request()
    session = rail.gateway.create_session(request)
    notification = rail.pay(session, request, None)
    with pytest.raises(InvalidSignature):
        rail.gateway.verify_event(getattr(rail, spoil)(notification))


def test_a_stale_notification_is_refused_where_the_rail_dates_them(rail):
    if rail.stale is None:
        pytest.skip(f"{rail.rail} dates no notification: a replay is applied once by its id")
    request = session_request()
    session = rail.gateway.create_session(request)
    with pytest.raises(InvalidSignature):
        rail.gateway.verify_event(rail.stale(session, request))


def test_a_short_payment_reads_as_what_was_paid(rail):
    request = session_request()
    session = rail.gateway.create_session(request)
    assert rail.gateway.verify_event(rail.pay(session, request, 4949)).amount == 4949


def test_the_rail_tells_what_a_session_was_paid_when_asked(rail):
    request = session_request()
    session = rail.gateway.create_session(request)
    notified = rail.gateway.verify_event(rail.pay(session, request, None))
    found = rail.gateway.session_payment(session.id)
    assert (found.kind, found.paid, found.order_id, found.amount) == (PaymentKind.COMPLETED, True, ORDER, 4950)
    assert found.payment_ref == notified.payment_ref


def test_a_refund_is_asked_once_per_order_amount_and_attempt(rail):
    request = session_request()
    session = rail.gateway.create_session(request)
    ref = rail.gateway.verify_event(rail.pay(session, request, None)).payment_ref
    first = rail.gateway.refund(ref, 1000, ORDER)
    assert rail.gateway.refund(ref, 1000, ORDER) == first
    assert rail.gateway.refund(ref, 1000, ORDER, attempt=1) != first
    with pytest.raises(ValueError):
        rail.gateway.refund(ref, 0, ORDER)


# ---------------------------------------------------------------- the shop around it


@pytest.fixture
def shop(rail, rail_shop):
    return rail_shop(rail)


def test_a_notification_through_the_webhook_delivers_once_and_its_repeat_changes_nothing(shop, stations, rail):
    deps, stocked = shop
    order = place(shop, stations, rail)
    notification = rail.pay(session_of(order), request_of(order), None)
    first = post_notification(rail.rail, notification)
    assert 200 <= first["statusCode"] < 300, first
    delivered = deps.store.orders.order(order.id)
    assert delivered.status is OrderStatus.DELIVERED and len(delivered.key_ids) == 1
    again = post_notification(rail.rail, notification)
    assert 200 <= again["statusCode"] < 300
    assert deps.store.orders.order(order.id).key_ids == delivered.key_ids
    assert stocked.stock().sold == 1


def test_a_forged_notification_through_the_webhook_is_refused_and_changes_nothing(shop, stations, rail):
    deps, _ = shop
    order = place(shop, stations, rail)
    answer = post_notification(rail.rail, rail.forge(rail.pay(session_of(order), request_of(order), None)))
    assert answer["statusCode"] == 400 and '"invalid_signature"' in answer["body"]
    assert deps.store.orders.order(order.id).status is OrderStatus.PENDING


def test_a_short_payment_is_held_for_a_person_and_given_back(shop, stations, rail):
    deps, stocked = shop
    order = place(shop, stations, rail)
    post_notification(rail.rail, rail.pay(session_of(order), request_of(order), order.total - 1))
    held = deps.store.orders.order(order.id)
    assert held.status in (OrderStatus.NEEDS_ATTENTION, OrderStatus.REFUNDED)
    assert held.paid_amount == order.total - 1 and not held.key_ids
    assert held.refund_id  # all that was paid goes back through the same rail
    assert stocked.stock().available == 3


def test_the_sweeper_asks_the_rail_before_an_order_lapses_and_delivers_a_payment_whose_notification_was_lost(
        shop, stations, rail, clock):
    deps, _ = shop
    order = place(shop, stations, rail)
    rail.pay(session_of(order), request_of(order), None)  # taken by the rail; its notification never arrives
    clock.advance(minutes=20)
    sweep(deps)
    assert deps.store.orders.order(order.id).status is OrderStatus.DELIVERED


def test_a_payment_notified_after_the_order_lapsed_is_still_delivered_while_stock_lasts(shop, stations, rail, clock):
    deps, _ = shop
    order = place(shop, stations, rail)
    notification = rail.pay(session_of(order), request_of(order), None)
    clock.advance(minutes=20)
    # Lapsed while the rail could not be asked (an outage): its notification comes after.
    assert deps.store.orders.apply(lapse(deps.store.orders.order(order.id)), clock())[0] is Applied.DONE
    answer = post_notification(rail.rail, notification)
    assert 200 <= answer["statusCode"] < 300
    assert deps.store.orders.order(order.id).status is OrderStatus.DELIVERED

