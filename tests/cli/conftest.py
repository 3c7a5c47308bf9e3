"""The owner's world for CLI tests: the environment names a temp data folder, and
`kameng` runs in-process, building its deps from that environment as the real
command does. Orders are placed and paid through the real services and the
sandbox gateway, whose webhooks go straight to the webhook handler.
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kameng import cli, wiring
from kameng.deps import Deps
from kameng.domain.order import Order
from kameng.domain.price_book import PriceBook, PricedSku
from kameng.handlers import webhook
from kameng.services.checkout import CheckoutRequest, place

MAIN = "main"
SUBSTATION = "game-zone"
STEAM = "steam-cny-100"
WINDOWS = "windows-11-pro"
# Orders are placed at fixed, whole seconds: ids sort by millisecond, so newest-first is certain.
PLACED_FROM = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)

STEAM_LINE = PricedSku(sku=STEAM, product="steam-wallet", title="Steam 钱包充值卡 100 元", price=9980,
                       wholesale=9650, min_quantity=1, max_quantity=10, low_stock=50)
WINDOWS_LINE = PricedSku(sku=WINDOWS, product="windows-11-pro", title="Windows 11 专业版", price=19900,
                         wholesale=15000, min_quantity=1, max_quantity=5, low_stock=5)
# The substation's own goods: its keys, its price, nobody's wholesale.
COACH = "gz-coach-1h"
COACH_LINE = PricedSku(sku=COACH, product="gamezone-coach-pass", title="游戏地带陪练券 1 小时", price=3000,
                       wholesale=1200, min_quantity=1, max_quantity=10, low_stock=2, owner=SUBSTATION)


@pytest.fixture(autouse=True)
def _cli_tests_cannot_open_a_socket(no_network):
    yield


@dataclass
class Ran:
    code: int
    out: str
    err: str


@pytest.fixture
def kameng(capsys):
    """Run `kameng ARGS...` in-process and capture what it printed."""

    def run(*argv: object) -> Ran:
        capsys.readouterr()
        code = cli.main([str(arg) for arg in argv])
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


@pytest.fixture
def data_env(tmp_path, monkeypatch) -> Path:
    for name in list(os.environ):
        if name.startswith("KAMENG_"):
            monkeypatch.delenv(name)
    data_dir = tmp_path / "var"
    monkeypatch.setenv("KAMENG_DATA_DIR", str(data_dir))
    wiring.use(None)
    yield data_dir
    wiring.use(None)


class Shop:
    """The store the CLI reads, with the owner's and shoppers' actions that fill it."""

    def __init__(self, deps: Deps):
        self.deps = deps
        self.placed = 0
        deps.gateway.send = self._deliver_webhook

    @staticmethod
    def _deliver_webhook(payload: bytes, headers: dict[str, str]) -> None:
        response = webhook.handler({"body": payload.decode(), "headers": headers, "isBase64Encoded": False,
                                    "pathParameters": {"rail": "stripe"}})
        assert response["statusCode"] == 200, response

    def publish(self) -> None:
        store = self.deps.store
        store.price_books.put_price_book(PriceBook(station=MAIN, domain="shop.example", currency="CNY",
                                       skus={STEAM: STEAM_LINE, WINDOWS: WINDOWS_LINE}))
        store.price_books.put_price_book(PriceBook(station=SUBSTATION, domain="game-zone.example", currency="CNY",
                                       skus={STEAM: STEAM_LINE.model_copy(update={"price": 10500})}))

    def add_own_goods(self, line: PricedSku) -> None:
        """The substation's own product (独立商品库): in its price book alone, sold at its station only."""
        book = self.deps.store.price_books.price_book(SUBSTATION)
        self.deps.store.price_books.put_price_book(book.model_copy(update={"skus": book.skus | {line.sku: line}}))

    def place(self, sku: str = STEAM, quantity: int = 1, station: str = SUBSTATION,
              email: str = "buyer@example.com") -> Order:
        # Placed in the past, so each order's reservation has already lapsed for the sweeper.
        moment = PLACED_FROM + timedelta(seconds=self.placed)
        self.placed += 1
        at_that_time = dataclasses.replace(self.deps, clock=lambda: moment)
        request = CheckoutRequest(station=station, sku=sku, quantity=quantity, email=email, query_password="8642")
        return place(request, at_that_time).order

    def pay(self, order: Order) -> Order:
        self.deps.gateway.pay(self.deps.store.orders.order(order.id).payment_session, "card")
        return self.deps.store.orders.order(order.id)

    def stock(self, sku: str = STEAM):
        return self.deps.store.inventory.stock([sku])[sku]


@pytest.fixture
def shop(data_env) -> Shop:
    built = Shop(wiring.deps())
    built.publish()
    return built


@pytest.fixture
def keys_file(tmp_path):
    """Write an import file; `lines` are joined with newlines exactly as given."""

    def write(name: str, lines: list[str], encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
        return path

    return write


def json_of(ran: Ran):
    assert ran.code == 0, ran.err
    return json.loads(ran.out)
