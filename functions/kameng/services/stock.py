"""Stock levels: the badges on a station's pages, and the owner's counts."""
from __future__ import annotations

from kameng.deps import Deps
from kameng.domain.errors import UnknownStation
from kameng.domain.price_book import PriceBook


def level(available: int, low_stock: int) -> str:
    if available <= 0:
        return "sold_out"
    return "low" if available < low_stock else "in_stock"


def station_stock(station: str, deps: Deps) -> dict:
    book = deps.store.price_books.price_book(station)
    if book is None:
        raise UnknownStation(f"站点不存在：{station}")
    counts = deps.store.inventory.stock(book.skus)
    return {
        "station": station,
        "skus": {
            sku: {"level": level(counts[sku].available, line.low_stock), "available": counts[sku].available}
            for sku, line in sorted(book.skus.items())
        },
    }


def sku_counts(book: PriceBook, deps: Deps) -> list[dict]:
    """The owner's count of every SKU the station sells: available + reserved + sold + void = imported."""
    counts = deps.store.inventory.stock(book.skus)
    return [
        {"sku": sku, "title": line.title, "available": counts[sku].available, "reserved": counts[sku].reserved,
         "sold": counts[sku].sold, "void": counts[sku].void, "imported": counts[sku].imported}
        for sku, line in sorted(book.skus.items())
    ]
