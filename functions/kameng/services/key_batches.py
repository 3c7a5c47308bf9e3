"""Batches of imported keys: list a SKU's with their counts, void or export what is left of one."""
from __future__ import annotations

from typing import Callable

from kameng.deps import Deps
from kameng.domain.card_key import CardKey
from kameng.domain.errors import NotFound, UnknownSku
from kameng.domain.price_book import PricedSku
from kameng.ports.store import KeyBatch
from kameng.services import audit, lookup, notify
from kameng.services.import_keys import stock_holder


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
    station, line = _holder(batch.sku, deps)
    audit.record(deps, actor, station, "keys.void_batch", batch_id, None,
                 {"sku": batch.sku, "voided": len(result.voided), "held": len(result.held)})
    if result.voided and line is not None:
        notify.check_low_stock(batch.sku, line.low_stock, deps, owner=line.owner)
    return {"batch_id": batch_id, "sku": batch.sku, "voided": len(result.voided),
            # Taken by a checkout between the listing and the void: left to its order.
            "held": len(result.held)}


def export_batch(batch_id: str, write: Callable[[list[CardKey]], None], deps: Deps,
                 actor: str = audit.SYSTEM) -> tuple[KeyBatch, int]:
    """Hand `write` the batch's keys still available, opened (to move them to another shop, or back to the
    supplier); the keys stay in stock. Once written, the audit log records the export and how many keys it
    held, never the keys; a `write` that raises is not recorded."""
    batch = deps.store.key_batches.batch(batch_id)
    if batch is None:
        raise NotFound(f"没有这个批次：{batch_id}")
    sealed = [deps.store.inventory.shared_key(batch.sku, key_id)
              for key_id in deps.store.key_batches.available_in(batch_id)]
    keys = [lookup.open_key(key, deps) for key in sealed if key is not None]
    write(keys)
    audit.record(deps, actor, _holder(batch.sku, deps)[0], "keys.export", batch_id, None,
                 {"sku": batch.sku, "count": len(keys)})
    return batch, len(keys)


def _holder(sku: str, deps: Deps) -> tuple[str, PricedSku | None]:
    """The station whose goods the batch's SKU is (a substation for its own goods), where its audit entries
    are filed and whose threshold its low-stock check reads; a SKU no longer published: the main station."""
    try:
        return stock_holder(sku, deps)
    except UnknownSku:
        return deps.settings.main_station, None
