"""The Alipay rail: AlipayGateway over python-alipay-sdk, against the Alipay sandbox over real HTTP."""
from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from kameng.domain.rail_numbers import refund_number
from kameng.adapters.gateway_alipay import (
    AlipayGateway, AlipayRefused, fen, yuan)
from kameng.adapters.sandbox_alipay import sign_notification
from kameng.adapters.sandbox_alipay_keys import sandbox_keys
from kameng.domain.errors import InvalidRequest, InvalidSignature
from kameng.domain.order import PaymentKind
from kameng.ports.outside import Notification, SessionRequest, Show, TakeBack
from tests.rails.harness_alipay import AlipayWorld, forge, start, tamper, unsigned

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rails" / "alipay"
RECEIVER = "2088101126708402"
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> AlipayWorld:
    world = start(tmp_path_factory.mktemp("alipay-rail"))
    yield world
    world.close()


@pytest.fixture
def order(world) -> SessionRequest:
    return order_request()


def order_request(**changes) -> SessionRequest:
    fields = dict(
        order_id=f"ord-{next(_numbers)}", station="main", title="点卡", quantity=2, unit_price=617, total=1234,
        currency="CNY", email="buyer@example.com", success_url="http://shop.test/orders/x",
        cancel_url="http://shop.test/p/card/", expires_at=datetime.now(timezone.utc) + timedelta(minutes=15),
        notify_url="http://shop.test/api/webhooks/alipay")
    fields.update(changes)
    return SessionRequest(**fields)


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def paid(world: AlipayWorld, request: SessionRequest, amount: int | None = None):
    session = world.gateway.create_session(request)
    return world.gateway.verify_event(world.pay(session, request, amount))


# pay

def test_desktop_buyer_is_sent_to_the_signed_pc_pay_page_of_the_order(world, order):
    session = world.gateway.create_session(order)
    sent = query_of(session.url)
    biz = json.loads(sent["biz_content"])
    assert (session.id, session.show) == (order.order_id, Show.REDIRECT)
    assert session.url.startswith(world.sandbox.gateway_url + "?")
    assert sent["method"] == "alipay.trade.page.pay" and sent["notify_url"] == order.notify_url
    assert sent["return_url"] == order.success_url
    assert biz["out_trade_no"] == order.order_id and biz["total_amount"] == "12.34"
    assert biz["subject"] == "点卡 × 2" and biz["product_code"] == "FAST_INSTANT_TRADE_PAY"
    beijing = order.expires_at.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")
    assert biz["time_expire"] == beijing
    page = world.open(session)
    assert page.status_code == 200
    assert all(button in page.text for button in ("支付成功", "少付一分", "关闭", "¥12.34"))


def test_phone_buyer_pays_on_the_wap_page(world):
    request = order_request(device="phone")
    sent = query_of(world.gateway.create_session(request).url)
    assert sent["method"] == "alipay.trade.wap.pay"
    assert json.loads(sent["biz_content"])["quit_url"] == request.cancel_url


@pytest.mark.parametrize("device, qr", [("wechat", False), ("desktop", True)])
def test_qr_code_is_shown_inside_wechat_or_when_the_shop_asks(world, device, qr):
    gateway = world.gateway if not qr else AlipayGateway(
        world.sandbox.app_id, *_keys(world), world.sandbox.gateway_url, qr=True)
    request = order_request(device=device)
    session = gateway.create_session(request)
    assert session.show == Show.QR
    assert session.url == f"{world.base_url}/pay/{request.order_id}"
    # Alipay knows a QR trade only once it is scanned.
    assert gateway.session_payment(request.order_id) is None
    gateway.expire_session(request.order_id)


def test_a_station_paid_out_by_split_has_its_trade_frozen_for_settling(world):
    sent = query_of(world.gateway.create_session(order_request(payout_account=RECEIVER)).url)
    assert json.loads(sent["biz_content"])["extend_params"] == {"royalty_freeze": "true"}
    plain = query_of(world.gateway.create_session(order_request()).url)
    assert "extend_params" not in json.loads(plain["biz_content"])


def test_only_cny_orders_can_be_paid(world):
    with pytest.raises(ValueError):
        world.gateway.create_session(order_request(currency="USD"))


# notifications

def test_paying_sends_a_notification_read_as_the_order_paid(world, order):
    session = world.gateway.create_session(order)
    world.open(session)
    answer = world.press(order.order_id, "paid")
    event = world.gateway.verify_event(world.shop.last(order.order_id))
    assert event.kind is PaymentKind.COMPLETED and event.paid
    assert (event.order_id, event.session_id, event.amount, event.currency) == (order.order_id, order.order_id, 1234, "CNY")
    assert event.id == f"alipay:{event.payment_ref}:paid"
    _, url, body, headers = world.shop.sent[-1]
    assert url == order.notify_url and headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    fields = dict(parse_qsl(body.decode()))
    assert {"notify_time", "notify_id", "gmt_payment", "receipt_amount", "buyer_pay_amount", "sign"} <= fields.keys()
    # The browser goes back to the shop, which shows "checking payment" and never delivers on it.
    assert answer.status_code == 302 and answer.headers["Location"].startswith(order.success_url + "?")
    ack = world.gateway.acknowledge(event)
    assert (ack.status, ack.body) == (200, b"success") and ack.content_type.startswith("text/plain")


def test_a_short_payment_reports_the_amount_paid(world, order):
    session = world.gateway.create_session(order)
    world.open(session)
    world.press(order.order_id, "short")
    assert world.gateway.verify_event(world.shop.last(order.order_id)).amount == 1233


@pytest.mark.parametrize("spoil", [forge, unsigned, tamper], ids=["forged", "unsigned", "tampered_total"])
def test_a_notification_not_signed_by_alipay_as_sent_is_refused(world, order, spoil):
    session = world.gateway.create_session(order)
    notification = world.pay(session, order)
    with pytest.raises(InvalidSignature):
        world.gateway.verify_event(spoil(notification))


def test_a_notification_for_another_app_is_refused(world, order):
    world.open(world.gateway.create_session(order))
    body = world.sandbox.notification(order.order_id, datetime.now(timezone.utc), app_id="2021000199999999")
    with pytest.raises(InvalidSignature, match="应用"):
        world.gateway.verify_event(Notification(body=body))


def test_a_notification_older_than_alipays_retries_is_refused(world, order):
    session = world.gateway.create_session(order)
    with pytest.raises(InvalidSignature, match="过期"):
        world.gateway.verify_event(world.stale(session, order))
    recent = world.sandbox.notification(order.order_id, datetime.now(timezone.utc) - timedelta(hours=24),
                                        trade_status="TRADE_SUCCESS")
    assert world.gateway.verify_event(Notification(body=recent)).kind is PaymentKind.COMPLETED


def test_a_signed_notification_without_its_trade_is_malformed(world, order):
    world.open(world.gateway.create_session(order))
    body = world.sandbox.notification(order.order_id, datetime.now(timezone.utc), trade_no="")
    with pytest.raises(InvalidRequest):
        world.gateway.verify_event(Notification(body=body))


def test_closed_trades_and_refunds_are_not_payments(world, order):
    event = paid(world, order)
    closed = world.sandbox.notification(order.order_id, datetime.now(timezone.utc), trade_status="TRADE_CLOSED")
    assert world.gateway.verify_event(Notification(body=closed)).kind is PaymentKind.OTHER
    world.gateway.refund(event.payment_ref, 234, order.order_id)
    refund_notice = world.gateway.verify_event(world.shop.last(order.order_id))
    assert refund_notice.kind is PaymentKind.OTHER and not refund_notice.paid
    assert refund_notice.id != event.id


def test_a_notification_not_answered_success_is_sent_again_until_taken(world, order):
    world.shop.answers.append((200, b"fail"))
    session = world.gateway.create_session(order)
    first = world.pay(session, order)
    assert [p.event_type for p in world.sandbox.outbox.pending()] == ["trade_status_sync"]
    later = datetime.now(timezone.utc).timestamp() + 3600
    assert world.sandbox.resend_due(now=later) == 1
    again = world.shop.last(order.order_id)
    sent_at = [dict(parse_qsl(n.body.decode()))["notify_time"] for n in (first, again)]
    assert sent_at[0] < sent_at[1]
    assert world.gateway.verify_event(again).id == world.gateway.verify_event(first).id
    assert world.sandbox.outbox.pending() == []


def test_the_documented_notification_verifies_with_alipays_key(tmp_path):
    keys = sandbox_keys(tmp_path)
    fields = dict(parse_qsl((FIXTURES / "trade_status_sync.form").read_text().strip()))
    gateway = AlipayGateway("2014072300007148", keys.app_private, keys.alipay_public,
                            clock=lambda: datetime(2015, 4, 27, 8, 0, tzinfo=timezone.utc))
    event = gateway.verify_event(Notification(body=sign_notification(fields, keys.alipay_private)))
    assert (event.kind, event.order_id, event.payment_ref, event.amount) == (
        PaymentKind.COMPLETED, "6823789339978248", "2013112011001004330000121536", 2000)
    signed_by_the_app = sign_notification(fields, keys.app_private)
    with pytest.raises(InvalidSignature):
        gateway.verify_event(Notification(body=signed_by_the_app))


# reconcile and close

def test_the_sweeper_finds_a_payment_whose_notification_never_came(world, order):
    session = world.gateway.create_session(order)
    assert world.gateway.session_payment(order.order_id) is None
    world.open(session)
    assert world.gateway.session_payment(order.order_id) is None
    world.shop.answers.append((500, b""))
    world.press(order.order_id, "paid")
    found = world.gateway.session_payment(order.order_id)
    assert found.id == f"alipay:found:{order.order_id}" and found.kind is PaymentKind.COMPLETED
    assert (found.amount, found.paid) == (1234, True)


def test_an_expired_session_can_no_longer_be_paid(world, order):
    session = world.gateway.create_session(order)
    world.open(session)
    world.gateway.expire_session(order.order_id)
    assert "交易已结束" in world.open(session).text
    assert world.press(order.order_id, "paid").status_code == 409
    world.gateway.expire_session(order.order_id)


def test_closing_a_trade_never_opened_or_already_paid_is_fine(world, order):
    world.gateway.expire_session("never-scanned")
    paid(world, order)
    world.gateway.expire_session(order.order_id)
    assert world.gateway.session_payment(order.order_id) is not None


# refunds

def test_a_refund_is_asked_once_per_order_amount_and_attempt(world, order):
    event = paid(world, order)
    first = world.gateway.refund(event.payment_ref, 500, order.order_id)
    assert world.gateway.refund(event.payment_ref, 500, order.order_id) == first == "alipay:refund-" + order.order_id + "-500"
    again = world.gateway.refund(event.payment_ref, 500, order.order_id, attempt=1)
    assert again != first
    # 500 + 500 taken: only 234 left, so the repeat above refunded nothing.
    with pytest.raises(AlipayRefused):
        world.gateway.refund(event.payment_ref, 235, order.order_id)
    world.gateway.refund(event.payment_ref, 234, order.order_id)
    with pytest.raises(ValueError):
        world.gateway.refund(event.payment_ref, 0, order.order_id)


def test_a_whole_refund_gives_back_the_trades_amount(world, order):
    event = paid(world, order)
    assert world.gateway.refund(event.payment_ref, None, order.order_id) == f"alipay:refund-{order.order_id}-full"
    notice = dict(parse_qsl(world.shop.sent[-1][2].decode()))
    assert (notice["refund_fee"], notice["trade_status"]) == ("12.34", "TRADE_CLOSED")


def test_refund_status_tells_a_refund_made_from_one_never_received(world, order):
    event = paid(world, order)
    world.gateway.refund(event.payment_ref, 100, order.order_id)
    assert world.gateway.refund_status(order.order_id, refund_number(order.order_id, 100)) == "succeeded"
    assert world.gateway.refund_status(order.order_id, refund_number(order.order_id, 200)) is None




# 分账

def test_a_split_settles_the_stations_share_once_and_a_refund_takes_it_back(world):
    request = order_request(payout_account=RECEIVER)
    event = paid(world, request)
    split_id = world.gateway.split(event.payment_ref, request.order_id, RECEIVER, 300)
    assert world.gateway.split(event.payment_ref, request.order_id, RECEIVER, 300) == split_id
    assert world.sandbox.settled(event.payment_ref) == [(RECEIVER, 300)]
    with pytest.raises(AlipayRefused):
        world.gateway.refund(event.payment_ref, 1234, request.order_id, take_back=TakeBack(RECEIVER, 301, 301))
    world.gateway.refund(event.payment_ref, None, request.order_id, take_back=TakeBack(RECEIVER, 300, 300))
    back = world.sandbox.refunded_royalty(request.order_id)
    assert [(part["trans_out"], part["amount"]) for part in back] == [(RECEIVER, "3.00")]


def test_a_split_of_an_unpaid_trade_is_refused(world, order):
    world.open(world.gateway.create_session(order))
    with pytest.raises(AlipayRefused):
        world.gateway.split("no-such-trade", order.order_id, RECEIVER, 100)


# construction and the wire

def _keys(world: AlipayWorld) -> tuple[str, str]:
    keys = world.sandbox.keys
    return keys.app_private, keys.alipay_public


def test_missing_or_unreadable_credentials_stop_the_start(world):
    app_private, alipay_public = _keys(world)
    for args in [("", app_private, alipay_public), ("2021", "", alipay_public),
                 ("2021", "not a key", alipay_public), ("2021", alipay_public, alipay_public)]:
        with pytest.raises(ValueError):
            AlipayGateway(*args)


def test_keys_never_show_in_the_gateways_repr(world):
    text = repr(world.gateway)
    assert "PRIVATE" not in text and world.sandbox.keys.app_private[40:80] not in text


def test_an_answer_not_signed_by_alipay_is_refused(world, order):
    impostor = AlipayGateway(world.sandbox.app_id, world.sandbox.keys.app_private, world.sandbox.keys.app_public,
                             world.sandbox.gateway_url)
    with pytest.raises(InvalidSignature):
        impostor.session_payment(order.order_id)


def test_a_request_not_signed_by_the_app_is_refused_by_the_sandbox(world, order):
    stranger = AlipayGateway(world.sandbox.app_id, world.sandbox.keys.alipay_private, world.sandbox.keys.alipay_public,
                             world.sandbox.gateway_url)
    with pytest.raises(AlipayRefused, match="isv.invalid-signature"):
        stranger.session_payment(order.order_id)
    page = requests.get(stranger.create_session(order).url, timeout=5)
    assert page.status_code == 400


def test_yuan_is_converted_to_fen_exactly():
    assert [yuan(1234), yuan(5), yuan(100)] == ["12.34", "0.05", "1.00"]
    assert [fen("12.34"), fen("20"), fen("0.1")] == [1234, 2000, 10]
    for text in ("12.345", "abc", "NaN"):
        with pytest.raises(ValueError):
            fen(text)
