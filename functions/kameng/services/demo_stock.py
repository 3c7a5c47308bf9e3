"""Fake card keys for the demo shop, made on the spot so no key ever sits in the repo."""
from __future__ import annotations

import secrets

from kameng.deps import Deps
from kameng.domain.errors import UnknownStation
from kameng.domain.fulfilment import Kind
from kameng.services.import_keys import ImportReport, import_lines

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _groups(count: int) -> str:
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(count))


def fake_key(sku: str) -> str:
    return f"DEMO-{_groups(4)}"


def fake_credential(sku: str) -> str:
    """A loop product's one shared credential: a download link and its extraction code."""
    return f"https://pan.example.invalid/s/DEMO-{_groups(3)},{_groups(1).lower()}"


def stock_demo(deps: Deps, per_sku: int = 40) -> dict[str, ImportReport]:
    """Give every card-key SKU `per_sku` fake keys and every loop SKU its shared credential, but only in a
    store that has never held a key. A direct top-up or a manual product holds no keys.

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
    card_keys = sorted(sku for sku, line in book.skus.items() if line.kind is Kind.CARD_KEY)
    for index, sku in enumerate(card_keys):
        line = book.skus[sku]
        # Every fifth SKU starts low, so the demo shows its "low stock" badge too.
        amount = max(line.low_stock - 1, 1) if index % 5 == 4 else per_sku
        reports[sku] = import_lines(sku, (fake_key(sku) for _ in range(amount)), False, deps)
    for sku in sorted(sku for sku, line in book.skus.items() if line.kind is Kind.LOOP):
        reports[sku] = import_lines(sku, [fake_credential(sku)], True, deps)
    # A substation's own goods (独立商品库) are its own stock: their card keys get fake keys too.
    for station in deps.store.price_books.stations():
        own = deps.store.price_books.price_book(station)
        for sku, line in sorted(own.skus.items()) if own is not None else ():
            if line.owner == station and line.kind is Kind.CARD_KEY:
                reports[sku] = import_lines(sku, (fake_key(sku) for _ in range(per_sku)), False, deps)
    return reports
