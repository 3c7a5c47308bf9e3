"""The console's dashboard API: a station's figures for its owner, every station's for the platform owner,
each table as CSV, and nothing for anyone else."""
from __future__ import annotations

import pytest

from kameng.services.checkout import CheckoutRequest, place
from tests.support.owners import make_owner


def placed(deps, station, sku, quantity, email, pay=True):
    request = CheckoutRequest(station=station, sku=sku, quantity=quantity, email=email, query_password="8642")
    order = place(request, deps).order
    if pay:
        deps.gateway.pay(deps.store.orders.order(order.id).payment_session, "card")
    return deps.store.orders.order(order.id)


@pytest.fixture
def world(deps, stations, sku_with_keys):
    """At the substation one buyer pays for two orders (2 keys, then 1) and another leaves a checkout unpaid;
    at the main station one order is paid."""
    stocked = sku_with_keys(8)
    sub = stations.substation
    orders = [placed(deps, sub, stocked.sku, 2, "a@example.com"), placed(deps, sub, stocked.sku, 1, "a@example.com"),
              placed(deps, sub, stocked.sku, 1, "b@example.com", pay=False),
              placed(deps, stations.main, stocked.sku, 1, "c@example.com")]
    return {"sku": stocked.sku, "orders": orders, "station": sub, "main": stations.main,
            "sub_owner": make_owner(deps, "owner@game-zone.example", "station_owner", sub),
            "staff": make_owner(deps, "staff@game-zone.example", "staff", sub),
            "platform": make_owner(deps, "boss@shop.example", "platform_owner", None)}


def dashboard_path(station):
    return f"/api/owner/stations/{station}/dashboard"


def test_a_station_owner_sees_their_stations_figures_buyers_and_conversion(world):
    answer = world["sub_owner"].call("GET", dashboard_path(world["station"]))

    assert answer.status == 200
    today = answer.json["periods"]["1"]
    paid = world["orders"][0].total + world["orders"][1].total
    assert (today["gmv"], today["orders"], today["keys"]) == (paid, 2, 3)
    assert (today["paying_buyers"], today["repeat_buyers"], today["repeat_rate_bp"]) == (1, 1, 10000)
    # 2 of 3 checkouts paid: 6666.67 bp, halves up.
    assert (today["checkouts"], today["delivered"], today["conversion_bp"]) == (3, 2, 6667)
    assert today["new_buyers"] == 1
    assert answer.json["time_zone"] == "Asia/Shanghai"


def test_stock_cover_is_available_keys_over_the_last_thirty_days_sales(world):
    answer = world["sub_owner"].call("GET", dashboard_path(world["station"]))

    (cover,) = answer.json["cover"]
    # 8 keys: 3 sold here, 1 sold at the main station, 1 held by the unpaid checkout. 3 available over 3 sold in
    # 30 days (a tenth a day) is 30 days.
    assert cover == {"sku": world["sku"], "available": 3, "sold_30_days": 3, "cover_days": 30}


def test_another_stations_dashboard_is_not_found_like_an_unknown_station(world):
    other = world["sub_owner"].call("GET", dashboard_path(world["main"]))
    unknown = world["sub_owner"].call("GET", dashboard_path("no-such-station"))

    assert (other.status, other.code) == (404, "not_found")
    assert (other.body, unknown.status) == (unknown.body, 404)


def test_staff_may_not_see_the_statistics(world):
    answer = world["staff"].call("GET", dashboard_path(world["station"]))

    assert (answer.status, answer.code) == (403, "forbidden")


def test_the_platform_owner_sees_every_station_side_by_side_and_the_total(world):
    answer = world["platform"].call("GET", "/api/owner/platform/dashboard")

    assert answer.status == 200
    by_station = {s["station"]: s["periods"]["30"] for s in answer.json["stations"]}
    assert set(by_station) == {world["station"], world["main"]}
    total = answer.json["total"]["periods"]["30"]
    assert total["gmv"] == sum(p["gmv"] for p in by_station.values()) == sum(o.total for o in world["orders"]) - \
        world["orders"][2].total
    assert (total["orders"], total["checkouts"], total["paying_buyers"]) == (3, 4, 2)


def test_only_the_platform_owner_sees_the_platform(world):
    answer = world["sub_owner"].call("GET", "/api/owner/platform/dashboard")

    assert answer.status == 403


def test_a_table_downloads_as_csv_with_a_row_per_station(world):
    answer = world["platform"].call("GET", "/api/owner/platform/dashboard",
                                    query={"table": "stations", "format": "csv"})

    assert answer.headers["content-type"].startswith("text/csv")
    lines = answer.body.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("station,period_days,gmv,orders,keys")
    assert sorted(line.split(",")[0] for line in lines[1:]) == sorted([world["main"], world["station"]] * 3)


def test_a_stations_best_sellers_download_as_csv(world):
    answer = world["sub_owner"].call("GET", dashboard_path(world["station"]),
                                     query={"table": "best_sellers_keys", "format": "csv"})

    rows = [line.split(",") for line in answer.body.lstrip("\ufeff").splitlines()]
    assert rows == [["station", "rank", "sku", "gmv", "orders", "keys", "refunded", "refunds"],
                    [world["station"], "1", world["sku"], str(world["orders"][0].total + world["orders"][1].total),
                     "2", "3", "0", "0"]]
    assert 'filename="game-zone-best_sellers_keys.csv"' in answer.headers["content-disposition"]


def test_an_unknown_table_is_a_clear_bad_request(world):
    answer = world["sub_owner"].call("GET", dashboard_path(world["station"]), query={"table": "nope", "format": "csv"})

    assert (answer.status, answer.code) == (400, "invalid_request")
