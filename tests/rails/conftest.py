"""The shop around one rail: its real adapter and sandbox, checkout on it, its notifications through the webhook."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from kameng import wiring
from kameng.adapters.rail_directory import RailDirectory
from kameng.handlers import webhook
from kameng.ports.outside import Notification, PaymentSession, SessionRequest
from kameng.services import checkout
from tests.conftest import build_api_event
from tests.rails.harness import Harness


@pytest.fixture
def rail_shop(deps, clock, sku_with_keys, stations):
    """The substation taking one rail alone (`receivers`: its own accounts for 分账), 3 keys of one SKU in stock,
    at today's date (the rails' sandboxes date what they send by the real clock)."""

    def open_shop(harness: Harness, receivers: dict[str, str] | None = None, gateway=None, **book_changes):
        clock.now = datetime.now(timezone.utc).replace(microsecond=0)
        stocked = sku_with_keys(3, price=4800, wholesale=4500, substation_price=4950)
        book = deps.store.price_books.price_book(stations.substation)
        deps.store.price_books.put_price_book(book.model_copy(update={
            "rails": (harness.rail,), "receivers": receivers or {}, **book_changes}))
        chosen_gateway = gateway or harness.gateway
        chosen = dataclasses.replace(deps, gateway=chosen_gateway if harness.rail == "stripe" else deps.gateway,
                                     rails=RailDirectory({harness.rail: lambda: chosen_gateway}))
        wiring.use(chosen)
        return chosen, stocked

    return open_shop


def place(shop, stations, rail: Harness, quantity: int = 1):
    deps, stocked = shop
    placed = checkout.place(checkout.CheckoutRequest(
        station=stations.substation, sku=stocked.sku, quantity=quantity, email="buyer@example.com",
        query_password="8866-qp", rail=rail.rail), deps)
    order = deps.store.orders.order(placed.order.id)
    assert order.rail == rail.rail and order.payment_session
    return order


def request_of(order) -> SessionRequest:
    return SessionRequest(
        order_id=order.id, station=order.station, title=order.title, quantity=order.quantity,
        unit_price=order.unit_price, total=order.total, currency=order.currency, email=order.email,
        success_url="https://shop.example/order/", cancel_url="https://shop.example/",
        expires_at=datetime.now(timezone.utc) + timedelta(minutes=15))


def session_of(order) -> PaymentSession:
    """The session as checkout opened it, from what the order keeps (services/pay_rails.kept_url)."""
    show, _, content = (order.payment_url or "").partition(":")
    if show in ("qr", "jsapi", "transfer"):
        return PaymentSession(order.payment_session, content, show)
    return PaymentSession(order.payment_session, order.payment_url)


def post_notification(rail_name: str, notification: Notification) -> dict:
    """The rail's notification as API Gateway hands it to the webhook function."""
    event = build_api_event("POST", f"/api/webhooks/{rail_name}", body=notification.body or None,
                            headers=dict(notification.headers), path_params={"rail": rail_name},
                            route="/api/webhooks/{rail}")
    event["rawQueryString"] = notification.query
    return webhook.handler(event, None)
