"""A low-stock alert goes to whoever restocks the SKU: the platform owner for the main station's supply, the
substation's own owners for its own goods (独立商品库)."""
from __future__ import annotations

import dataclasses

import pytest

from kameng import wiring
from kameng.domain.price_book import PricedSku
from kameng.services import import_keys
from kameng.services.checkout import CheckoutRequest, place
from tests.support.owners import make_owner

PLATFORM = "root@shop.example"
SUB_OWNER = "owner@game-zone.example"


@pytest.fixture
def shop(deps, stations):
    chosen = dataclasses.replace(deps, settings=dataclasses.replace(deps.settings, owner_email=PLATFORM))
    wiring.use(chosen)
    stations.substation_lines["coach-1h"] = PricedSku(
        sku="coach-1h", product="game-zone-coach", title="代练 1 小时", price=3000, wholesale=1200,
        min_quantity=1, max_quantity=5, low_stock=2, owner=stations.substation)
    stations.publish()
    import_keys.import_lines("coach-1h", [f"COACH{n:06d}\n" for n in range(3)], False, chosen)
    make_owner(chosen, SUB_OWNER, "station_owner", stations.substation)
    make_owner(chosen, "staff@game-zone.example", "staff", stations.substation)
    yield chosen
    wiring.use(None)


def buy(deps, station, sku):
    order = place(CheckoutRequest(station=station, sku=sku, quantity=1, email="b@example.com",
                                  query_password="8642"), deps).order
    deps.gateway.pay(deps.store.orders.order(order.id).payment_session, "card")


def alerts(deps, sku):
    return [m["To"] for m in deps.mail.sent() if sku in m["Subject"]]


def test_a_substations_own_goods_running_low_alert_its_owner_not_the_platform(shop, stations):
    buy(shop, stations.substation, "coach-1h")
    assert alerts(shop, "coach-1h") == []
    buy(shop, stations.substation, "coach-1h")  # 1 left, below its threshold of 2
    assert alerts(shop, "coach-1h") == [SUB_OWNER]


def test_a_restock_of_own_goods_rearms_their_alert(shop, stations):
    buy(shop, stations.substation, "coach-1h")
    buy(shop, stations.substation, "coach-1h")
    import_keys.import_lines("coach-1h", ["COACHMORE1\n", "COACHMORE2\n"], False, shop)
    buy(shop, stations.substation, "coach-1h")
    buy(shop, stations.substation, "coach-1h")
    assert alerts(shop, "coach-1h") == [SUB_OWNER, SUB_OWNER]


def test_the_main_stations_supply_still_alerts_the_platform_owner(shop, stations, sku_with_keys):
    stocked = sku_with_keys(3, low_stock=2)
    buy(shop, stations.substation, stocked.sku)
    buy(shop, stations.substation, stocked.sku)
    assert alerts(shop, stocked.sku) == [PLATFORM]
