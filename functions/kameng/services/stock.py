"""Live stock levels for a station's SKUs, for the badges on its pages."""
from __future__ import annotations

from kameng.deps import Deps
from kameng.domain.errors import UnknownStation


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
