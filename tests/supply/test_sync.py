"""Supplier prices and stock synced into the shop: a cost above a station's price halts the SKU there and only
there, a fall resumes it, a supplier that does not answer keeps its last figures, the storefront's stock counts
what suppliers report, and routing skips a supplier with nothing left."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from kameng import content_wiring
from kameng.adapters.content_local import LocalContentFiles
from kameng.cli import main as cli
from kameng.domain.errors import NotSelling, SupplierUnavailable
from kameng.domain.order import OrderStatus
from kameng.handlers import sync as sync_handler
from kameng.services import audit
from kameng.services.content_edit import ContentSite
from kameng.services.stock import station_stock
from kameng.services.supply_sync import sync_supply
from tests.build.conftest import TEMPLATES
from tests.supply.fulfilment_world import CARD, SUPPLIERS, TOP_UP, build_world

PHONE = "13800138000"


@pytest.fixture
def shop(deps, stations, clock):
    return build_world(deps, stations, clock)


def set_cost(shop, product: str, cost: int, suppliers=SUPPLIERS) -> None:
    for name in suppliers:
        simulator = shop.simulator(name)
        simulator._products[product] = dataclasses.replace(simulator._products[product], unit_cost=cost)


def set_stock(shop, name: str, product: str, stock: int) -> None:
    simulator = shop.simulator(name)
    simulator._products[product] = dataclasses.replace(simulator._products[product], stock=stock)


def record(shop, sku: str):
    return shop.deps.store.supply_sync.syncs([sku])[sku]


def test_a_cost_above_one_stations_price_halts_the_sku_there_only_and_checkout_refuses_it(shop):
    # The main station sells the top-up at 50.00, the substation at 50.50: the cost rises to 50.20.
    set_cost(shop, "CMCC50", 5020)
    report = sync_supply(shop.deps)

    outcome = next(o for o in report.skus if o.record.sku == TOP_UP)
    assert outcome.halted == (shop.stations.main,) and outcome.record.cheapest == 5020
    with pytest.raises(NotSelling) as refused:
        shop.place(TOP_UP, station=shop.stations.main, phone=PHONE)
    assert refused.value.code == "not_selling"
    # At the substation the price still covers the cost: it sells and is delivered.
    order = shop.pay(shop.place(TOP_UP, station=shop.stations.substation, phone=PHONE))
    assert order.status is OrderStatus.DELIVERED
    logged = [e for e in audit.entries(shop.deps) if e.action == "supply.sync"]
    assert logged and logged[-1].after["changed"] == {TOP_UP: {"halted": [shop.stations.main], "resumed": []}}


def test_a_cost_that_falls_again_resumes_the_sku(shop):
    set_cost(shop, "CMCC50", 5100)
    sync_supply(shop.deps)
    with pytest.raises(NotSelling):
        shop.place(TOP_UP, station=shop.stations.substation, phone=PHONE)

    set_cost(shop, "CMCC50", 4950)
    report = sync_supply(shop.deps)

    outcome = next(o for o in report.skus if o.record.sku == TOP_UP)
    assert outcome.resumed == tuple(sorted((shop.stations.main, shop.stations.substation)))
    assert outcome.record.halted == ()
    assert shop.buy(TOP_UP, phone=PHONE).status is OrderStatus.DELIVERED


def test_a_supplier_that_does_not_answer_keeps_its_last_figures(shop, monkeypatch):
    sync_supply(shop.deps)
    set_cost(shop, "CMCC50", 6000, suppliers=("sim-b",))

    def down():
        raise SupplierUnavailable("供货商超时")

    monkeypatch.setattr(shop.simulator("sim-b"), "catalogue", down)
    report = sync_supply(shop.deps)

    assert report.unanswered == ("sim-b",)
    kept = record(shop, TOP_UP).offer("sim-b")
    assert kept is not None and kept.cost == 4900
    assert record(shop, TOP_UP).halted == ()


def test_api_stock_counts_what_suppliers_report_and_a_halted_top_up_shows_sold_out(shop):
    shown = station_stock(shop.stations.main, shop.deps)["skus"]
    # Never synced: a top-up is unlimited, a card key counts the shop's own keys only.
    assert shown[TOP_UP]["level"] == "in_stock" and shown[CARD] == {"level": "sold_out", "available": 0}

    simulator = shop.simulator("sim-a")
    del simulator._products["STEAM100"]  # gone from one catalogue: that offer is unavailable
    set_cost(shop, "CMCC50", 5020)
    sync_supply(shop.deps)

    main = station_stock(shop.stations.main, shop.deps)["skus"]
    assert main[CARD] == {"level": "in_stock", "available": 2000}
    assert main[TOP_UP] == {"level": "sold_out", "available": 0, "halted": True}
    substation = station_stock(shop.stations.substation, shop.deps)["skus"]
    assert substation[TOP_UP] == {"level": "in_stock", "available": 0, "unlimited": True}
    assert record(shop, CARD).offer("sim-a").cost is None


def test_routing_skips_a_supplier_whose_synced_stock_is_gone(shop):
    set_stock(shop, "sim-a", "STEAM100", 0)
    sync_supply(shop.deps)

    order = shop.buy(CARD)

    assert order.status is OrderStatus.DELIVERED
    assert [(a.supplier, a.status) for a in shop.attempts(order)] == [("sim-b", "delivered")]


def test_routing_without_a_sync_asks_the_first_supplier_even_when_it_has_none(shop):
    set_stock(shop, "sim-a", "STEAM100", 0)
    order = shop.buy(CARD)
    assert [a.supplier for a in shop.attempts(order)] == ["sim-a", "sim-b"]


def test_the_cli_prints_the_table_and_writes_the_synced_costs(shop, tmp_path, monkeypatch, capsys):
    content = tmp_path / "content"
    content.mkdir()
    monkeypatch.setenv("KAMENG_CONTENT_DIR", str(content))
    set_cost(shop, "CMCC50", 5020)

    assert cli(["sync", "--json"]) == 0

    printed = json.loads(capsys.readouterr().out)
    row = next(r for r in printed["skus"] if r["sku"] == TOP_UP)
    assert row["cheapest"] == 5020 and row["halted"] == [shop.stations.main] and row["supplier_stock"] is None
    synced = (content / "suppliers" / "synced.yaml").read_text(encoding="utf-8")
    assert f'{TOP_UP}:\n    - {{supplier: "sim-a", product: "CMCC50", cost: "50.20"}}' in synced

    assert cli(["sync"]) == 0
    table = capsys.readouterr().out
    assert TOP_UP in table and "¥50.20" in table and "unlimited" in table


def test_the_schedule_writes_the_file_through_the_content_port_and_names_the_changed_stations(shop, tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    content_wiring.use(ContentSite(LocalContentFiles(content), TEMPLATES))
    try:
        set_cost(shop, "CMCC50", 5020)
        done = sync_handler.handler({"source": "aws.events"}, None)
        assert done["halted"] == 1 and done["published"] == [shop.stations.main]
        assert "cost: \"50.20\"" in Path(content / "suppliers" / "synced.yaml").read_text(encoding="utf-8")
        # Nothing changed since: the file is as it was, nothing is published.
        assert sync_handler.handler({}, None)["published"] == []
    finally:
        content_wiring.use(None)
