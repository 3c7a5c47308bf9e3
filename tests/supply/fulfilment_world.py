"""A shop whose SKUs are bought from three simulated suppliers, with the test's clock as theirs."""
from __future__ import annotations

import dataclasses
from datetime import timedelta
from dataclasses import dataclass
from typing import Any

from kameng import wiring
from kameng.adapters.supplier_directory import SupplierDirectory
from kameng.deps import Deps
from kameng.domain.fulfilment import BuyerField, Kind, SupplyOffer
from kameng.domain.order import Order
from kameng.domain.price_book import PriceBook, PricedSku
from kameng.domain.supply import SupplierSource
from kameng.services.checkout import CheckoutRequest, place

PHONE = BuyerField(name="phone", label={"zh-CN": "手机号码", "en": "Phone number"}, pattern=r"1[3-9]\d{9}",
                   example="13800138000")
SUPPLIERS = ("sim-a", "sim-b", "sim-c")
TOP_UP = "cmcc-50-direct"
CARD = "steam-100-supplied"
MANUAL = "boost-rank"
LOOP = "shared-video"
EMAIL = "buyer@example.com"


def simulator(name: str, **knobs: Any) -> SupplierSource:
    products = [
        {"code": "CMCC50", "title": "移动话费 50 元", "cost": 4900, "kind": "direct", "fields": ["phone"]},
        {"code": "STEAM100", "title": "Steam 100 元", "cost": 9200, "stock": 1000},
    ]
    return SupplierSource(name=name, kind="simulator", settings={"products": products, "balance": 10**8,
                                                                 "settings": {"timeout": 5.0, **knobs}})


def line(sku: str, kind: Kind, price: int, **fields: Any) -> PricedSku:
    return PricedSku(sku=sku, product=sku, title=sku, price=price, wholesale=price - 100, min_quantity=1,
                     max_quantity=5, low_stock=0, kind=kind, **fields)


@dataclass
class World:
    deps: Deps
    stations: Any

    def order(self, order_id: str) -> Order:
        found = self.deps.store.orders.order(order_id)
        assert found is not None
        return found

    def place(self, sku: str, quantity: int = 1, station: str | None = None, **fields: str) -> Order:
        request = CheckoutRequest(station=station or self.stations.substation, sku=sku, quantity=quantity,
                                  email=EMAIL, query_password="8642", fields=fields or None)
        return place(request, self.deps).order

    def pay(self, order: Order) -> Order:
        self.deps.gateway.pay(self.order(order.id).payment_session, "card")
        return self.order(order.id)

    def buy(self, sku: str, quantity: int = 1, **fields: str) -> Order:
        return self.pay(self.place(sku, quantity, **fields))

    def later(self, **delta: float) -> None:
        self.deps.clock.now += timedelta(**delta)  # type: ignore[attr-defined]

    def attempts(self, order: Order) -> list:
        return self.deps.store.supply_attempts.attempts_of(order.id)

    def simulator(self, name: str):
        assert self.deps.suppliers is not None
        return self.deps.suppliers.supplier(name)

    def ledger_sum(self, order: Order) -> int:
        return sum(entry.amount for entry in self.deps.store.orders.ledger(order.id))


def build_world(deps: Deps, stations: Any, clock: Any, knobs: dict[str, dict[str, Any]] | None = None,
                offers: tuple[str, ...] = SUPPLIERS) -> World:
    knobs = knobs or {}
    sources = {name: simulator(name, **knobs.get(name, {})) for name in SUPPLIERS}
    top_up = tuple(SupplyOffer(supplier=name, product="CMCC50", cost=4900 + i * 10) for i, name in enumerate(offers))
    card = tuple(SupplyOffer(supplier=name, product="STEAM100", cost=9200 + i * 10) for i, name in enumerate(offers))
    lines = [
        line(TOP_UP, Kind.DIRECT, 5000, fields=(PHONE,), supply=top_up),
        line(CARD, Kind.CARD_KEY, 9900, supply=card),
        line(MANUAL, Kind.MANUAL, 3000, delivery_hours=24),
        line(LOOP, Kind.LOOP, 800, loop_limit=2),
    ]
    for priced in lines:
        stations.main_lines[priced.sku] = priced
        stations.substation_lines[priced.sku] = priced.model_copy(update={"price": priced.price + 50})
    stations.publish()
    main = deps.store.price_books.price_book(stations.main)
    assert main is not None
    deps.store.price_books.put_price_book(PriceBook.model_validate(main.model_dump() | {"suppliers": sources}))
    directory = SupplierDirectory(lambda: sources, environ={}, clock=clock,
                                  sleep=lambda seconds: clock.advance(seconds=seconds))
    chosen = dataclasses.replace(deps, suppliers=directory)
    wiring.use(chosen)
    return World(chosen, stations)
