"""What the console shows of orders that are not delivered from stock: a top-up's tries at its suppliers and
the buyer's account masked, a manual order waiting for its owner, and the owner's message as its delivery."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from kameng.services import audit, lookup
from tests.supply.fulfilment_world import MANUAL, TOP_UP, build_world
from tests.support.owners import make_owner

PHONE = "13800138000"


@pytest.fixture
def world(deps, stations, clock):
    shop = build_world(deps, stations, clock, knobs={"sim-a": {"failure_rate": 1.0}})
    owner = make_owner(shop.deps, "owner@game-zone.example", "station_owner", stations.substation)
    staff = make_owner(shop.deps, "staff@game-zone.example", "staff", stations.substation)
    return shop, owner, staff


def test_the_owner_reads_a_top_ups_supply_attempts_and_the_buyers_account_masked(world):
    shop, owner, _ = world
    order = shop.buy(TOP_UP, phone=PHONE)

    answer = owner.call("GET", f"/api/owner/orders/{order.id}")

    assert answer.status == 200
    shown = answer.json
    assert shown["order"]["delivery"] == "supplier"
    assert shown["order"]["buyer_fields"] == {"phone": "138******00"}
    assert PHONE not in answer.body
    assert shown["order"]["receipt"] == order.receipt
    tries = shown["supply_attempts"]
    assert [(t["supplier"], t["status"]) for t in tries] == [("sim-a", "failed"), ("sim-b", "delivered")]
    assert tries[1]["quantity_delivered"] == 1 and tries[1]["unit_cost"] == 4900 and tries[1]["currency"] == "CNY"
    assert len({t["request_id"] for t in tries}) == 2 and all(t["started_at"] for t in tries)


def test_a_manual_order_is_listed_as_awaiting_delivery_and_delivered_with_the_owners_message(world):
    shop, owner, _ = world
    manual = shop.buy(MANUAL)
    shop.buy(TOP_UP, phone=PHONE)
    station = shop.stations.substation

    waiting = owner.call("GET", f"/api/owner/stations/{station}/orders", query={"status": "awaiting_delivery"})
    assert [o["id"] for o in waiting.json["orders"]] == [manual.id]
    detail = owner.call("GET", f"/api/owner/orders/{manual.id}").json["order"]
    assert detail["delivery"] == "manual" and detail["delivery_hours"] == 24
    left = datetime.fromisoformat(detail["deliver_by"]) - shop.deps.clock()
    assert timedelta(hours=23, minutes=59) <= left <= timedelta(hours=24)

    message = "账号 abc123 已开通 <b>密码已发邮件</b>"
    done = owner.call("POST", f"/api/owner/orders/{manual.id}/deliver", body={"message": message})

    assert done.status == 200 and done.json["order"]["status"] == "delivered"
    # The shopper's order page gets the text as it was typed; the page sets it as text.
    assert lookup.view(shop.order(manual.id), shop.deps)["message"] == message
    entry = [e for e in audit.entries(shop.deps) if e.action == "order.deliver"][-1]
    assert message not in repr(entry)
    assert owner.call("GET", f"/api/owner/stations/{station}/orders",
                      query={"status": "awaiting_delivery"}).json["orders"] == []


def test_an_empty_message_or_a_staff_member_cannot_deliver_a_manual_order(world):
    shop, owner, staff = world
    manual = shop.buy(MANUAL)

    empty = owner.call("POST", f"/api/owner/orders/{manual.id}/deliver", body={"message": "   "})
    refused = staff.call("POST", f"/api/owner/orders/{manual.id}/deliver", body={"message": "done"})

    assert empty.status == 400 and empty.code == "invalid_request"
    assert refused.status == 403
    assert shop.order(manual.id).status.value == "awaiting_delivery"
