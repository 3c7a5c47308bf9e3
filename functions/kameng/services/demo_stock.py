"""Fake card keys for the demo shop, made on the spot so no key ever sits in the repo."""
from __future__ import annotations

import secrets

from kameng.deps import Deps
from kameng.domain.errors import UnknownStation
from kameng.services.import_keys import ImportReport, import_lines

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def fake_key(sku: str) -> str:
    groups = ("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4))
    return f"DEMO-{'-'.join(groups)}"


def stock_demo(deps: Deps, per_sku: int = 40) -> dict[str, ImportReport]:
    """Give every SKU `per_sku` fake keys, but only in a store that has never held a key.

    A shop with any real stock is left alone, so fake keys can never be sold
    beside real ones.
    """
    book = deps.store.price_books.price_book(deps.settings.main_station)
    if book is None:
        raise UnknownStation("the main station's price book is not published yet: run `make build` first")
    counts = deps.store.inventory.stock(book.skus)
    if any(count.imported for count in counts.values()):
        return {}
    reports = {}
    for index, (sku, line) in enumerate(sorted(book.skus.items())):
        # Every fifth SKU starts low, so the demo shows its "low stock" badge too.
        amount = max(line.low_stock - 1, 1) if index % 5 == 4 else per_sku
        reports[sku] = import_lines(sku, (fake_key(sku) for _ in range(amount)), False, deps)
    return reports
