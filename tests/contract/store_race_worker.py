"""One process of the multi-process race: open the shared store file, wait for the start, buy one key at a time."""
from __future__ import annotations

from datetime import datetime, timezone


def buy_one_key_at_a_time(db_path: str, sku: str, attempts: int, start, results) -> None:
    from kameng.adapters.sqlite import open_store
    from kameng.domain.errors import SoldOut

    from .store_world import an_order

    store = open_store(db_path)
    start.wait(timeout=60)
    bought, sold_out = [], 0
    for _ in range(attempts):
        try:
            placed = store.orders.place_order(an_order(sku, at=datetime.now(timezone.utc)))
            bought.append((placed.id, placed.key_ids))
        except SoldOut:
            sold_out += 1
    results.put((bought, sold_out))
