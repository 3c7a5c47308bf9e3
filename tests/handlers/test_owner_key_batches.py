"""The console's key import makes a batch with what the owner told about it."""
from __future__ import annotations

from kameng.services import audit

from .test_owner_stock import key_file, put_file, upload, world  # noqa: F401  (world is a fixture)


def test_a_console_import_keeps_its_supplier_cost_and_note_with_its_batch(deps, world):
    sku = world["main_only"]
    _, data = key_file(3)
    target = upload(world["main_owner"], sku, data)
    assert put_file(target, data)[0] == 200
    answer = world["main_owner"].call("POST", "/api/owner/stock/imports", {
        "upload_id": target["upload_id"], "supplier": " 卡商B ", "cost_per_key": 4550, "note": "补货"})
    assert answer.status == 200, answer.body
    [batch] = [b for b in deps.store.key_batches.batches_of(sku) if b.batch_id == answer.json["batch_id"]]
    assert (batch.supplier, batch.cost_per_key, batch.note, batch.counts.available) == ("卡商B", 4550, "补货", 3)
    logged = [e for e in audit.entries(deps) if e.action == "keys.import"][-1]
    assert logged.after["batch_id"] == batch.batch_id


def test_a_negative_cost_is_refused_and_nothing_is_imported(deps, world):
    sku = world["main_only"]
    before = deps.store.inventory.stock([sku])[sku].imported
    _, data = key_file(2)
    target = upload(world["main_owner"], sku, data)
    assert put_file(target, data)[0] == 200
    answer = world["main_owner"].call("POST", "/api/owner/stock/imports",
                                      {"upload_id": target["upload_id"], "cost_per_key": -5})
    assert answer.status == 400
    assert deps.store.inventory.stock([sku])[sku].imported == before
