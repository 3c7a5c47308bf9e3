"""A supplier slower than the HTTP API's 30 s: the wholesale order is answered "pending" (202) within the
wait budget, and the reseller's retry with the same request id finds the same order, never a second purchase."""
from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta

import pytest

from kameng.adapters.supplier_simulator import SupplierSimulator
from kameng import wiring
from tests.supply.fulfilment_world import TOP_UP
from tests.supply.test_wholesale_supply import ORDERS, call, reseller, shop  # noqa: F401 - the fixtures

BODY = {"request_id": "slow-1", "sku": TOP_UP, "quantity": 1, "max_unit_cost": 10_000,
        "buyer_fields": {"phone": "13800138000"}}


def waiting(shop, seconds: float) -> None:
    settings = dataclasses.replace(shop.deps.settings, wholesale_wait=timedelta(seconds=seconds))
    shop.deps = dataclasses.replace(shop.deps, settings=settings)
    wiring.use(shop.deps)


@pytest.fixture
def slow_supplier(shop, monkeypatch):
    """Every supplier's place() waits for the test's word (10 s at most), then answers as it would have."""
    go, placed = threading.Event(), []
    original = SupplierSimulator.place

    def place(self, request):
        placed.append(request.request_id)
        go.wait(10)
        return original(self, request)

    monkeypatch.setattr(SupplierSimulator, "place", place)
    waiting(shop, 0.2)
    yield go, placed
    go.set()


def test_a_slow_supplier_gets_a_pending_answer_and_the_retry_buys_nothing_more(shop, reseller, slow_supplier):
    go, placed = slow_supplier
    balance = shop.deps.store.resellers.balance(reseller[0])[0]

    first = call(shop, reseller, "POST", ORDERS, BODY)
    again = call(shop, reseller, "POST", ORDERS, BODY)

    assert (first["http"], first["status"], first["charged"]) == (202, "pending", True)
    assert (again["http"], again["status"], again["order_id"]) == (202, "pending", first["order_id"])
    assert len(placed) == 1  # the retry found the order in flight and asked no supplier
    charged_once = shop.deps.store.resellers.balance(reseller[0])[0]
    assert charged_once == balance - first["amount"]

    go.set()  # the supplier answers at last, in the background of the first request
    worker = next(t for t in threading.enumerate() if t.name == f"wholesale-{first['order_id']}")
    worker.join(10)
    done = call(shop, reseller, "POST", ORDERS, BODY)
    assert (done["http"], done["status"], done["order_id"]) == (200, "delivered", first["order_id"])
    assert len(placed) == 1 and shop.deps.store.resellers.balance(reseller[0])[0] == charged_once


def test_a_supplier_within_the_budget_is_answered_delivered_at_once(shop, reseller, slow_supplier, monkeypatch):
    go, placed = slow_supplier
    waiting(shop, 10.0)  # ample: the supplier answers at once
    go.set()
    answer = call(shop, reseller, "POST", ORDERS, BODY)
    assert (answer["http"], answer["status"]) == (200, "delivered") and len(placed) == 1
