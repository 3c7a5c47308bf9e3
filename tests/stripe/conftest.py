"""The Stripe gateway against recorded Stripe API answers, offline.

`RecordingClient` plugs into stripe-python where its HTTP library would: it
subclasses `stripe.HTTPClient` and implements `request` (the library's own
`request_with_retries` calls it, retries included) and `close`. It records
every request as sent on the wire (method, URL, headers, form body) and
answers with the next scripted response, read from tests/events/stripe_api.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe

from kameng.adapters.gateway_stripe import StripeGateway
from kameng.ports.outside import SessionRequest

API = Path(__file__).parents[1] / "events" / "stripe_api"
API_KEY = "sk_test_51QwKamengRecordedKey0000000000000000000000000000000000000000000000000000000000000000"
WEBHOOK_SECRET = "whsec_" + "7" * 48
NOW = datetime(2026, 3, 2, 8, 0, 30, tzinfo=timezone.utc)
ORDER = "01JNM8Z4Y6T3K2Q9W7E5R1V0XB"


def recorded(name: str) -> dict:
    return json.loads((API / f"{name}.json").read_text(encoding="utf-8"))


@dataclass
class Sent:
    method: str
    url: str
    headers: dict[str, str]
    body: str | None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def form(self) -> dict[str, str]:
        """The form body with Stripe's bracketed keys kept flat: {"line_items[0][quantity]": "1", ...}."""
        return dict(parse_qsl(self.body or "", keep_blank_values=True))

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True))


class RecordingClient(stripe.HTTPClient):
    name = "recording"

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[tuple[int, str]] = []
        self.sent: list[Sent] = []

    def answer(self, name: str, status: int = 200) -> "RecordingClient":
        self.answers.append((status, json.dumps(recorded(name))))
        return self

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        self.sent.append(Sent(method, url, dict(headers or {}), post_data))
        if not self.answers:
            raise AssertionError(f"unexpected Stripe request: {method.upper()} {url}")
        status, body = self.answers.pop(0)
        return body, status, {"Request-Id": f"req_recorded_{len(self.sent)}"}

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):
        raise AssertionError("the gateway never streams")

    def close(self) -> None:
        pass

    def _sleep_time_seconds(self, num_retries: int) -> float:
        return 0.0  # the library backs off between retries; a test need not wait

    @property
    def last(self) -> Sent:
        return self.sent[-1]


@pytest.fixture(autouse=True)
def _stripe_tests_cannot_open_a_socket(no_network):
    yield


@pytest.fixture
def api() -> RecordingClient:
    client = RecordingClient()
    yield client
    assert not client.answers, f"scripted answers never asked for: {len(client.answers)}"


@pytest.fixture
def gateway(api) -> StripeGateway:
    return StripeGateway(API_KEY, WEBHOOK_SECRET, http_client=api, clock=lambda: NOW)


def session_request(**changes) -> SessionRequest:
    fields = dict(
        order_id=ORDER, station="game-zone", title="Steam 钱包充值卡 100 元", quantity=1, unit_price=10500,
        total=10500, currency="CNY", email="buyer@example.com",
        success_url=f"https://game-zone.shop.example/order/?id={ORDER}#t=tok_abc",
        cancel_url="https://game-zone.shop.example/p/steam-wallet/",
        expires_at=NOW + timedelta(minutes=15),
    )
    fields.update(changes)
    return SessionRequest(**fields)
