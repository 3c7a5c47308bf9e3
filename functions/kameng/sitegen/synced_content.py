"""content/suppliers/synced.yaml: the supplier costs `kameng sync` last found, read by the build.

    skus:
      cmcc-50-direct:
        - {supplier: sim-a, product: "CMCC50", cost: "49.00"}   # null: no longer in the catalogue

The file is written by the sync, not by hand, but it is content like any other: validated, and a mistake
fails the build naming its field. A SKU it does not name (or an offer content no longer lists) sells at
its content cost; a SKU it names but content no longer has is ignored. A direct top-up whose cheapest
cost is above the least a station may charge for it shows as not available on that station's page;
checkout and /api/stock follow the store's records at once, without waiting for a build.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from kameng.domain.fulfilment import Kind
from kameng.domain.price_book import PriceBook
from kameng.domain.supply_sync import halts, lowest_price
from kameng.sitegen.content_types import Id, Money, OneLine, Spec

SYNCED = "synced"  # the file's stem: a supplier may not be called so
# SKU → its synced offers as (supplier, product, cost or None).
Synced = dict[str, tuple[tuple[str, str, "int | None"], ...]]


class SyncedOfferSpec(Spec):
    supplier: Id
    product: OneLine
    cost: Money | None = None


class SyncedSpec(Spec):
    skus: dict[Id, list[SyncedOfferSpec]] = {}


def read_synced(loader: Any, folder: Path) -> Synced:
    """The file's costs by SKU; `loader` (load.py's) reads and validates it, telling its mistakes."""
    path = folder / f"{SYNCED}.yaml"
    if not path.is_file():
        return {}
    data: Any = loader.yaml_file(path)
    if data is None:
        return {}
    spec = loader.validate(loader.show(path), data, SyncedSpec)
    if not isinstance(spec, SyncedSpec):  # the build fails on the problem told
        return {}
    return {sku: tuple((o.supplier, o.product, o.cost) for o in offers) for sku, offers in sorted(spec.skus.items())}


def unavailable_skus(book: PriceBook, synced: Synced, now: datetime | None) -> frozenset[str]:
    """The SKUs a station's pages show as not available: direct top-ups (they have no stock of their own) whose
    cheapest synced cost is above the least the station may charge. A card key may still sell from stock."""
    found = set()
    for sku, line in book.skus.items():
        if line.kind is not Kind.DIRECT or not line.supply or sku not in synced:
            continue
        costs = {(supplier, product): cost for supplier, product, cost in synced[sku]}
        listed = [costs.get((offer.supplier, offer.product), offer.cost) for offer in line.supply]
        known = [cost for cost in listed if cost is not None]
        if halts(min(known) if known else None, lowest_price(line, book.flash_sales, now)):
            found.add(sku)
    return frozenset(found)
