"""Alipay for the rails suite: AlipayGateway over the SDK, talking HTTP to AlipaySandbox on 127.0.0.1."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import requests

from kameng.adapters.gateway_alipay import AlipayGateway, yuan
from kameng.adapters.sandbox_alipay import AlipaySandbox
from kameng.adapters.sandbox_alipay_keys import sandbox_keys
from kameng.ports.outside import Notification, PaymentSession, SessionRequest
from tests.rails.harness import Harness
from tests.supply.recharge_platform import Served

MOUNT = "/_sandbox/alipay"
FORM = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}


@dataclass
class Shop:
    """Where the sandbox posts its notifications: kept, and answered with `answers` in turn (then success)."""

    sent: list[tuple[str, str, bytes, dict]] = field(default_factory=list)
    answers: list[tuple[int, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, method: str, url: str, body: bytes, headers: dict) -> tuple[int, bytes]:
        with self.lock:
            self.sent.append((method, url, body, headers))
            return self.answers.pop(0) if self.answers else (200, b"success")

    def last(self, out_trade_no: str) -> Notification:
        for _, _, body, headers in reversed(self.sent):
            if dict(parse_qsl(body.decode())).get("out_trade_no") == out_trade_no:
                return Notification(body=body, headers={k.lower(): v for k, v in headers.items()})
        raise AssertionError(f"no notification was sent for {out_trade_no}")


@dataclass
class AlipayWorld:
    sandbox: AlipaySandbox
    gateway: AlipayGateway
    shop: Shop
    served: Served

    @property
    def base_url(self) -> str:
        return self.sandbox.base_url

    def open(self, session: PaymentSession) -> requests.Response:
        """The payer's browser opens the session's page (or scans its QR code)."""
        return requests.get(session.url, timeout=5)

    def press(self, order_id: str, action: str, amount: int | None = None) -> requests.Response:
        form = {"action": action, **({"amount_fen": str(amount)} if amount is not None else {})}
        return requests.post(f"{self.base_url}/pay/{order_id}", data=form, allow_redirects=False, timeout=5)

    def pay(self, session: PaymentSession, request: SessionRequest, amount: int | None = None) -> Notification:
        self.open(session).raise_for_status()
        self.press(request.order_id, "paid", amount)
        return self.shop.last(request.order_id)

    def stale(self, session: PaymentSession, request: SessionRequest) -> Notification:
        self.open(session).raise_for_status()
        sent_at = datetime.now(timezone.utc) - timedelta(hours=27)
        body = self.sandbox.notification(request.order_id, sent_at, trade_status="TRADE_SUCCESS")
        return Notification(body=body, headers=dict(FORM))

    def close(self) -> None:
        self.served.stop()


def start(tmp_path: Path, **gateway_options) -> AlipayWorld:
    shop = Shop()
    holder: dict = {}
    served = Served(lambda environ, start_response: holder["app"](environ, start_response))
    sandbox = AlipaySandbox(tmp_path / "alipay", f"{served.url}{MOUNT}", send=shop)
    holder["app"] = sandbox
    keys = sandbox_keys(tmp_path / "alipay")
    gateway = AlipayGateway(sandbox.app_id, keys.app_private, keys.alipay_public, sandbox.gateway_url,
                            timeout=5, **gateway_options)
    return AlipayWorld(sandbox, gateway, shop, served)


def _fields(notification: Notification) -> dict[str, str]:
    return dict(parse_qsl(notification.body.decode(), keep_blank_values=True))


def _with(notification: Notification, fields: dict[str, str]) -> Notification:
    return Notification(body=urlencode(fields).encode(), headers=notification.headers, query=notification.query)


def forge(notification: Notification) -> Notification:
    fields = _fields(notification)
    sign = fields["sign"]
    fields["sign"] = ("B" if sign[0] != "B" else "C") + sign[1:]
    return _with(notification, fields)


def unsigned(notification: Notification) -> Notification:
    fields = _fields(notification)
    fields.pop("sign")
    return _with(notification, fields)


def tamper(notification: Notification) -> Notification:
    fields = _fields(notification)
    total = round(float(fields["total_amount"]) * 100)
    fields["total_amount"] = yuan(total + 100)
    return _with(notification, fields)


def make_harness(tmp_path: Path) -> Harness:
    world = start(tmp_path)
    return Harness(rail="alipay", gateway=world.gateway, pay=world.pay, forge=forge, unsigned=unsigned,
                   tamper=tamper, stale=world.stale, close=world.close)
