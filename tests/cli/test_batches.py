"""Key batches from the command line: every import is one, listed with its counts, voided whole,
traced from an order's keys and counted in the main station's settlement margin per batch."""
import logging
import time

from kameng.services import audit
from kameng.services.lookup import owner_view

from .conftest import COACH, COACH_LINE, MAIN, STEAM, SUBSTATION, json_of

PERIOD = ("--from", "2026-03-02", "--to", "2026-03-03")


def import_batch(kameng, keys_file, name, codes, *options):
    ran = kameng("import-keys", STEAM, keys_file(name, codes), *options)
    assert ran.code == 0, ran.err
    # Key ids sort by the millisecond of their import: the next batch's keys sort after these.
    time.sleep(0.01)
    return ran.out.splitlines()[-1].split()[1]


def two_batches(kameng, keys_file):
    first = import_batch(kameng, keys_file, "a.txt", ["A-0001-KEY", "A-0002-KEY"],
                         "--supplier", "卡商A", "--cost", "90.00", "--note", "三月进货")
    second = import_batch(kameng, keys_file, "b.txt", ["B-0001-KEY", "B-0002-KEY", "B-0003-KEY"])
    return first, second


def by_batch(kameng):
    return {row["batch_id"]: row for row in json_of(kameng("batches", STEAM, "--json"))["batches"]}


def test_each_import_is_a_batch_with_its_supplier_cost_and_note(shop, kameng, keys_file):
    first, second = two_batches(kameng, keys_file)
    rows = by_batch(kameng)
    assert list(rows) == [first, second]
    assert {k: rows[first][k] for k in ("supplier", "cost_per_key", "note", "available", "imported")} == {
        "supplier": "卡商A", "cost_per_key": 9000, "note": "三月进货", "available": 2, "imported": 2}
    assert (rows[second]["supplier"], rows[second]["cost_per_key"], rows[second]["available"]) == ("", None, 3)
    listed = kameng("batches", STEAM)
    assert listed.code == 0 and first in listed.out and "卡商A" in listed.out


def test_a_bad_cost_is_refused_before_anything_is_imported(shop, kameng, keys_file):
    ran = kameng("import-keys", STEAM, keys_file("a.txt", ["A-0001-KEY"]), "--cost", "-1")
    assert ran.code == 2 and "negative" in ran.err
    assert shop.stock().imported == 0 and json_of(kameng("batches", STEAM, "--json"))["batches"] == []


def test_an_orders_keys_trace_to_their_batch_and_counts_move_with_them(shop, kameng, keys_file):
    first, second = two_batches(kameng, keys_file)
    order = shop.pay(shop.place(STEAM, quantity=3, station=MAIN))
    traced = [key["batch_id"] for key in owner_view(order.id, shop.deps)["keys"]]
    assert sorted(traced) == [first, first, second]
    rows = by_batch(kameng)
    assert (rows[first]["sold"], rows[first]["available"]) == (2, 0)
    assert (rows[second]["sold"], rows[second]["available"]) == (1, 2)


def test_voiding_a_batch_voids_only_its_available_keys_and_is_audited(shop, kameng, keys_file):
    first, second = two_batches(kameng, keys_file)
    shop.pay(shop.place(STEAM, quantity=3, station=MAIN))  # both of the first batch's keys, one of the second's
    ran = kameng("void-batch", second)
    assert ran.code == 0, ran.err
    assert f"batch {second} of {STEAM}: voided 2, held 0" in ran.out
    rows = by_batch(kameng)
    assert (rows[second]["sold"], rows[second]["void"], rows[second]["available"]) == (1, 2, 0)
    assert (rows[first]["sold"], rows[first]["void"]) == (2, 0)
    assert (shop.stock().available, shop.stock().void) == (0, 2)
    logged = [entry for entry in audit.entries(shop.deps) if entry.action == "keys.void_batch"]
    assert [(entry.subject, entry.after["voided"]) for entry in logged] == [(second, 2)]
    unknown = kameng("void-batch", "NO-SUCH-BATCH")
    assert unknown.code == 1 and "NO-SUCH-BATCH" in unknown.err


def test_the_main_stations_settlement_shows_the_margin_of_each_batch(shop, kameng, keys_file):
    first, second = two_batches(kameng, keys_file)
    shop.pay(shop.place(STEAM, quantity=3, station=MAIN))  # 3 × 99.80: both keys of the first batch, one of the second
    refunded = shop.pay(shop.place(STEAM, quantity=1, station=MAIN))  # a key of the second batch, refunded
    assert kameng("refund", refunded.id).code == 0
    report = json_of(kameng("settlement", MAIN, *PERIOD, "--json"))
    assert report["batches"] == [
        # 2 keys × 99.80 sold, less 2 × 90.00
        {"batch_id": first, "keys": 2, "refunded": 0, "sales": 19960, "cost": 18000, "margin": 1960},
        # one key kept (99.80), one refunded (no sale); no cost was told
        {"batch_id": second, "keys": 2, "refunded": 1, "sales": 9980, "cost": None, "margin": None},
    ]
    text = kameng("settlement", MAIN, *PERIOD).out
    assert "margin per key batch" in text and "¥19.60" in text and "cost unknown" in text


def test_voiding_a_batch_of_a_substations_own_goods_is_filed_under_that_station_and_checks_its_threshold(
        shop, kameng, keys_file, caplog):
    shop.add_own_goods(COACH_LINE)  # low_stock 2
    ran = kameng("import-keys", COACH, keys_file("coach.txt", ["COACH-0001", "COACH-0002", "COACH-0003"]))
    assert ran.code == 0, ran.err
    batch = ran.out.splitlines()[-1].split()[1]

    with caplog.at_level(logging.WARNING):
        voided = kameng("void-batch", batch)

    assert voided.code == 0, voided.err
    assert f"batch {batch} of {COACH}: voided 3, held 0" in voided.out
    filed = [entry for entry in audit.entries(shop.deps, SUBSTATION) if entry.action == "keys.void_batch"]
    assert [(entry.subject, entry.after["voided"]) for entry in filed] == [(batch, 3)]
    assert not [entry for entry in audit.entries(shop.deps, MAIN) if entry.action == "keys.void_batch"]
    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("stock is low")] == [
        f"stock is low: {COACH} has 0 left (threshold 2)"]
