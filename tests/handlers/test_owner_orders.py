"""The console's orders API: search, one order with masked keys, an audited reveal, resend and refunds,
each within the owner's role and station."""
from __future__ import annotations

import pytest

from kameng.domain.order import OrderStatus
from kameng.services import audit
from kameng.services.checkout import CheckoutRequest, place
from tests.support.owners import make_owner


def delivered(deps, station, sku, quantity=2, email="buyer@example.com"):
    request = CheckoutRequest(station=station, sku=sku, quantity=quantity, email=email, query_password="8642")
    order = place(request, deps).order
    deps.gateway.pay(deps.store.orders.order(order.id).payment_session, "card")
    return deps.store.orders.order(order.id)


@pytest.fixture
def world(deps, stations, sku_with_keys):
    sku = sku_with_keys(8).sku
    return {
        "sub_order": delivered(deps, stations.substation, sku),
        "main_order": delivered(deps, stations.main, sku, email="other@example.com"),
        "sub_owner": make_owner(deps, "owner@game-zone.example", "station_owner", stations.substation),
        "staff": make_owner(deps, "staff@game-zone.example", "staff", stations.substation),
        "station": stations.substation,
    }


def test_a_station_owner_finds_their_orders_newest_first_with_emails_masked(world):
    answer = world["sub_owner"].call("GET", f"/api/owner/stations/{world['station']}/orders")

    assert answer.status == 200
    assert [o["id"] for o in answer.json["orders"]] == [world["sub_order"].id]
    assert answer.json["orders"][0]["email"] == "b***r@example.com"


def test_orders_are_found_by_email_and_paged_by_cursor(deps, world, stations, sku_with_keys, clock):
    sku = sku_with_keys(4).sku
    clock.advance(minutes=1)
    newer = delivered(deps, stations.substation, sku, quantity=1)
    path = f"/api/owner/stations/{world['station']}/orders"

    first = world["sub_owner"].call("GET", path, query={"email": "BUYER@example.com", "limit": "1"})
    second = world["sub_owner"].call("GET", path, query={"email": "buyer@example.com", "limit": "1",
                                                         "cursor": first.json["next_cursor"]})

    assert [o["id"] for o in first.json["orders"]] == [newer.id]
    assert [o["id"] for o in second.json["orders"]] == [world["sub_order"].id]
    assert second.json["next_cursor"] is None


def test_the_search_exports_as_csv(world):
    answer = world["sub_owner"].call("GET", f"/api/owner/stations/{world['station']}/orders", query={"format": "csv"})

    assert answer.headers["content-type"].startswith("text/csv")
    assert world["sub_order"].id in answer.body and "buyer@example.com" not in answer.body


def test_another_stations_orders_are_not_found(world):
    assert world["sub_owner"].call("GET", "/api/owner/stations/main/orders").status == 404
    assert world["sub_owner"].call("GET", f"/api/owner/orders/{world['main_order'].id}").status == 404
    assert world["sub_owner"].call("POST", f"/api/owner/orders/{world['main_order'].id}/refund", {}).status == 404


def test_an_order_shows_masked_keys_and_its_ledger(world):
    answer = world["sub_owner"].call("GET", f"/api/owner/orders/{world['sub_order'].id}")

    assert answer.status == 200
    assert len(answer.json["keys"]) == 2 and all("code" not in k for k in answer.json["keys"])
    assert sum(e["amount"] for e in answer.json["ledger"]) == 0
    assert answer.json["order"]["email"] == "b***r@example.com"


def test_a_revealed_key_is_audited_without_the_key(deps, world):
    order = world["sub_order"]
    key_id = order.key_ids[0]

    answer = world["staff"].call("POST", f"/api/owner/orders/{order.id}/keys/{key_id}/reveal", {})

    entry = list(audit.entries(deps))[-1]
    assert answer.status == 200 and answer.json["code"].startswith("STM")
    assert (entry.actor, entry.action, entry.after) == ("staff@game-zone.example", "key.reveal", {"key_id": key_id})
    assert answer.json["code"] not in str(entry)


def test_the_delivery_mail_is_resent_a_few_times_an_hour(deps, world):
    path = f"/api/owner/orders/{world['sub_order'].id}/resend"
    answers = [world["staff"].call("POST", path, {}).status for _ in range(4)]
    assert answers == [200, 200, 200, 429]


def test_staff_may_not_refund(world):
    answer = world["staff"].call("POST", f"/api/owner/orders/{world['sub_order'].id}/refund", {"reason": "x"})
    assert (answer.status, answer.code) == (403, "forbidden")


def test_an_owner_refunds_one_key_then_the_rest(deps, world):
    order = world["sub_order"]
    path = f"/api/owner/orders/{order.id}/refund"

    one = world["sub_owner"].call("POST", path, {"key_ids": [order.key_ids[1]], "reason": "坏卡"})
    rest = world["sub_owner"].call("POST", path, {"key_ids": list(order.key_ids)})

    stored = deps.store.orders.order(order.id)
    assert one.status == 200 and one.json["order"]["status"] == "delivered"
    assert rest.status == 200 and stored.status is OrderStatus.REFUNDED
    assert [e.action for e in audit.entries(deps)][-2:] == ["order.refund_keys", "order.refund_keys"]


def test_a_refund_without_keys_refunds_the_whole_order(deps, world):
    answer = world["sub_owner"].call("POST", f"/api/owner/orders/{world['sub_order'].id}/refund", {"reason": "r"})
    assert answer.status == 200 and deps.store.orders.order(world["sub_order"].id).status is OrderStatus.REFUNDED


@pytest.mark.parametrize("method,suffix,body", [("GET", "", None), ("POST", "/refund", {"reason": "x"}),
                                               ("POST", "/deliver", {}), ("POST", "/resend", {})])
def test_another_stations_order_answers_exactly_as_a_missing_one(world, method, suffix, body):
    owner = world["sub_owner"]
    elsewhere = owner.call(method, f"/api/owner/orders/{world['main_order'].id}{suffix}", body)
    missing = owner.call(method, f"/api/owner/orders/01ZZZZZZZZZZZZZZZZZZZZZZZZ{suffix}", body)
    assert (elsewhere.status, elsewhere.code) == (404, "not_found")
    assert elsewhere.body == missing.body
