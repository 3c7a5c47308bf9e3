"""The 易支付 rail for the contract suite: EpayGateway talking over HTTP to EpaySandbox on 127.0.0.1."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from kameng.adapters.gateway_epay import EpayGateway, fen, yuan
from kameng.adapters.sandbox_epay import EpaySandbox
from kameng.ports.outside import Notification, PaymentSession, SessionRequest
from tests.rails.harness import Harness
from tests.supply.recharge_platform import Served

MOUNT = "/_sandbox/epay"


@dataclass
class Sent:
    method: str
    url: str
    body: bytes
    headers: dict


@dataclass
class EpayWorld:
    sandbox: EpaySandbox
    served: Served
    base_url: str
    sent: list[Sent] = field(default_factory=list)
    # What the shop answers the sandbox's notifications with.
    reply: tuple[int, bytes] | int = (200, b"success")

    def gateway(self, **options) -> EpayGateway:
        return EpayGateway(self.base_url, self.sandbox.pid, self.sandbox.key, **options)

    def open_page(self, session: PaymentSession) -> requests.Response:
        return requests.get(session.url, timeout=5, allow_redirects=False)

    def pay(self, session: PaymentSession, request: SessionRequest, amount: int | None = None) -> requests.Response:
        """Open the pay page the session leads to and press its button for `amount` fen (the total by default)."""
        page = self.open_page(session)
        page.raise_for_status()
        trade_no = re.search(r'name="trade_no" value="([0-9]+)"', page.text).group(1)
        return requests.post(f"{self.base_url}/pay.php", timeout=5, allow_redirects=False,
                             data={"trade_no": trade_no, "amount": request.total if amount is None else amount})

    def last_notification(self) -> Notification:
        return Notification(body=b"", headers={}, query=urlsplit(self.sent[-1].url).query)

    def close(self) -> None:
        self.served.stop()


def make_world(tmp_path: Path) -> EpayWorld:
    holder: list[EpayWorld] = []

    def send(method: str, url: str, body: bytes, headers: dict):
        holder[0].sent.append(Sent(method, url, body, headers))
        return holder[0].reply

    def app(environ, start_response):
        return holder[0].sandbox(environ, start_response)

    served = Served(app)
    base_url = served.url + MOUNT
    holder.append(EpayWorld(EpaySandbox(tmp_path / "epay-sandbox", base_url, send=send), served, base_url))
    return holder[0]


def edit(notification: Notification, **changes: str | None) -> Notification:
    """The notification with fields changed (None: removed), in the order they came."""
    pairs = [(name, changes.get(name, value)) for name, value in parse_qsl(notification.query, keep_blank_values=True)]
    return Notification(body=notification.body, headers=notification.headers,
                        query=urlencode([(name, value) for name, value in pairs if value is not None]))


def forge(notification: Notification) -> Notification:
    sign = dict(parse_qsl(notification.query))["sign"]
    return edit(notification, sign=("0" if sign[0] != "0" else "1") + sign[1:])


def unsigned(notification: Notification) -> Notification:
    return edit(notification, sign=None, sign_type=None)


def tamper(notification: Notification) -> Notification:
    money = dict(parse_qsl(notification.query))["money"]
    return edit(notification, money=yuan(fen(money) + 100))


def make_harness(tmp_path: Path) -> Harness:
    world = make_world(tmp_path)

    def pay(session: PaymentSession, request: SessionRequest, amount: int | None) -> Notification:
        world.pay(session, request, amount)
        return world.last_notification()

    return Harness(rail="epay", gateway=world.gateway(), pay=pay, forge=forge, unsigned=unsigned, tamper=tamper,
                   stale=None, close=world.close)
