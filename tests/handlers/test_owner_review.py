"""The console's review of orders the risk rules hold: staff see them, only owners approve or reject."""
from __future__ import annotations

import pytest

from kameng.domain.order import OrderStatus
from kameng.domain.risk import RiskRules
from tests.handlers.test_owner_orders import delivered as paid_order
from tests.support.owners import make_owner


def held_order(deps, station, sku):
    book = deps.store.price_books.price_book(station)
    deps.store.price_books.put_price_book(book.model_copy(update={"risk": RiskRules(review_above=10000)}))
    return paid_order(deps, station, sku)  # held for review, not delivered


@pytest.fixture
def world(deps, stations, sku_with_keys):
    sku = sku_with_keys(8).sku
    return {
        "order": held_order(deps, stations.substation, sku),
        "owner": make_owner(deps, "owner@game-zone.example", "station_owner", stations.substation),
        "staff": make_owner(deps, "staff@game-zone.example", "staff", stations.substation),
        "other": make_owner(deps, "owner@shop.example", "station_owner", stations.main),
    }


def test_staff_see_the_held_order_and_its_rule_but_may_not_approve(deps, world):
    order = world["order"]
    shown = world["staff"].call("GET", f"/api/owner/orders/{order.id}")
    assert shown.json["order"]["status"] == "needs_review"
    assert shown.json["order"]["review"] == "large_order_amount: total 21000 > 10000"
    answer = world["staff"].call("POST", f"/api/owner/orders/{order.id}/approve", {})
    assert (answer.status, answer.code) == (403, "forbidden")
    assert deps.store.orders.order(order.id).status is OrderStatus.NEEDS_REVIEW


def test_an_owner_approves_and_the_order_is_delivered(deps, world):
    answer = world["owner"].call("POST", f"/api/owner/orders/{world['order'].id}/approve", {})
    assert answer.status == 200 and answer.json["order"]["status"] == "delivered"


def test_an_owner_rejects_and_the_order_is_refunded(deps, world):
    answer = world["owner"].call("POST", f"/api/owner/orders/{world['order'].id}/reject", {"reason": "盗刷"})
    stored = deps.store.orders.order(world["order"].id)
    assert answer.status == 200 and stored.status is OrderStatus.REFUNDED
    assert stored.attention_reason == "risk_rejected: 盗刷"


def test_another_stations_owner_finds_no_such_order(world):
    answer = world["other"].call("POST", f"/api/owner/orders/{world['order'].id}/approve", {})
    missing = world["other"].call("POST", "/api/owner/orders/01ZZZZZZZZZZZZZZZZZZZZZZZZ/approve", {})
    assert (answer.status, answer.code) == (404, "not_found") and answer.body == missing.body
