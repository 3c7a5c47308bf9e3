"""Batches of imported keys: list a SKU's with their counts, void what is left of one."""
from __future__ import annotations

from kameng.deps import Deps
from kameng.domain.errors import NotFound
from kameng.ports.store import KeyBatch
from kameng.services import audit, notify


def batch_view(batch: KeyBatch) -> dict:
    counts = batch.counts
    return {"batch_id": batch.batch_id, "sku": batch.sku, "supplier": batch.supplier,
            "cost_per_key": batch.cost_per_key, "imported_at": batch.imported_at.isoformat(), "note": batch.note,
            "available": counts.available, "reserved": counts.reserved, "sold": counts.sold, "void": counts.void,
            "imported": counts.imported}


def list_batches(sku: str, deps: Deps) -> list[dict]:
    """The SKU's batches, oldest first, with their keys by status (keys imported before batches: in none)."""
    return [batch_view(batch) for batch in deps.store.key_batches.batches_of(sku)]


def void_batch(batch_id: str, deps: Deps, actor: str = audit.SYSTEM) -> dict:
    """Void every key of the batch that is available now; keys reserved or sold are left as they are."""
    batch = deps.store.key_batches.batch(batch_id)
    if batch is None:
        raise NotFound(f"没有这个批次：{batch_id}")
    result = deps.store.inventory.void_keys(batch.sku, deps.store.key_batches.available_in(batch_id))
    main = deps.settings.main_station
    audit.record(deps, actor, main, "keys.void_batch", batch_id, None,
                 {"sku": batch.sku, "voided": len(result.voided), "held": len(result.held)})
    book = deps.store.price_books.price_book(main)
    line = None if book is None else book.line(batch.sku)
    if result.voided and line is not None:
        notify.check_low_stock(batch.sku, line.low_stock, deps)
    return {"batch_id": batch_id, "sku": batch.sku, "voided": len(result.voided),
            # Taken by a checkout between the listing and the void: left to its order.
            "held": len(result.held)}
