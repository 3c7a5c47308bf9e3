"""`kameng backup` and `kameng restore`: a copy of the data folder taken while the shop sells, that
comes back as the same shop with its card keys still readable, and a damaged copy that is refused."""
from __future__ import annotations

import json
import os
import sqlite3
import stat
import tarfile
import threading
from pathlib import Path

import pytest

from kameng import wiring
from kameng.services.lookup import view

from .conftest import STEAM, Shop, json_of

CODES = [f"STEAM-{n:04d}-{n * 7919 % 10000:04d}" for n in range(400)]


@pytest.fixture
def stocked(shop, kameng, keys_file):
    ran = kameng("import-keys", STEAM, keys_file("steam.txt", CODES))
    assert ran.code == 0, ran.err
    return shop


def restored_shop(monkeypatch, kameng, backup: Path, data_dir: Path, *options: str) -> Shop:
    """The shop a restore into `data_dir` gives, as the CLI and the functions would open it."""
    monkeypatch.setenv("KAMENG_DATA_DIR", str(data_dir))
    wiring.use(None)
    ran = kameng("restore", backup, *options)
    assert ran.code == 0, ran.err
    return Shop(wiring.deps())


def order_ids(data_dir: Path) -> set[str]:
    with sqlite3.connect(data_dir / "kameng.db") as conn:
        return {row[0] for row in conn.execute("SELECT id FROM orders")}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_backup_taken_while_orders_are_placed_restores_to_exactly_what_its_manifest_lists(
        stocked, kameng, tmp_path, monkeypatch, data_env):
    stop, first_sale = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def sell(worker: int) -> None:
        n = 0
        try:
            while not stop.is_set():
                order = stocked.place(STEAM, quantity=1 + n % 2, email=f"w{worker}-{n}@example.com")
                if n % 2 == 0:
                    stocked.pay(order)
                n += 1
                first_sale.set()
        except BaseException as error:  # surfaced below: a thread's failure must fail the test
            failures.append(error)
            first_sale.set()

    workers = [threading.Thread(target=sell, args=(w,)) for w in range(3)]
    for worker in workers:
        worker.start()
    try:
        first_sale.wait()
        sold_before = order_ids(data_env)
        ran = kameng("backup", tmp_path / "during-sales.tar.gz")
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    assert not failures, failures
    assert ran.code == 0, ran.err
    assert "verified" in ran.out

    with tarfile.open(tmp_path / "during-sales.tar.gz") as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    listed = manifest["databases"]["kameng.db"]["tables"]
    assert listed["orders"]["rows"] >= 1
    live_orders = order_ids(data_env)

    data_dir = tmp_path / "restored"
    restored_shop(monkeypatch, kameng, tmp_path / "during-sales.tar.gz", data_dir)
    with sqlite3.connect(data_dir / "kameng.db") as conn:
        for table, described in listed.items():
            # The restore itself is the one entry the audit log gains.
            grown = 1 if table == "audit_entries" else 0
            assert conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == described["rows"] + grown, table
        # One moment of the shop, not tables from different moments: every key is counted where it is.
        counted = dict(conn.execute("SELECT status, count(*) FROM card_keys WHERE sku = ? GROUP BY status", (STEAM,)))
        counts = conn.execute("SELECT available, reserved, sold, void FROM stock_counts WHERE sku = ?",
                              (STEAM,)).fetchone()
    assert counts == tuple(counted.get(s, 0) for s in ("available", "reserved", "sold", "void"))
    assert sum(counts) == len(CODES)
    # Every sale finished before the backup began is in it; nothing in it is unknown to the live shop.
    assert sold_before <= order_ids(data_dir) <= live_orders


def test_a_restored_shop_serves_the_same_orders_and_still_opens_their_sealed_keys(
        stocked, kameng, tmp_path, monkeypatch):
    paid = stocked.pay(stocked.place(STEAM, quantity=2))
    pending = stocked.place(STEAM, quantity=1, email="later@example.com")
    delivered = [key["code"] for key in view(paid, stocked.deps)["keys"]]
    assert len(delivered) == 2
    assert kameng("backup", tmp_path / "backup").code == 0

    again = restored_shop(monkeypatch, kameng, tmp_path / "backup", tmp_path / "elsewhere")

    restored = again.deps.store.orders.order(paid.id)
    assert [key["code"] for key in view(restored, again.deps)["keys"]] == delivered
    assert again.deps.store.orders.order(pending.id).status == pending.status
    assert [order["id"] for order in json_of(kameng("orders", "--json"))] == [pending.id, paid.id]
    # The restored shop goes on selling from the same stock.
    assert again.stock().available == len(CODES) - 3
    assert again.pay(again.place(STEAM)).status.value == "delivered"


def test_restore_onto_a_live_shop_needs_force_and_keeps_the_replaced_files(stocked, kameng, tmp_path, data_env):
    before = stocked.place(STEAM)
    assert kameng("backup", tmp_path / "backup.tar.gz").code == 0
    after = stocked.place(STEAM, email="after@example.com")

    refused = kameng("restore", tmp_path / "backup.tar.gz")

    assert refused.code == 1
    assert "already holds a shop" in refused.err and "--force" in refused.err
    assert order_ids(data_env) == {before.id, after.id}

    forced = kameng("restore", tmp_path / "backup.tar.gz", "--force")

    assert forced.code == 0, forced.err
    assert order_ids(data_env) == {before.id}
    [aside] = tmp_path.glob("var.before-restore-*")
    assert str(aside) in forced.out
    assert order_ids(aside) == {before.id, after.id}
    assert (aside / "master.key").read_bytes() == (data_env / "master.key").read_bytes()
    # The restore is on the record, after the backup's own entries, and the chain still holds.
    actions = [(entry["action"], entry["subject"]) for entry in json_of(kameng("audit", "--json"))]
    assert actions[-1] == ("data.restore", str(tmp_path / "backup.tar.gz"))
    assert ("data.backup", str(tmp_path / "backup.tar.gz")) not in actions
    assert kameng("audit", "verify").code == 0


def truncate(backup: Path) -> None:
    backup.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])


def flip_a_byte_of_the_store(backup: Path) -> None:
    store = backup / "kameng.db"
    data = bytearray(store.read_bytes())
    data[len(data) // 2] ^= 0xFF
    store.write_bytes(bytes(data))


def drop_the_key(backup: Path) -> None:
    (backup / "master.key").unlink()


def miscount_the_orders(backup: Path) -> None:
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["databases"]["kameng.db"]["tables"]["orders"]["rows"] += 1
    (backup / "manifest.json").write_text(json.dumps(manifest))


def lose_the_manifest(backup: Path) -> None:
    (backup / "manifest.json").unlink()


@pytest.mark.parametrize("damage, archive, said", [
    (truncate, True, "damaged or truncated"),
    (flip_a_byte_of_the_store, False, "damaged: kameng.db"),
    (drop_the_key, False, "incomplete: master.key is missing"),
    (miscount_the_orders, False, "in kameng.db, orders differ from the manifest"),
    (lose_the_manifest, False, "not a Kameng backup"),
])
def test_a_damaged_backup_is_refused_and_nothing_is_replaced(stocked, kameng, tmp_path, data_env, damage, archive,
                                                              said):
    kept = stocked.place(STEAM)
    backup = tmp_path / ("backup.tar.gz" if archive else "backup")
    assert kameng("backup", backup).code == 0
    stocked.place(STEAM, email="since@example.com")
    live = order_ids(data_env)
    damage(backup)

    ran = kameng("restore", backup, "--force")

    assert ran.code == 1
    assert said in ran.err and "nothing was restored" in ran.err
    assert order_ids(data_env) == live and kept.id in live
    assert list(tmp_path.glob("var.before-restore-*")) == []
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_backups_and_restored_folders_are_private_and_say_they_hold_the_sealing_key(stocked, kameng, tmp_path,
                                                                                     monkeypatch):
    old_umask = os.umask(0o022)
    try:
        ran = kameng("backup", tmp_path / "folder")
        packed = kameng("backup", tmp_path / "file.tar.gz")
        restored_shop(monkeypatch, kameng, tmp_path / "file.tar.gz", tmp_path / "restored")
    finally:
        os.umask(old_umask)

    assert ran.code == 0 and packed.code == 0
    assert "master.key" in ran.out and "0600" in ran.out and "can read every card key" in ran.out
    assert mode(tmp_path / "file.tar.gz") == 0o600
    for root in (tmp_path / "folder", tmp_path / "restored"):
        assert mode(root) == 0o700
        for path in root.rglob("*"):
            assert mode(path) == (0o700 if path.is_dir() else 0o600), path
    assert json.loads((tmp_path / "folder" / "manifest.json").read_text())["sealing_key"]["included"] is True


def test_a_backup_never_overwrites_and_the_dynamodb_store_is_pointed_to_its_drill(stocked, kameng, tmp_path,
                                                                                   monkeypatch):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")

    ran = kameng("backup", tmp_path / "taken")

    assert ran.code == 1 and "already exists" in ran.err
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["notes.txt"]

    monkeypatch.setenv("KAMENG_STORE", "dynamodb")
    monkeypatch.setenv("KAMENG_TABLE", "kameng")
    on_aws = kameng("backup", tmp_path / "new")
    assert on_aws.code == 2 and "point-in-time recovery" in on_aws.err
    assert not (tmp_path / "new").exists()
