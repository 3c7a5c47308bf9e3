"""The 易支付 rail over real HTTP: EpayGateway against the sandbox aggregator on 127.0.0.1."""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests

from kameng.adapters.gateway_epay import EpayGateway, fen, sign, signed, yuan
from kameng.domain.errors import GatewayUnavailable, InvalidRequest, InvalidSignature
from kameng.domain.order import PaymentKind
from kameng.ports.outside import Notification, SessionRequest, Show
from tests.rails.harness_epay import edit, forge, make_world, tamper, unsigned

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rails" / "epay"


@pytest.fixture
def world(tmp_path):
    world = make_world(tmp_path)
    yield world
    world.close()


def order(order_id: str = "ord_epay_1", total: int = 1234, device: str = "desktop") -> SessionRequest:
    return SessionRequest(
        order_id=order_id, station="main", title="Steam 钱包 100 元", quantity=1, unit_price=total, total=total,
        currency="CNY", email="buyer@example.com", success_url="https://shop.example/orders/ord_epay_1?paid=1",
        cancel_url="https://shop.example/", expires_at=datetime.now(timezone.utc) + timedelta(minutes=15),
        notify_url="https://shop.example/api/webhooks/epay", device=device, client_ip="203.0.113.24")


def paid(world, gateway=None, request=None, amount=None):
    gateway = gateway or world.gateway()
    request = request or order()
    session = gateway.create_session(request)
    answer = world.pay(session, request, amount)
    return gateway, session, answer


# paying by the browser form (submit.php)

def test_submit_session_sends_the_shopper_to_the_signed_pay_form(world):
    request = order()
    session = world.gateway(sitename="卡盟").create_session(request)

    params = dict(parse_qsl(urlsplit(session.url).query))
    assert session.url.startswith(f"{world.base_url}/submit.php?")
    assert session.id == request.order_id and session.show == Show.REDIRECT
    assert params["money"] == "12.34" and params["out_trade_no"] == request.order_id
    assert params["notify_url"] == request.notify_url and params["return_url"] == request.success_url
    assert params["type"] == "alipay" and params["sitename"] == "卡盟" and params["sign_type"] == "MD5"
    assert world.open_page(session).status_code == 200


def test_a_paid_trade_notifies_by_get_and_reads_as_a_completed_payment(world):
    gateway, session, answer = paid(world)

    assert world.sent[-1].method == "GET" and world.sent[-1].url.startswith("https://shop.example/api/webhooks/epay?")
    fields = dict(parse_qsl(world.last_notification().query, keep_blank_values=True))
    assert set(fields) == {"pid", "trade_no", "out_trade_no", "type", "name", "money", "trade_status", "param",
                           "sign", "sign_type"}
    event = gateway.verify_event(world.last_notification())
    assert event.kind == PaymentKind.COMPLETED and event.paid
    assert event.id == f"epay:{fields['trade_no']}" and event.payment_ref == fields["trade_no"]
    assert (event.order_id, event.session_id, event.amount, event.currency) == ("ord_epay_1", "ord_epay_1", 1234, "CNY")
    ack = gateway.acknowledge(event)
    assert (ack.status, ack.content_type, ack.body) == (200, "text/plain", b"success")


def test_the_browser_goes_back_to_the_return_url_with_the_signed_fields(world):
    gateway, _, answer = paid(world)

    assert answer.status_code == 302
    back = answer.headers["Location"]
    assert back.startswith("https://shop.example/orders/ord_epay_1?paid=1&")
    signed_back = edit(Notification(body=b"", query=urlsplit(back).query), paid=None)  # the shop's own field
    assert gateway.verify_event(signed_back).amount == 1234


def test_the_same_notification_again_is_the_same_event(world):
    gateway, _, _ = paid(world)
    first = gateway.verify_event(world.last_notification())
    assert gateway.verify_event(world.last_notification()).id == first.id


def test_a_short_payment_reports_what_was_paid(world):
    gateway, _, _ = paid(world, amount=1233)
    assert gateway.verify_event(world.last_notification()).amount == 1233


def test_a_notification_posted_as_a_form_is_read_as_well(world):
    gateway, _, _ = paid(world)
    posted = Notification(body=world.last_notification().query.encode(),
                          headers={"content-type": "application/x-www-form-urlencoded"})
    assert gateway.verify_event(posted).kind == PaymentKind.COMPLETED


def test_a_closed_pay_page_takes_no_money(world):
    gateway = world.gateway()
    request = order()
    session = gateway.create_session(request)
    page = world.open_page(session)
    trade_no = page.text.split('name="trade_no" value="')[1].split('"')[0]

    closed = requests.post(f"{world.base_url}/pay.php", data={"trade_no": trade_no, "action": "close"}, timeout=5)
    again = requests.post(f"{world.base_url}/pay.php", data={"trade_no": trade_no, "amount": 1234}, timeout=5)

    assert "已关闭" in closed.text and again.status_code == 409
    assert world.sent == [] and gateway.session_payment(request.order_id) is None


def test_the_sandbox_refuses_a_pay_form_with_a_wrong_signature(world):
    params = world.gateway().pay_params(order())
    params["money"] = "0.01"
    answer = requests.get(f"{world.base_url}/submit.php", params=params, timeout=5)
    assert answer.status_code == 400 and "签名" in answer.text


# paying by the server call (mapi.php)

def test_mapi_returns_a_pay_url_to_open(world):
    gateway = world.gateway(server_side=True)
    gateway, session, _ = paid(world, gateway=gateway)
    assert session.show == Show.REDIRECT and session.url.startswith(f"{world.base_url}/pay.php?")
    assert gateway.verify_event(world.last_notification()).amount == 1234


def test_mapi_inside_wechat_pays_by_wxpay_and_shows_a_code_to_scan(world):
    gateway = world.gateway(server_side=True)
    request = order(device="wechat")
    session = gateway.create_session(request)
    world.pay(session, request)

    assert session.show == Show.QR
    assert dict(parse_qsl(world.last_notification().query))["type"] == "wxpay"


def test_mapi_refusal_raises_with_the_aggregators_reason(world):
    gateway = EpayGateway(world.base_url, world.sandbox.pid, "not-the-key", server_side=True)
    with pytest.raises(GatewayUnavailable, match="签名校验失败"):
        gateway.create_session(order())


def test_an_unreachable_aggregator_is_unavailable_without_the_key_in_the_message(world):
    gateway = EpayGateway("http://127.0.0.1:9", world.sandbox.pid, world.sandbox.key)
    with pytest.raises(GatewayUnavailable) as raised:
        gateway.session_payment("ord_epay_1")
    assert world.sandbox.key not in str(raised.value)


# what is not believed

def test_a_notification_without_a_signature_is_refused(world):
    gateway, _, _ = paid(world)
    with pytest.raises(InvalidSignature):
        gateway.verify_event(unsigned(world.last_notification()))


def test_a_forged_signature_is_refused(world):
    gateway, _, _ = paid(world)
    with pytest.raises(InvalidSignature):
        gateway.verify_event(forge(world.last_notification()))


def test_a_tampered_amount_is_refused(world):
    gateway, _, _ = paid(world)
    with pytest.raises(InvalidSignature):
        gateway.verify_event(tamper(world.last_notification()))


def test_a_notification_for_another_merchant_is_refused_even_signed_with_our_key(world):
    gateway, _, _ = paid(world)
    fields = dict(parse_qsl(world.last_notification().query, keep_blank_values=True)) | {"pid": "9999"}
    resigned = Notification(body=b"", query=urlencode(signed(fields, world.sandbox.key)))
    with pytest.raises(InvalidSignature, match="商户"):
        gateway.verify_event(resigned)


def test_a_field_given_twice_is_refused(world):
    gateway, _, _ = paid(world)
    doubled = Notification(body=b"", query=world.last_notification().query + "&money=0.01")
    with pytest.raises(InvalidSignature):
        gateway.verify_event(doubled)


def test_a_signed_notification_that_is_not_a_payment_changes_nothing(world):
    gateway, _, _ = paid(world)
    fields = dict(parse_qsl(world.last_notification().query, keep_blank_values=True)) | {"trade_status": "TRADE_CLOSED"}
    event = gateway.verify_event(Notification(body=b"", query=urlencode(signed(fields, world.sandbox.key))))
    assert event.kind == PaymentKind.OTHER and not event.paid and event.id.endswith(":TRADE_CLOSED")


@pytest.mark.parametrize("changes", [{"money": "12.345"}, {"money": "abc"}, {"out_trade_no": None}])
def test_a_signed_but_malformed_payment_is_a_bad_request(world, changes):
    gateway, _, _ = paid(world)
    fields = {name: value for name, value in {
        **dict(parse_qsl(world.last_notification().query, keep_blank_values=True)), **changes}.items()
        if value is not None}
    with pytest.raises(InvalidRequest):
        gateway.verify_event(Notification(body=b"", query=urlencode(signed(fields, world.sandbox.key))))


def test_the_documented_notification_verifies(tmp_path):
    fixture = json.loads((FIXTURES / "notification.json").read_text(encoding="utf-8"))
    gateway = EpayGateway("https://pay.example", "1001", fixture["key"])

    event = gateway.verify_event(Notification(body=b"", query=fixture["query"]))

    assert event.id == "epay:20160806151343349021" and event.order_id == "20160806151343349"
    assert event.amount == 100 and event.kind == PaymentKind.COMPLETED
    fields = dict(parse_qsl(fixture["query"], keep_blank_values=True))
    assert sign(fields, fixture["key"]) == fields["sign"]


# asking the aggregator

def test_the_order_query_finds_a_paid_trade_only(world):
    gateway = world.gateway()
    request = order()
    session = gateway.create_session(request)
    world.open_page(session)
    assert gateway.session_payment(request.order_id) is None
    assert gateway.session_payment("ord_nobody_made") is None

    world.pay(session, request, 1233)
    event = gateway.session_payment(request.order_id)

    assert event.id == "epay:found:ord_epay_1" and event.kind == PaymentKind.COMPLETED and event.paid
    assert event.amount == 1233 and event.payment_ref == gateway.verify_event(world.last_notification()).payment_ref


def test_the_order_query_with_a_wrong_key_is_an_error_not_an_unpaid_order(world):
    gateway = EpayGateway(world.base_url, world.sandbox.pid, "not-the-key")
    with pytest.raises(GatewayUnavailable, match="KEY"):
        gateway.session_payment("ord_epay_1")


def test_expiring_a_session_asks_nothing(world):
    assert world.gateway(server_side=True).expire_session("ord_epay_1") is None


# giving money back

def test_a_refund_is_made_once_per_order_amount_and_attempt(world):
    gateway, _, _ = paid(world)
    ref = gateway.verify_event(world.last_notification()).payment_ref

    first = gateway.refund(ref, 100, "ord_epay_1")
    again = gateway.refund(ref, 100, "ord_epay_1")
    retried = gateway.refund(ref, 100, "ord_epay_1", attempt=1)

    assert first == again == "epay:refund:refund-ord_epay_1-100"
    assert retried != first and world.sandbox.refunds("ord_epay_1") == [100, 100]


def test_a_full_refund_gives_back_what_was_paid(world):
    gateway, _, _ = paid(world, amount=1233)
    ref = gateway.verify_event(world.last_notification()).payment_ref

    assert gateway.refund(ref, None, "ord_epay_1") == "epay:refund:refund-ord_epay_1-full"
    assert world.sandbox.refunds("ord_epay_1") == [1233]
    with pytest.raises(GatewayUnavailable, match="退款"):
        gateway.refund(ref, 1, "ord_epay_1")




def test_the_gateway_loads_no_sdk_at_import():
    import subprocess
    import sys

    loaded = subprocess.run([sys.executable, "-c", "import sys, kameng.adapters.gateway_epay as g; "
                             "print(sorted(m for m in ('stripe', 'requests', 'alipay') if m in sys.modules))"],
                            capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[2] / "functions")
    assert loaded.stdout.strip() == "[]"


def test_a_refund_must_be_positive(world):
    with pytest.raises(ValueError):
        world.gateway().refund("2026", 0, "ord_epay_1")


# notifications the shop did not take

def test_a_notification_not_answered_success_is_sent_again(world):
    world.reply = (200, b"fail")
    gateway, _, _ = paid(world)
    assert len(world.sent) == 1 and len(world.sandbox.outbox.pending()) == 1

    assert world.sandbox.resend_due(now=time.time() + 3600) == 0
    world.reply = (200, b"success")
    assert world.sandbox.resend_due(now=time.time() + 7200) == 1

    assert len(world.sent) == 3 and world.sent[0].url == world.sent[-1].url
    assert world.sandbox.outbox.pending() == []
    assert world.sandbox.resend_due(now=time.time() + 99999) == 0


def test_a_server_error_is_sent_again_too(world):
    world.reply = (503, b"")
    paid(world)
    world.reply = (200, b"success")
    assert world.sandbox.resend_due(now=time.time() + 3600) == 1


# set-up

@pytest.mark.parametrize("args", [
    ("", "1001", "k"), ("ftp://pay.example", "1001", "k"), ("https://pay.example", "", "k"),
    ("https://pay.example", "1001", "")])
def test_missing_or_unusable_credentials_fail_at_start(args):
    with pytest.raises(ValueError):
        EpayGateway(*args)


def test_an_unknown_method_fails_at_start():
    with pytest.raises(ValueError):
        EpayGateway("https://pay.example", "1001", "k", methods=("paypal",))


def test_the_key_stays_out_of_repr():
    assert "sekrit" not in repr(EpayGateway("https://pay.example", "1001", "sekrit"))


def test_other_currencies_are_refused(world):
    with pytest.raises(ValueError):
        world.gateway().create_session(SessionRequest(**{**order().__dict__, "currency": "USD"}))


def test_money_is_yuan_with_two_decimals():
    assert (yuan(1234), yuan(5), yuan(100)) == ("12.34", "0.05", "1.00")
    assert (fen("12.34"), fen("12.3"), fen("12")) == (1234, 1230, 1200)
    for bad in ("1e2", "-1.00", "1.001", " 1.00", ""):
        with pytest.raises(ValueError):
            fen(bad)


def test_the_sandbox_keeps_its_merchant_across_restarts(world, tmp_path):
    from kameng.adapters.sandbox_epay import sandbox_keys

    assert sandbox_keys(tmp_path / "epay-sandbox") == (world.sandbox.pid, world.sandbox.key)
    assert (tmp_path / "epay-sandbox" / "sandbox-epay.key").stat().st_mode & 0o077 == 0


def test_the_sandbox_notifies_a_real_shop_over_http_and_waits_for_success(tmp_path):
    from kameng.adapters.sandbox_epay import EpaySandbox
    from tests.supply.recharge_platform import Served

    heard: list[str] = []
    answer = {"text": b"fail"}

    def shop(environ, start_response):
        heard.append(environ["QUERY_STRING"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [answer["text"]]

    served = Served(shop)
    try:
        sandbox = EpaySandbox(tmp_path / "sandbox", "http://sandbox.invalid/_sandbox/epay")
        gateway = EpayGateway("http://sandbox.invalid", sandbox.pid, sandbox.key)
        request = SessionRequest(**{**order().__dict__, "notify_url": f"{served.url}/api/webhooks/epay"})
        trade, error = sandbox.open_trade(gateway.pay_params(request))
        assert error == ""
        sandbox.pay(trade["trade_no"], request.total)
        answer["text"] = b"success"
        assert sandbox.resend_due(now=time.time() + 3600) == 1
    finally:
        served.stop()

    assert len(heard) == 2 and heard[0] == heard[1]
    assert gateway.verify_event(Notification(body=b"", query=heard[0])).amount == 1234
