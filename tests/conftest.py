"""The world the core suites run in.

A temp data dir; deps built by `wiring.build` exactly as a process builds them,
but with a clock the test turns; a main station and a substation with
published price books; SKUs stocked through the real import service.
Webhooks travel the way Stripe sends them: the sandbox gateway signs each
event and hands it, as an API Gateway v2 event, to the webhook handler, which
verifies the signature before reading a byte of it.
"""
from __future__ import annotations

import base64
import dataclasses
import itertools
import json
import secrets
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import stripe

from kameng import config, wiring
from kameng.deps import Deps
from kameng.domain.price_book import PriceBook, PricedSku
from kameng.handlers import webhook
from kameng.ports.store import StockCount
from kameng.services import import_keys

EVENTS = Path(__file__).parent / "events"
MAIN = "main"
SUBSTATION = "game-zone"
# On a 10-minute boundary, so rate-limit windows start where the test starts.
START = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


# ---------------------------------------------------------------- events by name


def load_event(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))


def _with_body(event: dict, body: Any, content_type: str | None) -> dict:
    headers = event["headers"]
    if body is None:
        event.pop("body", None)
        event["isBase64Encoded"] = False
        headers.pop("content-type", None)
        headers.pop("content-length", None)
        return event
    if not isinstance(body, (str, bytes, bytearray)):
        body = json.dumps(body)
        content_type = content_type or "application/json"
    data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    try:
        event["body"], event["isBase64Encoded"] = data.decode("utf-8"), False
    except UnicodeDecodeError:
        # API Gateway hands bodies that are not UTF-8 text over base64-encoded.
        event["body"], event["isBase64Encoded"] = base64.b64encode(data).decode(), True
    if content_type:
        headers["content-type"] = content_type
    headers["content-length"] = str(len(data))
    return event


def build_api_event(
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    path_params: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    source_ip: str = "203.0.113.24",
    route: str | None = None,
) -> dict:
    """An API Gateway HTTP API (payload 2.0) event, shaped from a recorded one."""
    event = load_event("apigw_v2_order_get")
    route_key = f"{method} {route or path}"
    event.update(routeKey=route_key, rawPath=path, rawQueryString=urlencode(query or {}))
    event.pop("pathParameters", None)
    event.pop("queryStringParameters", None)
    if path_params is not None:
        event["pathParameters"] = path_params
    if query is not None:
        event["queryStringParameters"] = query
    context = event["requestContext"]
    context["routeKey"] = route_key
    context["http"].update(method=method, path=path, sourceIp=source_ip)
    event["headers"]["x-forwarded-for"] = source_ip
    explicit = {k.lower(): v for k, v in (headers or {}).items()}
    _with_body(event, body, explicit.get("content-type"))
    event["headers"].update(explicit)
    return event


def checkout_event(fields: dict[str, Any], form: bool = False, source_ip: str = "203.0.113.24") -> dict:
    """The recorded checkout request (JSON or a no-JavaScript form post) carrying these fields."""
    if form:
        event = load_event("apigw_v2_checkout_form")
        data = urlencode({k: str(v) for k, v in fields.items()}).encode()
        event["body"] = base64.b64encode(data).decode()
        event["headers"]["content-length"] = str(len(data))
    else:
        event = load_event("apigw_v2_checkout_json")
        _with_body(event, fields, "application/json")
    event["requestContext"]["http"]["sourceIp"] = source_ip
    return event


def webhook_event(payload: bytes, signature: str | None) -> dict:
    """Stripe's POST to the webhook route as API Gateway hands it over; None: no signature header."""
    event = load_event("apigw_v2_webhook_stripe")
    event["body"] = payload.decode("utf-8")
    event["headers"]["content-length"] = str(len(payload))
    if signature is None:
        del event["headers"]["stripe-signature"]
    else:
        event["headers"]["stripe-signature"] = signature
    return event


def stripe_event(
    name: str,
    *,
    order_id: str,
    amount: int,
    currency: str = "cny",
    session_id: str | None = None,
    event_id: str | None = None,
) -> dict:
    """A recorded Stripe event, filled for one order; a fresh event id unless one is given."""
    event = load_event(name)
    event["id"] = event_id or f"evt_{secrets.token_hex(12)}"
    session = event["data"]["object"]
    session["client_reference_id"] = order_id
    session["metadata"]["order_id"] = order_id
    session["amount_total"] = session["amount_subtotal"] = amount
    session["currency"] = currency
    if session_id:
        session["id"] = session_id
    return event


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(payload.decode("utf-8"), secret, timestamp)


def encode(event: dict) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()


# ---------------------------------------------------------------- time and deps


class Clock:
    """Time that moves only when the test moves it."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class Delivery:
    event: dict
    response: dict


class WebhookRefused(AssertionError):
    pass


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "var"


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def webhook_deliveries() -> list[Delivery]:
    return []


@pytest.fixture
def deps(data_dir, clock, webhook_deliveries) -> Deps:
    built = wiring.build(config.load({"KAMENG_DATA_DIR": str(data_dir)}))
    chosen = dataclasses.replace(built, clock=clock)

    def send(payload: bytes, headers: dict[str, str]) -> None:
        response = webhook.handler(webhook_event(payload, headers.get("stripe-signature")))
        webhook_deliveries.append(Delivery(json.loads(payload), response))
        # The sandbox's HTTP sender raises on a refused delivery; so does this one.
        if response["statusCode"] != 200:
            raise WebhookRefused(f"webhook answered {response['statusCode']}: {response['body']}")

    chosen.gateway.send = send
    wiring.use(chosen)
    yield chosen
    wiring.use(None)


# ---------------------------------------------------------------- stations, price books, stock


@dataclass
class Stations:
    deps: Deps
    main: str = MAIN
    substation: str = SUBSTATION
    main_lines: dict[str, PricedSku] = field(default_factory=dict)
    substation_lines: dict[str, PricedSku] = field(default_factory=dict)

    def publish(self) -> None:
        self.deps.store.price_books.put_price_book(PriceBook(station=self.main, domain="shop.example", currency="CNY", skus=self.main_lines))
        self.deps.store.price_books.put_price_book(PriceBook(
            station=self.substation, domain="game-zone.example", currency="CNY", skus=self.substation_lines))

    def add(self, line: PricedSku, substation_price: int | None) -> None:
        self.main_lines[line.sku] = line
        if substation_price is not None:
            self.substation_lines[line.sku] = line.model_copy(update={"price": substation_price})
        self.publish()


@pytest.fixture
def stations(deps) -> Stations:
    published = Stations(deps)
    published.publish()
    return published


@dataclass
class StockedSku:
    sku: str
    codes: list[str]
    passwords: list[str | None]
    main_price: int
    substation_price: int | None
    wholesale: int
    max_quantity: int
    deps: Deps

    @property
    def imported(self) -> int:
        return len(self.codes)

    def stock(self) -> StockCount:
        return self.deps.store.inventory.stock([self.sku])[self.sku]


_sku_numbers = itertools.count(1)


@pytest.fixture
def sku_with_keys(deps, stations):
    """A fresh SKU in both price books, with `n` keys imported through the import service."""

    def stock(
        n: int,
        *,
        price: int = 10200,
        wholesale: int = 9500,
        substation_price: int | None = 10500,
        min_quantity: int = 1,
        max_quantity: int = 5,
        low_stock: int = 3,
        passwords: bool = False,
    ) -> StockedSku:
        sku = f"steam-wallet-{next(_sku_numbers)}"
        stations.add(
            PricedSku(sku=sku, product="steam-wallet", title=f"Steam 钱包充值卡 {sku}", price=price, wholesale=wholesale,
                      min_quantity=min_quantity, max_quantity=max_quantity, low_stock=low_stock),
            substation_price,
        )
        codes = [f"STM{secrets.token_hex(8).upper()}" for _ in range(n)]
        secret_words = [f"PW{secrets.token_hex(5)}" if passwords else None for _ in range(n)]
        lines = [f"{c},{p}\n" if p else f"{c}\n" for c, p in zip(codes, secret_words)]
        report = import_keys.import_lines(sku, lines, passwords, deps)
        assert (report.imported, report.duplicates, report.malformed) == (n, 0, 0)
        return StockedSku(sku, codes, secret_words, price, substation_price, wholesale, max_quantity, deps)

    return stock


# ---------------------------------------------------------------- helpers handed to tests


@pytest.fixture
def api_event():
    return build_api_event


@pytest.fixture
def events():
    """Recorded payloads by name: API Gateway v2 requests and Stripe events, filled per test."""

    class Events:
        load = staticmethod(load_event)
        checkout = staticmethod(checkout_event)
        webhook = staticmethod(webhook_event)
        stripe = staticmethod(stripe_event)
        sign = staticmethod(sign)
        encode = staticmethod(encode)

    return Events


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails loudly: these suites run on one machine, in-process."""

    def refuse(self, *args, **kwargs):
        raise RuntimeError(f"network access in a test that must not use the network: connect{args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
