"""The demo shop as `make serve` runs it sells more than stocked card keys: a phone top-up sent to the
simulated suppliers of content/suppliers/, a shared download link, an order the owner fills by hand.
Over HTTP only: checkout → the sandbox pay page → the order page."""
from __future__ import annotations

import time

import pytest

from tests.support.local_shop import Shop, served_shop

PHONE = "13912345678"


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Shop:
    with served_shop(tmp_path_factory.mktemp("demo-supply")) as running:
        seeded = running.kameng("demo-stock", "--json")
        assert seeded.returncode == 0, seeded.stderr
        yield running


def checkout(shop: Shop, station: str, sku: str, **fields: str):
    body = {"station": station, "sku": sku, "quantity": 1, "email": "buyer@example.com", "query_password": "2468", "rail": "stripe"}
    if fields:
        body["fields"] = fields
    return shop.post("/api/checkout", json=body, headers={"Host": shop.host(station)})


def pay(shop: Shop, placed: dict) -> None:
    paid = shop.post(shop.pay_page(placed), data={"action": "pay", "method": "alipay"},
                     headers={"Host": f"localhost:{shop.port}"})
    assert paid.status_code == 303, paid.text


def order(shop: Shop, station: str, placed: dict) -> dict:
    token = placed["order_url"].split("#t=", 1)[1]
    response = shop.get(station, f"/api/orders/{placed['order_id']}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()["order"]


def settled(shop: Shop, station: str, placed: dict, within: float = 60) -> dict:
    """The order once it is delivered or refunded; the sweeper runs every second in this shop."""
    deadline = time.monotonic() + within
    while True:
        seen = order(shop, station, placed)
        if seen["status"] in ("delivered", "refunded") or time.monotonic() > deadline:
            return seen
        time.sleep(0.5)


@pytest.mark.parametrize("station", ["main", "game-zone"])
def test_a_phone_top_up_paid_on_the_sandbox_ends_delivered_with_a_receipt_or_refunded(shop, station):
    placed = checkout(shop, station, "cmcc-direct-50", phone=PHONE)
    assert placed.status_code == 201, placed.text
    pay(shop, placed.json())

    seen = settled(shop, station, placed.json())

    assert seen["status"] in ("delivered", "refunded"), seen
    assert seen["delivery"] == "supplier" and seen["account"] == {"phone": "139******78"}
    if seen["status"] == "delivered":
        assert seen["receipt"] and seen["keys"] == []


def test_a_top_up_to_a_number_that_is_not_a_mobile_number_is_refused_at_checkout(shop):
    refused = checkout(shop, "main", "cmcc-direct-30", phone="02088886666")

    assert refused.status_code == 400
    assert "手机号码格式不正确" in refused.text


def test_the_shared_download_link_is_the_same_for_every_buyer(shop):
    links = []
    for _ in range(2):
        placed = checkout(shop, "av-club", "office-templates-pack")
        assert placed.status_code == 201, placed.text
        pay(shop, placed.json())
        seen = settled(shop, "av-club", placed.json(), within=10)
        assert seen["status"] == "delivered"
        links.append(seen["keys"])

    assert links[0] == links[1] and links[0][0]["code"].startswith("https://pan.example.invalid/s/DEMO-")


def test_a_hand_delivered_game_top_up_waits_for_the_owner_with_its_promised_time(shop):
    placed = checkout(shop, "game-zone", "manual-topup-68", account="102938475", server="官服")
    assert placed.status_code == 201, placed.text
    pay(shop, placed.json())

    seen = order(shop, "game-zone", placed.json())

    assert seen["status"] == "awaiting_delivery" and seen["delivery"] == "manual"
    assert seen["deliver_by"] is not None and seen["account"]["account"] == "102****75"
