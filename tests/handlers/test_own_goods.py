"""A substation's own goods (独立商品库) from checkout to the statement: sold at its station alone, its keys
imported and voided by its own owner (another station's SKU answers 404), its sale the station's whole."""
from __future__ import annotations

import pytest

from kameng.domain.errors import UnknownSku
from kameng.domain.order import OrderStatus
from kameng.domain.price_book import PriceBook, PricedSku
from kameng.services import audit, import_keys
from kameng.services.checkout import CheckoutRequest, place
from tests.handlers.test_owner_stock import key_file, put_file, upload
from tests.support.owners import make_owner

OTHER = "av-club"


def own_line(sku: str, station: str) -> PricedSku:
    return PricedSku(sku=sku, product=f"{station}-coach", title="代练 1 小时", price=3000, wholesale=1200,
                     min_quantity=1, max_quantity=5, low_stock=2, owner=station)


@pytest.fixture
def world(deps, stations, sku_with_keys):
    resold = sku_with_keys(4)
    stations.substation_lines["coach-1h"] = own_line("coach-1h", stations.substation)
    stations.publish()
    deps.store.price_books.put_price_book(PriceBook(station=OTHER, domain="av.example", currency="CNY",
                                                    skus={"av-vip": own_line("av-vip", OTHER)}))
    import_keys.import_lines("coach-1h", [f"COACH{n:06d}\n" for n in range(3)], False, deps)
    import_keys.import_lines("av-vip", ["AVVIP000001\n"], False, deps)
    return {
        "resold": resold.sku,
        "sub_owner": make_owner(deps, "owner@game-zone.example", "station_owner", stations.substation),
        "main_owner": make_owner(deps, "owner@shop.example", "station_owner", stations.main),
        "platform": make_owner(deps, "root@shop.example", "platform_owner", None),
    }


def buy(deps, station, sku, quantity=1):
    order = place(CheckoutRequest(station=station, sku=sku, quantity=quantity, email="b@example.com",
                                  query_password="8642"), deps).order
    deps.gateway.pay(deps.store.orders.order(order.id).payment_session, "card")
    return deps.store.orders.order(order.id)


# ---------------------------------------------------------------- selling


def test_an_own_product_is_sold_and_delivered_at_its_station_with_no_wholesale_due(deps, world):
    order = buy(deps, "game-zone", "coach-1h", quantity=2)
    assert order.status is OrderStatus.DELIVERED and order.own_goods and len(order.key_ids) == 2
    ledger = {(e.account, e.memo): e.amount for e in deps.store.orders.ledger(order.id)}
    assert ledger == {("shopper:" + order.shopper_key[:16], "paid"): -6000, ("station:game-zone", "sale"): 6000}


def test_an_own_product_is_not_sold_by_main_or_another_station(deps, world):
    for station in ("main", OTHER):
        with pytest.raises(UnknownSku):
            place(CheckoutRequest(station=station, sku="coach-1h", quantity=1, email="b@example.com",
                                  query_password="8642"), deps)


def test_the_statement_shows_own_sales_apart_from_the_resold_goods_margin(deps, world):
    own = buy(deps, "game-zone", "coach-1h")
    resold = buy(deps, "game-zone", world["resold"])
    answer = world["sub_owner"].call("GET", "/api/owner/stations/game-zone/statement")
    lines = {line["order_id"]: line for line in answer.json["lines"]}
    assert (lines[own.id]["own_sales"], lines[own.id]["gross"], lines[own.id]["wholesale"]) == (3000, 0, 0)
    assert (lines[resold.id]["own_sales"], lines[resold.id]["gross"], lines[resold.id]["wholesale"]) == (0, 1000, 9500)
    totals = answer.json["totals"]
    assert (totals["own_sales"], totals["wholesale"], totals["net"]) == (3000, 9500, 4000)


# ---------------------------------------------------------------- stock within the owner's scope


def test_a_substation_owner_sees_and_imports_keys_of_their_own_goods(deps, world):
    rows = {r["sku"]: r for r in world["sub_owner"].call("GET", "/api/owner/stations/game-zone/stock").json["skus"]}
    assert (rows["coach-1h"]["available"], rows["coach-1h"]["own_goods"]) == (3, True)
    assert rows[world["resold"]]["own_goods"] is False
    codes, data = key_file(5)
    target = upload(world["sub_owner"], "coach-1h", data)
    put_file(target, data)
    answer = world["sub_owner"].call("POST", "/api/owner/stock/imports",
                                     {"upload_id": target["upload_id"], "note": "十一月"})
    assert answer.status == 200 and answer.json["added"] == 5, answer.body
    assert deps.store.inventory.stock(["coach-1h"])["coach-1h"].available == 8
    batch = deps.store.key_batches.batch(answer.json["batch_id"])
    assert batch.note == "game-zone 自有商品：十一月"
    logged = [e for e in audit.entries(deps) if e.action == "keys.import"][-1]
    assert (logged.station, logged.subject) == ("game-zone", "coach-1h")


def test_a_substation_owner_voids_keys_of_their_own_goods(deps, world):
    answer = world["sub_owner"].call("POST", "/api/owner/stock/void", {"sku": "coach-1h", "codes": ["COACH000001"]})
    assert answer.status == 200 and len(answer.json["voided"]) == 1
    assert deps.store.inventory.stock(["coach-1h"])["coach-1h"].void == 1


@pytest.mark.parametrize("sku", ["av-vip", "resold"])
def test_a_substation_owner_cannot_import_or_void_another_stations_goods(world, sku):
    sku = world["resold"] if sku == "resold" else sku
    opened = world["sub_owner"].call("POST", "/api/owner/stock/uploads", {"sku": sku, "filename": "k.txt", "size": 9})
    voided = world["sub_owner"].call("POST", "/api/owner/stock/void", {"sku": sku, "codes": ["AVVIP000001"]})
    assert (opened.status, voided.status) == (404, 404)


def test_the_main_stations_owner_cannot_reach_a_substations_own_goods(world):
    opened = world["main_owner"].call("POST", "/api/owner/stock/uploads",
                                      {"sku": "coach-1h", "filename": "k.txt", "size": 9})
    assert opened.status == 404


def test_the_platform_owner_imports_into_any_stations_own_goods(deps, world):
    _, data = key_file(2)
    target = upload(world["platform"], "av-vip", data)
    put_file(target, data)
    answer = world["platform"].call("POST", "/api/owner/stock/imports", {"upload_id": target["upload_id"]})
    assert answer.status == 200 and answer.json["added"] == 2
    assert deps.store.inventory.stock(["av-vip"])["av-vip"].available == 3


def test_the_cli_import_accepts_an_own_sku_and_refuses_one_nobody_sells(deps, world):
    report = import_keys.import_lines("av-vip", ["AVVIP000002\n"], False, deps)
    assert report.imported == 1 and deps.store.key_batches.batch(report.batch_id).note == "av-club 自有商品"
    with pytest.raises(UnknownSku):
        import_keys.import_lines("no-such-sku", ["X12345678\n"], False, deps)


def test_demo_stock_gives_a_substations_own_goods_their_fake_keys(deps, stations):
    from kameng.services.demo_stock import stock_demo

    stations.substation_lines["coach-1h"] = own_line("coach-1h", stations.substation)
    stations.publish()
    reports = stock_demo(deps, per_sku=3)
    assert reports["coach-1h"].imported == 3
    assert deps.store.inventory.stock(["coach-1h"])["coach-1h"].available == 3
