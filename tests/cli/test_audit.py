"""`kameng audit`: each owner action leaves one entry of who, what, before and after; `audit verify` checks the chain."""
from __future__ import annotations

import csv
import getpass
import io
import sqlite3
from datetime import datetime, timezone

from kameng.domain.member import Withdrawal
from kameng.domain.price_book import PriceBook
from kameng.services.audit import publishing_price_books

from .conftest import MAIN, STEAM, SUBSTATION, json_of
from .test_orders import CODES, stocked

OWNER = f"{getpass.getuser()} (cli)"


def logged(shop) -> list:
    return shop.deps.store.audit_log.entries(None, 0, 1000)


def a_withdrawal(shop, n: int = 1) -> str:
    store = shop.deps.store
    store.members.open_member(SUBSTATION, "referrer-key", "REFERRER01")
    withdrawal_id = f"01JW{n:022d}"
    assert store.payouts.request_withdrawal(Withdrawal(
        id=withdrawal_id, station=SUBSTATION, referrer="referrer-key", amount=1200, method="alipay",
        account="13800000000", name="张三", requested_at=datetime(2026, 3, 9, tzinfo=timezone.utc)), 1200 * (n - 1))
    return withdrawal_id


def test_import_keys_records_counts_never_keys(shop, kameng, keys_file):
    stocked(kameng, keys_file)

    [entry] = logged(shop)
    assert (entry.actor, entry.station, entry.action, entry.subject) == (OWNER, MAIN, "keys.import", STEAM)
    assert entry.after == {"file": f"{STEAM}.txt", "batch_id": entry.after["batch_id"], "imported": len(CODES),
                           "duplicates": 0, "malformed": 0}
    assert entry.after["batch_id"] in {b.batch_id for b in shop.deps.store.key_batches.batches_of(STEAM)}
    assert not any(code in kameng("audit", "--json").out for code in CODES)


def test_refund_records_the_order_moving_from_delivered_to_refunded(shop, kameng, keys_file):
    stocked(kameng, keys_file)
    order = shop.pay(shop.place(STEAM, quantity=1))
    assert kameng("refund", order.id).code == 0
    assert kameng("refund", order.id).code == 0  # refunded already: nothing more happened, nothing more logged

    entries = logged(shop)
    assert [e.action for e in entries] == ["keys.import", "order.refund"]
    refund = entries[1]
    assert (refund.actor, refund.station, refund.subject) == (OWNER, SUBSTATION, order.id)
    assert refund.before == {"status": "delivered"}
    assert refund.after["status"] == "refunded" and refund.after["amount"] == order.total
    assert refund.after["refund_id"].startswith("re_")


def test_settling_a_withdrawal_records_its_status_before_and_after(shop, kameng):
    paid, rejected = a_withdrawal(shop, 1), a_withdrawal(shop, 2)
    assert kameng("withdrawals", SUBSTATION, "--pay", paid, "--note", "支付宝").code == 0
    assert kameng("withdrawals", SUBSTATION, "--reject", rejected).code == 0
    assert kameng("withdrawals", SUBSTATION, "--pay", paid).code == 1

    first, second = logged(shop)
    assert (first.action, first.subject, first.station, first.actor) == ("withdrawal.paid", paid, SUBSTATION, OWNER)
    assert first.before == {"status": "requested", "amount": 1200}
    assert first.after == {"status": "paid", "amount": 1200, "note": "支付宝"}
    assert (second.action, second.after["status"]) == ("withdrawal.rejected", "rejected")


def test_give_coupon_records_the_coupon_and_its_amount(shop, kameng):
    given = json_of(kameng("give-coupon", SUBSTATION, "buyer@example.com", "5.00", "--json"))

    [entry] = logged(shop)
    assert (entry.action, entry.subject, entry.station, entry.actor) == ("coupon.give", given["code"], SUBSTATION, OWNER)
    assert entry.after["amount"] == 500 and entry.after["ends"] == given["ends"]
    assert "buyer@example.com" not in str(entry.after)


def test_a_price_book_publish_records_the_version_before_and_after(shop):
    before = shop.deps.store.price_books.price_book(MAIN).version
    book = shop.deps.store.price_books.price_book(MAIN).model_copy(update={"domain": "new.example"})

    publishing_price_books(shop.deps, OWNER)(book)
    publishing_price_books(shop.deps, OWNER)(PriceBook(station="fresh", domain="fresh.example", currency="CNY", skus={}))

    first, second = logged(shop)
    assert (first.action, first.station, first.before, first.after) == (
        "price_book.publish", MAIN, {"version": before}, {"version": book.version})
    assert before != book.version
    assert (second.station, second.before) == ("fresh", {"version": None})


def test_audit_lists_filters_and_exports_the_log(shop, kameng, keys_file, tmp_path):
    stocked(kameng, keys_file)
    kameng("give-coupon", SUBSTATION, "buyer@example.com", "5.00")

    listed = kameng("audit")
    assert listed.code == 0 and "keys.import" in listed.out and "coupon.give" in listed.out
    assert [e["action"] for e in json_of(kameng("audit", "--station", SUBSTATION, "--json"))] == ["coupon.give"]
    assert kameng("audit", "--csv", tmp_path / "audit.csv").code == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "audit.csv").read_text(encoding="utf-8"))))
    assert [row["seq"] for row in rows] == ["1", "2"] and rows[0]["actor"] == OWNER
    assert kameng("audit", "--csv", "-").out.startswith("seq,at,actor,station,action")


def test_audit_verify_passes_a_whole_chain_and_names_an_edited_entry(shop, kameng, keys_file, data_env):
    assert kameng("audit", "verify").out.strip() == "chain of 0 entries verified"
    stocked(kameng, keys_file)
    kameng("give-coupon", SUBSTATION, "buyer@example.com", "5.00")
    kameng("give-coupon", SUBSTATION, "buyer@example.com", "6.00")
    whole = kameng("audit", "verify")
    assert (whole.code, whole.out.strip()) == (0, "chain of 3 entries verified")

    with sqlite3.connect(shop.deps.store.audit_log._db.path) as conn:
        conn.execute("UPDATE audit_entries SET after = '{\"amount\": 1}' WHERE seq = 2")
    broken = kameng("audit", "verify")
    assert broken.code == 1 and broken.out.startswith("the audit log is broken at entry 2:")
