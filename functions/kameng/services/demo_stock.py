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
    """Give every SKU that never had stock `per_sku` keys; SKUs with any history are left alone."""
    book = deps.store.price_book(deps.settings.main_station)
    if book is None:
        raise UnknownStation("the main station's price book is not published yet: run `make build` first")
    counts = deps.store.stock(book.skus)
    reports = {}
    for sku, line in sorted(book.skus.items()):
        if counts[sku].imported:
            continue
        # A few SKUs start low so the shop shows its "low stock" badge.
        amount = max(line.low_stock - 1, 1) if sku.endswith(("-1", "-5")) else per_sku
        reports[sku] = import_lines(sku, (fake_key(sku) for _ in range(amount)), False, deps)
    return reports
