"""Stock levels: the badges on a station's pages, and the owner's counts."""
from __future__ import annotations

from datetime import datetime

from kameng.deps import Deps
from kameng.domain.errors import UnknownStation
from kameng.domain.fulfilment import Kind
from kameng.domain.price_book import PriceBook, PricedSku
from kameng.domain.quota import EVERYONE
from kameng.domain.supply_sync import SkuSync, halted_at


def level(available: int, low_stock: int) -> str:
    if available <= 0:
        return "sold_out"
    return "low" if available < low_stock else "in_stock"


def station_stock(station: str, deps: Deps) -> dict:
    book = deps.store.price_books.price_book(station)
    if book is None:
        raise UnknownStation(f"站点不存在：{station}")
    counts = deps.store.inventory.stock(book.skus)
    supplied = [sku for sku, line in book.skus.items() if line.supply]
    synced = deps.store.supply_sync.syncs(supplied) if supplied else {}
    now = deps.clock()
    return {
        "station": station,
        "skus": {
            sku: _loop_shown(counts[sku].available, line, deps) if line.kind is Kind.LOOP
            else _shown(counts[sku].available, book, line, synced.get(sku), now)
            for sku, line in sorted(book.skus.items())
        },
    }


def _loop_shown(held: int, line: PricedSku, deps: Deps) -> dict:
    """A loop credential sells while it is in stock and its sales last (EVERYONE's count of LOOP#<sku>)."""
    if held <= 0:
        return {"level": "sold_out", "available": 0}
    if line.loop_limit is None:
        return {"level": "in_stock", "available": held, "unlimited": True}
    left = max(0, line.loop_limit - deps.store.counters.quota_count(f"LOOP#{line.sku}", EVERYONE))
    return {"level": level(left, line.low_stock), "available": left}


def _shown(held: int, book: PriceBook, line: PricedSku, record: SkuSync | None, now: datetime) -> dict:
    """The shop's own stock, and what its suppliers last reported (kameng sync) unless their cost halts the SKU
    here; a supplier that never runs out (a top-up), or one never synced yet for a top-up, is `unlimited`. The
    owner's own hands never run out (a manual product)."""
    if line.kind is Kind.MANUAL:
        return {"level": "in_stock", "available": held, "unlimited": True}
    if not line.supply:
        return {"level": level(held, line.low_stock), "available": held}
    if halted_at(record, line, book.flash_sales, now):
        return {"level": level(held, line.low_stock), "available": held, "halted": True}
    upstream = record.supplier_stock if record is not None else (None if line.kind is Kind.DIRECT else 0)
    if upstream is None:
        return {"level": "in_stock", "available": held, "unlimited": True}
    return {"level": level(held + upstream, line.low_stock), "available": held + upstream}


def sku_counts(book: PriceBook, deps: Deps) -> list[dict]:
    """The owner's count of every SKU the station sells: available + reserved + sold + void = imported."""
    counts = deps.store.inventory.stock(book.skus)
    return [
        {"sku": sku, "title": line.title, "available": counts[sku].available, "reserved": counts[sku].reserved,
         "sold": counts[sku].sold, "void": counts[sku].void, "imported": counts[sku].imported}
        for sku, line in sorted(book.skus.items())
    ]
