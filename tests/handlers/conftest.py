"""A shopper's and a gateway's view of the functions: v2 events in, responses out, all in-process."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from kameng.handlers import checkout as checkout_handler
from kameng.handlers import orders as orders_handler
from kameng.handlers import stock as stock_handler
from kameng.handlers import sweeper as sweeper_handler
from kameng.handlers import webhook as webhook_handler
from kameng.wiring import deps as current_deps

EMAIL = "buyer@example.com"
QUERY_PASSWORD = "8866-qp"


@pytest.fixture(autouse=True)
def _handler_tests_cannot_open_a_socket(no_network):
    yield


@dataclass
class Response:
    raw: dict

    @property
    def status(self) -> int:
        return self.raw["statusCode"]

    @property
    def headers(self) -> dict[str, str]:
        return self.raw.get("headers") or {}

    @property
    def json(self) -> Any:
        assert self.headers.get("content-type", "").startswith("application/json"), self.raw
        return json.loads(self.raw["body"])

    @property
    def error(self) -> dict:
        return self.json["error"]


@dataclass
class Placed:
    response: Response
    station: str
    sku: str

    @property
    def body(self) -> dict:
        return self.response.json

    @property
    def order_id(self) -> str:
        return self.body["order_id"]

    @property
    def token(self) -> str:
        return self.body["order_url"].split("#t=", 1)[1]

    @property
    def session_id(self) -> str:
        # The pay link is the shop's own step; the gateway's session is known to the store.
        return current_deps().store.orders.order(self.order_id).payment_session

    @property
    def total(self) -> int:
        return self.body["total"]


@pytest.fixture
def checkout(deps, events):
    """POST /api/checkout as a shopper's browser sends it."""

    def post(station: str, sku: str, quantity: Any = 1, email: str = EMAIL, query_password: str = QUERY_PASSWORD,
             form: bool = False, source_ip: str = "203.0.113.24", **extra: Any) -> Response:
        fields = {"station": station, "sku": sku, "quantity": quantity, "email": email, "query_password": query_password, **extra}
        return Response(checkout_handler.handler(events.checkout(fields, form=form, source_ip=source_ip), None))

    return post


@pytest.fixture
def open_pay_page(deps, api_event):
    """GET the checkout's pay_url, as the shopper's browser follows it (`proof` replaces the link's own)."""

    def get(placed: Placed, proof: str | None = None) -> Response:
        link = urlsplit(placed.body["pay_url"])
        query = dict(parse_qsl(link.query))
        if proof is not None:
            query["t"] = proof
        event = api_event("GET", link.path, query=query or None, path_params={"id": placed.order_id},
                          route="/api/orders/{id}/pay")
        return Response(orders_handler.open_pay_page(event, None))

    return get


@pytest.fixture
def place(checkout, open_pay_page):
    """A checkout that must succeed, and its pay page opened as the shop's page script does at once."""

    def placed(station: str, sku: str, quantity: int = 1, opened: bool = True, **kwargs: Any) -> Placed:
        response = checkout(station, sku, quantity, **kwargs)
        assert response.status == 201, response.raw
        placed = Placed(response, station, sku)
        if opened:
            assert open_pay_page(placed).status == 303
        return placed

    return placed


@pytest.fixture
def pay(deps, open_pay_page):
    """The shopper follows the pay link and pays on the sandbox pay page; its signed webhooks reach the webhook handler."""

    def paying(placed: Placed, method: str = "card"):
        open_pay_page(placed)
        return deps.gateway.pay(placed.session_id, method)

    return paying


@pytest.fixture
def get_order(deps, api_event):
    """GET /api/orders/{id}, the token as `Authorization: Bearer` or as `?token=`."""

    def get(order_id: str, token: str | None = None, via: str = "bearer") -> Response:
        headers, query = {}, None
        if token is not None and via == "bearer":
            headers["authorization"] = f"Bearer {token}"
        elif token is not None:
            query = {"token": token}
        event = api_event("GET", f"/api/orders/{order_id}", headers=headers, query=query,
                                path_params={"id": order_id}, route="/api/orders/{id}")
        return Response(orders_handler.get_order(event, None))

    return get


@pytest.fixture
def order_view(get_order):
    """What the order page shows its holder."""

    def view(placed: Placed) -> dict:
        response = get_order(placed.order_id, placed.token)
        assert response.status == 200, response.raw
        return response.json["order"]

    return view


@pytest.fixture
def lookup(deps, api_event):
    """POST /api/orders/lookup with e-mail and query password."""

    def post(email: str = EMAIL, query_password: str = QUERY_PASSWORD, source_ip: str = "203.0.113.24", body: Any = None) -> Response:
        fields = {"email": email, "query_password": query_password} if body is None else body
        event = api_event("POST", "/api/orders/lookup", body=fields, source_ip=source_ip)
        return Response(orders_handler.lookup_orders(event, None))

    return post


@pytest.fixture
def stock_of(deps, api_event):
    def get(station: str) -> Response:
        return Response(stock_handler.handler(api_event("GET", "/api/stock", query={"station": station}), None))

    return get


@pytest.fixture
def sweep(deps):
    """One scheduled run of the sweeper function."""

    def run() -> dict:
        return sweeper_handler.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, None)

    return run


@pytest.fixture
def payment_event(events):
    """A recorded Stripe event filled for this order (its amount unless told otherwise)."""

    def fill(placed: Placed, name: str, **overrides: Any) -> dict:
        values = {"order_id": placed.order_id, "amount": placed.total, "currency": placed.body["currency"].lower(),
                  "session_id": placed.session_id}
        values.update(overrides)
        return events.stripe(name, **values)

    return fill


@pytest.fixture
def deliver_webhook(deps, events):
    """POST the event to the webhook function as Stripe would: signed now with the gateway's secret."""

    def post(event: dict | bytes, *, secret: str | None = None, timestamp: int | None = None,
             signature: str | None | bool = True) -> Response:
        payload = event if isinstance(event, bytes) else events.encode(event)
        if signature is True:
            signature = events.sign(payload, secret or deps.gateway.webhook_secret, timestamp)
        elif signature is False:
            signature = None
        return Response(webhook_handler.handler(events.webhook(payload, signature), None))

    return post
