"""Sync supplier prices and stock: read every supplier's catalogue, keep each SKU's figures, halt or resume it.

Every SKU the main station buys from suppliers gets one record in the store (`store.supply_sync`): each
offer's cost and stock as its supplier's catalogue gave them, and the stations where the SKU stops selling
because its cheapest cost is above the least that station may charge (domain/supply_sync.py). Checkout,
/api/stock and routing read these records at once, with no rebuild. The costs also go to
content/suppliers/synced.yaml (`synced_yaml`), which the build reads to mark a halted SKU on its pages.
A supplier that does not answer keeps the figures it gave last.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kameng.deps import Deps
from kameng.domain.errors import DomainError, NotSelling, UnknownStation
from kameng.domain.price_book import PriceBook, PricedSku
from kameng.domain.supply import SupplierOffer
from kameng.domain.supply_sync import SkuSync, figures, halted_at, halts, lowest_price
from kameng.services import audit

log = logging.getLogger(__name__)
SYNCED_FILE = "suppliers/synced.yaml"


@dataclass(frozen=True)
class SkuOutcome:
    record: SkuSync
    halted: tuple[str, ...]  # stations that stopped selling it with this sync
    resumed: tuple[str, ...]  # stations that sell it again


@dataclass(frozen=True)
class SyncReport:
    skus: tuple[SkuOutcome, ...]
    unanswered: tuple[str, ...]  # suppliers whose catalogue could not be read: their last figures stand

    def summary(self) -> dict:
        return {"skus": len(self.skus), "halted": sum(len(o.halted) for o in self.skus),
                "resumed": sum(len(o.resumed) for o in self.skus), "unanswered": list(self.unanswered)}


def sync_supply(deps: Deps, actor: str = audit.SYSTEM) -> SyncReport:
    """Read the catalogues, keep every SKU's record, and audit the run (what halted, what resumed)."""
    main = deps.store.price_books.price_book(deps.settings.main_station)
    if main is None:
        raise UnknownStation(f"总站尚未发布：{deps.settings.main_station}")
    books = [book for station in deps.store.price_books.stations()
             if (book := deps.store.price_books.price_book(station)) is not None]
    catalogues = _catalogues(main, deps)
    now = deps.clock()
    skus = sorted(sku for sku, line in main.skus.items() if line.supply)
    previous = deps.store.supply_sync.syncs(skus)
    outcomes = []
    for sku in skus:
        offers = figures(main.skus[sku].supply, catalogues, main.currency, previous.get(sku), now)
        cheapest = SkuSync(sku, offers, (), now).cheapest
        halted = tuple(sorted(book.station for book in books if (line := book.line(sku)) is not None
                              and halts(cheapest, lowest_price(line, book.flash_sales, now))))
        record = SkuSync(sku, offers, halted, now)
        deps.store.supply_sync.put_sync(record)
        before = set(previous[sku].halted) if sku in previous else set()
        outcomes.append(SkuOutcome(record, tuple(sorted(set(halted) - before)), tuple(sorted(before - set(halted)))))
    unanswered = tuple(sorted(name for name, catalogue in catalogues.items() if catalogue is None))
    report = SyncReport(tuple(outcomes), unanswered)
    changed = {o.record.sku: {"halted": list(o.halted), "resumed": list(o.resumed)}
               for o in outcomes if o.halted or o.resumed}
    audit.record(deps, actor, main.station, "supply.sync", "suppliers", None, report.summary() | {"changed": changed})
    return report


def _catalogues(main: PriceBook, deps: Deps) -> dict[str, Sequence[SupplierOffer] | None]:
    """Each supplier's catalogue, or None for one that did not answer (or cannot be built here)."""
    found: dict[str, Sequence[SupplierOffer] | None] = {}
    for name in sorted(main.suppliers):
        try:
            if deps.suppliers is None:
                raise DomainError("no supplier directory is configured")
            found[name] = deps.suppliers.supplier(name).catalogue()
        except Exception as error:  # any failure of one supplier leaves the others to sync
            log.warning("supplier catalogue unreadable; keeping its last figures",
                        extra={"supplier": name, "error": str(error)})
            found[name] = None
    return found


def synced_yaml(records: Mapping[str, SkuSync]) -> str:
    """content/suppliers/synced.yaml: each SKU's offers with their synced cost (null: not listed), costs only,
    so a change of stock alone never rebuilds a page."""
    lines = ["# Written by `kameng sync` and the sync schedule: each SKU's supplier costs as last synced.",
             "# A SKU whose cheapest cost is above a station's lowest price shows as not available there.",
             "skus:"]
    for sku in sorted(records):
        lines.append(f"  {sku}:")
        for offer in records[sku].offers:
            cost = "null" if offer.cost is None else f'"{_major(offer.cost)}"'
            # JSON strings are YAML's double-quoted strings: any product code reads back as written.
            lines.append(f"    - {{supplier: {json.dumps(offer.supplier)}, product: {json.dumps(offer.product)}, "
                         f"cost: {cost}}}")
    if not records:
        lines[-1] = "skus: {}"
    return "\n".join(lines) + "\n"


def _major(minor: int) -> str:
    """Minor units as content writes them ("49.80")."""
    major, cents = divmod(minor, 100)
    return f"{major}.{cents:02d}"


def check_selling(book: PriceBook, line: PricedSku, deps: Deps) -> None:
    """Refuse (NotSelling) an order to be bought from suppliers whose cheapest synced cost is above the least
    this station may charge for the SKU; the record is read by key, the station's book as published now."""
    record = deps.store.supply_sync.syncs([line.sku]).get(line.sku)
    if halted_at(record, line, book.flash_sales, deps.clock()):
        raise NotSelling("该商品的供货成本已高于本站售价，暂停销售，请稍后再来")
