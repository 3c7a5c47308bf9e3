"""`kameng settlement`: a station's period from the ledger, as a summary, JSON and CSV."""
import csv
import io

from .conftest import STEAM, json_of
from .test_orders import stocked

PERIOD = ("--from", "2026-03-02", "--to", "2026-03-03")


def three_orders(shop, kameng, keys_file):
    """Two delivered 105.00 orders of game-zone (wholesale 96.50), one refunded afterwards, one never paid."""
    stocked(kameng, keys_file)
    kept = shop.pay(shop.place(STEAM))
    refunded = shop.pay(shop.place(STEAM))
    shop.place(STEAM)
    assert kameng("refund", refunded.id).code == 0
    return kept, refunded


def test_the_summary_counts_delivered_orders_and_nets_out_the_refund(shop, kameng, keys_file):
    three_orders(shop, kameng, keys_file)
    ran = kameng("settlement", "game-zone", *PERIOD)
    assert ran.code == 0, ran.err
    lines = {line[:28].strip(): line[28:].strip() for line in ran.out.splitlines()[1:-1]}
    assert lines["orders delivered"] == "2 (1 refunded since)"
    assert lines["shoppers paid"] == "¥210.00 (before refunds)"
    assert lines["gross margin"] == "¥17.00"
    assert lines["refunds, station's share"] == "-¥8.50"
    assert lines["net"] == "¥8.50"
    assert lines["balance due to station"] == "¥8.50"
    assert "minor units" in ran.out.splitlines()[-1]


def test_the_csv_has_one_line_per_delivered_order_and_a_total(shop, kameng, keys_file, tmp_path):
    kept, refunded = three_orders(shop, kameng, keys_file)
    out = tmp_path / "game-zone.csv"
    assert kameng("settlement", "game-zone", *PERIOD, "--csv", out).code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8"))))
    assert [(r["order_id"], r["status"], r["net"]) for r in rows] == [
        (kept.id, "delivered", "850"), (refunded.id, "refunded", "0"), ("total", "", "850")]
    on_stdout = kameng("settlement", "game-zone", *PERIOD, "--csv", "-").out
    assert on_stdout == out.read_text("utf-8")


def test_json_totals_for_scripts(shop, kameng, keys_file):
    three_orders(shop, kameng, keys_file)
    totals = json_of(kameng("settlement", "game-zone", *PERIOD, "--json"))
    assert (totals["orders"], totals["paid"], totals["net"], totals["currency"]) == (2, 21000, 850, "CNY")


def test_a_period_outside_the_orders_is_empty_and_bad_arguments_are_named(shop, kameng, keys_file):
    three_orders(shop, kameng, keys_file)
    assert json_of(kameng("settlement", "game-zone", "--from", "2026-04-01", "--to", "2026-05-01", "--json"))["orders"] == 0
    backwards = kameng("settlement", "game-zone", "--from", "2026-05-01", "--to", "2026-04-01")
    assert backwards.code == 2 and "must be after --from" in backwards.err
    unknown = kameng("settlement", "nowhere", *PERIOD)
    assert unknown.code == 1 and "unknown station 'nowhere'" in unknown.err
    garbled = kameng("settlement", "game-zone", "--from", "last week", "--to", "2026-04-01")
    assert garbled.code == 2 and "expected a date such as 2026-11-01" in garbled.err


def test_withdrawals_are_listed_paid_once_or_rejected(shop, kameng):
    from datetime import datetime, timezone

    from kameng.domain.member import Withdrawal

    store = shop.deps.store
    store.members.open_member("game-zone", "referrer-key", "REFERRER01")
    for n, amount in enumerate((1200, 800), start=1):
        assert store.payouts.request_withdrawal(Withdrawal(
            id=f"01JW{n:022d}", station="game-zone", referrer="referrer-key", amount=amount, method="alipay",
            account="13800000000", name="张三", requested_at=datetime(2026, 3, 9, tzinfo=timezone.utc)),
            1200 if n == 2 else 0)
    listed = kameng("withdrawals", "game-zone", "--status", "requested")
    assert listed.code == 0 and "¥12.00" in listed.out and "13800000000" in listed.out and "张三" in listed.out
    first, second = (f"01JW{n:022d}" for n in (1, 2))
    paid = kameng("withdrawals", "game-zone", "--pay", first, "--note", "支付宝 转账")
    assert paid.code == 0 and "marked paid" in paid.out
    twice = kameng("withdrawals", "game-zone", "--pay", first)
    assert twice.code == 1 and "no withdrawal" in twice.err
    assert kameng("withdrawals", "game-zone", "--reject", second).code == 0
    assert store.members.member("game-zone", "referrer-key").withdrawn == 1200
    statuses = [w["status"] for w in json_of(kameng("withdrawals", "game-zone", "--json"))]
    assert statuses == ["paid", "rejected"]
