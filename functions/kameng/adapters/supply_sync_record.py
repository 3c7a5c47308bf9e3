"""A SKU's synced figures as the JSON both stores keep (one text per SKU)."""
from __future__ import annotations

import json
from datetime import datetime

from kameng.domain.supply_sync import OfferFigures, SkuSync


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def record_json(record: SkuSync) -> str:
    if record.synced_at.tzinfo is None:
        raise ValueError("synced_at must carry a time zone")
    return json.dumps({
        "sku": record.sku, "halted": list(record.halted), "synced_at": _when(record.synced_at),
        "offers": [{"supplier": o.supplier, "product": o.product, "cost": o.cost, "stock": o.stock,
                    "checked_at": _when(o.checked_at)} for o in record.offers],
    }, ensure_ascii=False, sort_keys=True)


def record_of(text: str) -> SkuSync:
    data = json.loads(text)
    offers = tuple(OfferFigures(o["supplier"], o["product"], o["cost"], o["stock"], _moment(o["checked_at"]))
                   for o in data["offers"])
    synced_at = _moment(data["synced_at"])
    assert synced_at is not None
    return SkuSync(data["sku"], offers, tuple(data["halted"]), synced_at)
