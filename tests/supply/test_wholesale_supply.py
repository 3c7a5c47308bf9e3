"""What a reseller buys through the wholesale API that the upstream itself buys from its suppliers: a top-up
sent on through the upstream's own routing, card keys bought on demand; what it cannot buy is not offered."""
from __future__ import annotations

import json

import pytest

from kameng.domain.wholesale import request_headers
from kameng.handlers import wholesale as handlers
from kameng.services import resellers
from tests.conftest import build_api_event
from tests.supply.fulfilment_world import CARD, LOOP, MANUAL, TOP_UP, build_world

ORDERS = "/api/wholesale/orders"


@pytest.fixture
def shop(deps, stations, clock):
    return build_world(deps, stations, clock)


@pytest.fixture
def reseller(shop):
    record, secret = resellers.add_reseller(shop.deps, "test", "下游平台", 0)
    resellers.top_up(shop.deps, "test", record.id, 1_000_000, "opening")
    return record.id, secret.encode()


def call(shop, reseller, method: str, path: str, body: dict | None = None) -> dict:
    data = b"" if body is None else json.dumps(body).encode()
    headers = request_headers(reseller[0], reseller[1], method, path, data, shop.deps.clock())
    if body is not None:
        headers["content-type"] = "application/json"
    handler = handlers.place_order if method == "POST" else handlers.get_catalogue
    response = handler(build_api_event(method, path, body=data.decode() if body is not None else None, headers=headers))
    return {"http": response["statusCode"], **json.loads(response["body"])}


def test_a_top_up_bought_wholesale_goes_through_the_upstreams_own_suppliers(shop, reseller):
    answer = call(shop, reseller, "POST", ORDERS, {"request_id": "r-1", "sku": TOP_UP, "quantity": 1,
                                                 "max_unit_cost": 10_000, "buyer_fields": {"phone": "13800138000"}})

    assert (answer["http"], answer["status"]) == (200, "delivered")
    assert (answer["quantity_delivered"], answer["keys"]) == (1, []) and answer["receipt"]
    order = shop.order(answer["order_id"])
    assert [a.supplier for a in shop.attempts(order)] == ["sim-a"]


def test_a_top_up_with_a_wrong_account_is_refused_and_not_charged(shop, reseller):
    answer = call(shop, reseller, "POST", ORDERS, {"request_id": "r-2", "sku": TOP_UP, "quantity": 1,
                                                 "max_unit_cost": 10_000, "buyer_fields": {"phone": "42"}})
    assert (answer["http"], answer["error"]["reason"]) == (422, "invalid_account")
    assert shop.deps.store.resellers.balance(reseller[0])[0] == 1_000_000


def test_card_keys_the_upstream_does_not_hold_are_bought_for_the_reseller(shop, reseller):
    answer = call(shop, reseller, "POST", ORDERS, {"request_id": "r-3", "sku": CARD, "quantity": 2,
                                                 "max_unit_cost": 10_000})
    assert (answer["http"], answer["status"], len(answer["keys"])) == (200, "delivered", 2)


def test_the_feed_offers_card_keys_and_top_ups_but_no_loop_or_manual_goods(shop, reseller):
    offers = {o["sku"]: o for o in call(shop, reseller, "GET", "/api/wholesale/catalogue")["offers"]}
    assert TOP_UP in offers and CARD in offers and LOOP not in offers and MANUAL not in offers
    assert (offers[TOP_UP]["kind"], offers[TOP_UP]["fields"], offers[TOP_UP]["stock"]) == ("direct", ["phone"], None)


def test_a_top_up_no_supplier_could_do_is_refunded_to_the_resellers_balance_once(deps, stations, clock):
    shop = build_world(deps, stations, clock, knobs={name: {"failure_rate": 1.0} for name in ("sim-a", "sim-b", "sim-c")})
    record, secret = resellers.add_reseller(shop.deps, "test", "下游平台", 0)
    resellers.top_up(shop.deps, "test", record.id, 100_000, "opening")
    reseller = (record.id, secret.encode())
    body = {"request_id": "r-9", "sku": TOP_UP, "quantity": 1, "max_unit_cost": 10_000,
            "buyer_fields": {"phone": "13800138000"}}

    first = call(shop, reseller, "POST", ORDERS, body)
    again = call(shop, reseller, "POST", ORDERS, body)

    assert (first["status"], first["charged"]) == ("failed", False) and again["status"] == "failed"
    assert shop.order(first["order_id"]).status.value == "refunded"
    assert shop.deps.store.resellers.balance(record.id)[0] == 100_000  # paid back once, to the balance
    assert shop.ledger_sum(shop.order(first["order_id"])) == 0
