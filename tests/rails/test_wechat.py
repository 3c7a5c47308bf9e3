"""WeChat Pay API v3: the gateway over HTTP against the sandbox, which speaks WeChat Pay's wire format."""
from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from kameng.adapters.gateway_wechat import WechatGateway, WechatPayError
from kameng.domain.errors import InvalidSignature
from kameng.domain.order import PaymentKind
from kameng.ports.outside import Notification, SessionRequest, Show, TakeBack
from tests.rails.harness_wechat import NOTIFY_URL, WechatWorld, make_harness, make_world, reseal

FIXTURES = Path(__file__).parent.parent / "fixtures" / "rails" / "wechat"


@pytest.fixture
def world(tmp_path):
    world = make_world(tmp_path)
    yield world
    world.close()


def order(order_id: str = "ord-1001", total: int = 2500, **fields) -> SessionRequest:
    base = dict(order_id=order_id, station="main", title="游戏点卡 50 元", quantity=1, unit_price=total, total=total,
                currency="CNY", email="buyer@example.com", success_url="https://shop.example/orders/ord-1001",
                cancel_url="https://shop.example/", expires_at=datetime.now(timezone.utc) + timedelta(minutes=15),
                notify_url="https://shop.example/api/webhooks/wechat")
    return SessionRequest(**{**base, **fields})


def paid(world: WechatWorld, request: SessionRequest | None = None, action: str = "paid"):
    request = request or order()
    session = world.gateway.create_session(request)
    before = len(world.webhook.sent)
    assert world.pay_page(session, action).status_code == 200
    return session, world.webhook.wait_for(before + 1)[before]


def signed(world: WechatWorld, body: bytes, sent_at: float | None = None) -> Notification:
    headers = world.sandbox.notification_headers(body, sent_at)
    return Notification(body=body, headers={k.lower(): v for k, v in headers.items()})


def trade(world: WechatWorld, out_trade_no: str, **changes) -> dict:
    keys = world.sandbox.keys
    resource = {"appid": keys.appid, "mchid": keys.mchid, "out_trade_no": out_trade_no, "trade_type": "NATIVE",
                "transaction_id": "4200000000000000000000000009", "trade_state": "SUCCESS",
                "amount": {"total": 2500, "currency": "CNY"}}
    return {**resource, **changes}


# opening a trade


def test_a_desktop_order_is_paid_by_scanning_the_native_code_url(world):
    session = world.gateway.create_session(order())
    assert (session.id, session.show) == ("ord-1001", Show.QR)
    assert session.url == f"{world.base_url}/pay/ord-1001"
    assert "¥25.00" in requests.get(session.url, timeout=10).text


def test_a_phone_order_goes_to_the_h5_url_and_comes_back_to_the_order_page(world):
    session = world.gateway.create_session(order(device="phone", client_ip="203.0.113.9"))
    assert session.show == Show.REDIRECT
    query = parse_qs(urlsplit(session.url).query)
    assert query["redirect_url"] == ["https://shop.example/orders/ord-1001"]
    assert query["prepay_id"][0].startswith("wx")


def test_a_phone_order_without_the_payers_address_is_refused_before_calling_wechat(world):
    with pytest.raises(ValueError):
        world.gateway.create_session(order(device="phone"))


def test_inside_wechat_the_order_pays_by_jsapi_with_params_signed_by_the_merchant(world):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    import base64

    session = world.gateway.create_session(order(device="wechat", openid="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"))
    assert session.show == Show.JSAPI and session.url.startswith("wx")
    params = world.gateway.jsapi_params(session.url)
    assert params["package"] == f"prepay_id={session.url}" and params["signType"] == "RSA"
    merchant = serialization.load_pem_public_key(world.sandbox.keys.merchant_public_pem.encode())
    message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n".encode()
    merchant.verify(base64.b64decode(params["paySign"]), message, padding.PKCS1v15(), hashes.SHA256())


def test_opening_the_same_order_twice_gives_the_same_code_url(world):
    request = order()
    assert world.gateway.create_session(request) == world.gateway.create_session(request)


def test_a_currency_other_than_cny_is_refused(world):
    with pytest.raises(ValueError):
        world.gateway.create_session(order(currency="USD"))


# notifications


def test_paying_sends_a_signed_notification_that_reads_as_the_completed_payment(world):
    session, notification = paid(world)
    assert world.webhook.urls == ["https://shop.example/api/webhooks/wechat"]
    event = world.gateway.verify_event(notification)
    envelope = json.loads(notification.body)
    assert event.id == f"wechat:{envelope['id']}"
    assert (event.kind, event.paid, event.order_id, event.session_id) == (PaymentKind.COMPLETED, True, "ord-1001",
                                                                          "ord-1001")
    assert (event.amount, event.currency) == (2500, "CNY")
    assert event.payment_ref.startswith("4200")
    ack = world.gateway.acknowledge(event)
    assert (ack.status, ack.body) == (204, b"")


def test_a_payment_a_fen_short_reads_as_the_amount_paid(world):
    _, notification = paid(world, action="short")
    assert world.gateway.verify_event(notification).amount == 2499


def documented() -> dict:
    return json.loads((FIXTURES / "transaction_success.json").read_text())


def test_the_notification_sent_has_exactly_the_documented_fields(world):
    documented_format = documented()
    _, notification = paid(world)
    envelope = json.loads(notification.body)
    assert set(envelope) == set(documented_format["envelope"])
    assert set(envelope["resource"]) == set(documented_format["envelope"]["resource"])
    assert {h.lower() for h in documented_format["headers"]} <= set(notification.headers)
    seen = {}
    reseal(world, notification, lambda clear: seen.update(clear))
    assert set(seen) == set(documented_format["transaction"])


def test_a_notification_in_the_documented_format_is_read(world):
    documented_format = documented()
    keys = world.sandbox.keys
    transaction = {**documented_format["transaction"], "appid": keys.appid, "mchid": keys.mchid}
    body = world.sandbox.notification_body("TRANSACTION.SUCCESS", "transaction", "支付成功", transaction)
    event = world.gateway.verify_event(signed(world, body))
    assert (event.order_id, event.amount, event.payment_ref) == ("1217752501201407033233368018", 100,
                                                                  "1217752501201407033233368018")


@pytest.mark.parametrize("minutes", [-6, 6])
def test_a_notification_dated_more_than_five_minutes_away_is_refused(world, minutes):
    body = world.sandbox.notification_body("TRANSACTION.SUCCESS", "transaction", "支付成功", trade(world, "ord-1001"))
    with pytest.raises(InvalidSignature):
        world.gateway.verify_event(signed(world, body, time.time() + minutes * 60))
    assert world.gateway.verify_event(signed(world, body, time.time() - 240)).paid


def test_a_notification_naming_another_platform_key_is_refused(world):
    _, notification = paid(world)
    other = replace(notification, headers={**notification.headers, "wechatpay-serial": "PUB_KEY_ID_SOMEONE_ELSE"})
    with pytest.raises(InvalidSignature):
        world.gateway.verify_event(other)


@pytest.mark.parametrize("field", ["mchid", "appid"])
def test_a_notification_for_another_merchant_or_app_is_refused(world, field):
    body = world.sandbox.notification_body("TRANSACTION.SUCCESS", "transaction", "支付成功",
                                           trade(world, "ord-1001", **{field: "1999999999"}))
    with pytest.raises(InvalidSignature):
        world.gateway.verify_event(signed(world, body))


def test_a_tampered_ciphertext_is_refused_even_when_signed_again(world):
    _, notification = paid(world)
    envelope = json.loads(notification.body)
    ciphertext = envelope["resource"]["ciphertext"]
    envelope["resource"]["ciphertext"] = ("A" if ciphertext[0] != "A" else "B") + ciphertext[1:]
    body = json.dumps(envelope).encode()
    with pytest.raises(InvalidSignature):
        world.gateway.verify_event(replace(notification, body=body))
    with pytest.raises(InvalidSignature):
        world.gateway.verify_event(signed(world, body))


def test_a_closed_trade_or_an_unknown_event_is_other(world):
    closed = world.sandbox.notification_body("TRANSACTION.SUCCESS", "transaction", "关闭",
                                             trade(world, "ord-1001", trade_state="CLOSED"))
    assert world.gateway.verify_event(signed(world, closed)).kind is PaymentKind.OTHER
    body = json.dumps({"id": "EV-1", "event_type": "MCHTRANSFER.BILL.FINISHED", "resource": {}}).encode()
    assert world.gateway.verify_event(signed(world, body)).kind is PaymentKind.OTHER


def test_the_harness_cases_are_refused(tmp_path):
    harness = make_harness(tmp_path)
    try:
        request = order()
        session = harness.gateway.create_session(request)
        notification = harness.pay(session, request, None)
        assert harness.gateway.verify_event(notification).paid
        for broken in (harness.forge(notification), harness.unsigned(notification), harness.tamper(notification),
                       harness.stale(session, request)):
            with pytest.raises(InvalidSignature):
                harness.gateway.verify_event(broken)
    finally:
        harness.close()


# re-sending


def test_a_notification_the_shop_refused_is_sent_again_until_taken(world):
    world.webhook.statuses[:] = [500]
    _, first = paid(world)
    assert len(world.sandbox.outbox.pending()) == 1
    assert world.sandbox.resend_due(now=time.time() + 3600) == 1
    again = world.webhook.sent[-1]
    assert json.loads(again.body)["id"] == json.loads(first.body)["id"]
    assert world.gateway.verify_event(again).id == world.gateway.verify_event(first).id
    assert world.sandbox.outbox.pending() == []
    assert world.sandbox.resend_due(now=time.time() + 7200) == 0


# query and close


def test_the_query_finds_nothing_before_payment_and_the_payment_after(world):
    assert world.gateway.session_payment("ord-unknown") is None
    session = world.gateway.create_session(order())
    assert world.gateway.session_payment(session.id) is None
    paid_event = world.gateway.verify_event(paid_notification(world, session))
    found = world.gateway.session_payment(session.id)
    assert found.id == "wechat:found:ord-1001"
    assert (found.kind, found.paid, found.amount, found.payment_ref) == (PaymentKind.COMPLETED, True, 2500,
                                                                        paid_event.payment_ref)


def paid_notification(world: WechatWorld, session) -> Notification:
    before = len(world.webhook.sent)
    world.pay_page(session)
    return world.webhook.wait_for(before + 1)[before]


def test_a_closed_trade_takes_no_money(world):
    session = world.gateway.create_session(order())
    world.gateway.expire_session(session.id)
    assert "已关闭" in world.pay_page(session).text
    assert world.webhook.sent == [] and world.gateway.session_payment(session.id) is None
    world.gateway.expire_session(session.id)


def test_closing_a_paid_or_unknown_trade_is_fine_but_an_outage_is_not(world, tmp_path):
    session, _ = paid(world)
    world.gateway.expire_session(session.id)
    world.gateway.expire_session("ord-never-opened")
    down = WechatGateway(**{**world.sandbox.keys.gateway_args(), "gateway_url": "http://127.0.0.1:9"})
    with pytest.raises(Exception):
        down.expire_session(session.id)


def test_the_sandbox_refuses_a_request_not_signed_by_the_merchant(world):
    answer = requests.get(f"{world.base_url}/v3/pay/transactions/out-trade-no/ord-1001?mchid=1900000109",
                          headers={"Authorization": 'WECHATPAY2-SHA256-RSA2048 mchid="1900000109",nonce_str="x",'
                                                    'signature="AAAA",timestamp="1",serial_no="00"'}, timeout=10)
    assert answer.status_code == 401 and answer.json()["code"] == "SIGN_ERROR"


# refunds


def test_a_refund_is_asked_once_per_number_and_notified_when_settled(world):
    _, notification = paid(world)
    payment = world.gateway.verify_event(notification)
    refund_id = world.gateway.refund(payment.payment_ref, 1000, "ord-1001")
    assert refund_id == "wechat:refund-ord-1001-1000"
    assert world.gateway.refund(payment.payment_ref, 1000, "ord-1001") == refund_id
    settled = world.webhook.wait_for(2)[1]
    assert world.webhook.urls[1] == NOTIFY_URL
    event = world.gateway.verify_event(settled)
    assert (event.kind, event.refund_id, event.order_id, event.amount, event.refund_status) == (
        PaymentKind.REFUND_UPDATED, refund_id, "ord-1001", 1000, "SUCCESS")
    # 1000 of 2500 went back once: the rest, 1500, can still be refunded, but no more.
    with pytest.raises(WechatPayError):
        world.gateway.refund(payment.payment_ref, 1600, "ord-1001")
    assert world.gateway.refund(payment.payment_ref, 1500, "ord-1001") == "wechat:refund-ord-1001-1500"


def test_a_refund_of_nothing_is_refused(world):
    with pytest.raises(ValueError):
        world.gateway.refund("4200000000", 0, "ord-1001")


@pytest.mark.parametrize("event_type", ["REFUND.ABNORMAL", "REFUND.CLOSED"])
def test_a_refund_that_failed_reads_as_failed(world, event_type):
    keys = world.sandbox.keys
    refund = {"mchid": keys.mchid, "out_trade_no": "ord-1001", "transaction_id": "4200", "refund_id": "5030",
              "out_refund_no": "refund-ord-1001-full", "refund_status": event_type.split(".")[1],
              "amount": {"total": 2500, "refund": 2500, "payer_total": 2500, "payer_refund": 2500}}
    body = world.sandbox.notification_body(event_type, "refund", "退款异常", refund)
    event = world.gateway.verify_event(signed(world, body))
    assert (event.kind, event.refund_id) == (PaymentKind.REFUND_FAILED, "wechat:refund-ord-1001-full")


# 分账


def test_a_station_share_is_split_once_and_taken_back_before_a_refund(world):
    session, notification = paid(world, order(payout_account="1900000200"))
    payment = world.gateway.verify_event(notification)
    split_id = world.gateway.split(payment.payment_ref, session.id, "1900000200", 2000)
    assert split_id.startswith("3008")
    assert world.gateway.split(payment.payment_ref, session.id, "1900000200", 2000) == split_id
    first = TakeBack("1900000200", 500, 500)
    back = world.gateway.split_back(payment.payment_ref, session.id, first)
    # The same step asked again (a refund retried after a failure) is the same return order, not a second one.
    assert world.gateway.split_back(payment.payment_ref, session.id, first) == back
    world.gateway.split_back(payment.payment_ref, session.id, TakeBack("1900000200", 1500, 2000))
    # All 2000 came back: a further step is a new request, and refused.
    with pytest.raises(WechatPayError):
        world.gateway.split_back(payment.payment_ref, session.id, TakeBack("1900000200", 1, 2001))



def test_a_trade_opened_without_profit_sharing_cannot_be_split(world):
    session, notification = paid(world)
    with pytest.raises(WechatPayError) as refused:
        world.gateway.split(world.gateway.verify_event(notification).payment_ref, session.id, "1900000200", 100)
    assert refused.value.code == "NO_AUTH"


# construction


def test_credentials_are_checked_at_start_and_kept_out_of_repr(world):
    args = world.sandbox.keys.gateway_args()
    for broken in ({"private_key_pem": "not a key"}, {"apiv3_key": "short"}, {"mchid": ""},
                   {"public_key_pem": None, "public_key_id": None}, {"public_key_pem": "-----BEGIN PUBLIC KEY-----"}):
        with pytest.raises(ValueError):
            WechatGateway(**{**args, **broken})
    shown = repr(WechatGateway(**args))
    assert args["apiv3_key"] not in shown and "PRIVATE" not in shown


def test_the_sandbox_keys_are_kept_private_and_reused(tmp_path):
    from kameng.adapters.sandbox_wechat_keys import FOLDER, sandbox_keys

    first = sandbox_keys(tmp_path)
    assert {oct(path.stat().st_mode & 0o777) for path in (tmp_path / FOLDER).iterdir()} == {"0o600"}
    again = sandbox_keys(tmp_path)
    assert again == first and again.public_key_id.startswith("PUB_KEY_ID_SANDBOX") and len(again.apiv3_key) == 32
    assert again.merchant_private_pem != again.platform_private_pem
