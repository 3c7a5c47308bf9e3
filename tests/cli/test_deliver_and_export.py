"""`kameng deliver`: a manual product's order delivered from the command line with the owner's text;
`kameng batches export`: a batch's keys still available, written to a file only its owner can read."""
from __future__ import annotations

import csv
import stat

import pytest

from kameng.domain.fulfilment import Kind
from kameng.domain.order import OrderStatus
from kameng.domain.price_book import PricedSku
from kameng.services import audit
from kameng.services.checkout import CheckoutRequest, place
from kameng.services.lookup import view

from .conftest import MAIN, STEAM, json_of

BOOST = "boost-rank"
BOOST_LINE = PricedSku(sku=BOOST, product="boost", title="代练上分", price=3000, wholesale=2500, min_quantity=1,
                       max_quantity=1, low_stock=0, kind=Kind.MANUAL, delivery_hours=24)


@pytest.fixture
def manual_order(shop):
    book = shop.deps.store.price_books.price_book(MAIN)
    shop.deps.store.price_books.put_price_book(book.model_copy(update={"skus": {**book.skus, BOOST: BOOST_LINE}}))
    request = CheckoutRequest(station=MAIN, sku=BOOST, quantity=1, email="buyer@example.com", query_password="8642")
    order = shop.pay(place(request, shop.deps).order)
    assert order.status is OrderStatus.AWAITING_DELIVERY
    return order


def entries(shop, action):
    return [entry for entry in audit.entries(shop.deps) if entry.action == action]


def test_deliver_with_a_message_delivers_the_order_and_the_buyer_reads_it(shop, kameng, manual_order):
    ran = kameng("deliver", manual_order.id, "--message", "已代练至钻石")

    assert ran.code == 0, ran.err
    assert "delivered order" in ran.out
    delivered = shop.deps.store.orders.order(manual_order.id)
    assert delivered.status is OrderStatus.DELIVERED
    assert view(delivered, shop.deps)["message"] == "已代练至钻石"
    (entry,) = entries(shop, "order.deliver")
    assert entry.actor.endswith("(cli)") and "已代练至钻石" not in repr(entry)


def test_deliver_reads_the_message_from_a_file(shop, kameng, manual_order, tmp_path):
    note = tmp_path / "delivery.txt"
    note.write_text("账号 abc123\n密码 xyz789\n", encoding="utf-8")

    assert kameng("deliver", manual_order.id, "--file", note, "--json").code == 0

    assert view(shop.deps.store.orders.order(manual_order.id), shop.deps)["message"] == "账号 abc123\n密码 xyz789"


def test_deliver_refuses_an_order_that_is_not_awaiting_delivery_and_needs_a_message(shop, kameng, manual_order):
    unpaid = place(CheckoutRequest(station=MAIN, sku=BOOST, quantity=1, email="other@example.com",
                                   query_password="8642"), shop.deps).order

    refused = kameng("deliver", unpaid.id, "--message", "hello")
    missing = kameng("deliver", manual_order.id)

    assert refused.code == 1 and "pending" in refused.err
    assert missing.code == 2
    assert shop.deps.store.orders.order(manual_order.id).status is OrderStatus.AWAITING_DELIVERY
    assert entries(shop, "order.deliver") == []


def _import(kameng, keys_file, lines):
    ran = kameng("import-keys", STEAM, keys_file("keys.csv", lines))
    assert ran.code == 0, ran.err
    return ran.out.splitlines()[-1].split()[1]


def test_a_batch_exports_its_available_keys_to_a_private_csv_and_is_audited_by_count(shop, kameng, keys_file,
                                                                                    tmp_path):
    batch = _import(kameng, keys_file, ["key,password", "EXP-0001-KEY,pw1", "EXP-0002-KEY,pw2", "EXP-0003-KEY,"])
    shop.pay(shop.place(STEAM, station=MAIN))  # one key sold: it is not exported
    out = tmp_path / "batch.csv"

    ran = kameng("batches", "export", batch, "--out", out)

    assert ran.code == 0, ran.err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["key", "password"] and len(rows) == 3
    sold = {code for code in ("EXP-0001-KEY", "EXP-0002-KEY", "EXP-0003-KEY")} - {row[0] for row in rows[1:]}
    assert len(sold) == 1
    (entry,) = entries(shop, "keys.export")
    assert entry.after["count"] == 2 and "EXP-000" not in repr(entry)
    assert shop.stock().available == 2  # exporting does not take them out of stock


def test_a_txt_export_is_one_key_a_line_and_never_overwrites_a_file(shop, kameng, keys_file, tmp_path):
    batch = _import(kameng, keys_file, ["TXT-0001-KEY", "TXT-0002-KEY"])
    out = tmp_path / "batch.txt"

    assert json_of(kameng("batches", "export", batch, "--out", out, "--json"))["exported"] == 2
    assert sorted(out.read_text(encoding="utf-8").splitlines()) == ["TXT-0001-KEY", "TXT-0002-KEY"]
    again = kameng("batches", "export", batch, "--out", out)
    assert again.code == 1 and "exists" in again.err
    assert len(entries(shop, "keys.export")) == 1


def test_keys_with_passwords_need_a_csv_and_an_unknown_batch_is_refused(shop, kameng, keys_file, tmp_path):
    batch = _import(kameng, keys_file, ["key,password", "PW-0001-KEY,secret"])

    with_passwords = kameng("batches", "export", batch, "--out", tmp_path / "keys.txt")
    unknown = kameng("batches", "export", "NO-SUCH-BATCH", "--out", tmp_path / "none.csv")
    wrong_kind = kameng("batches", "export", batch, "--out", tmp_path / "keys.json")

    assert with_passwords.code == 2 and ".csv" in with_passwords.err
    assert not (tmp_path / "keys.txt").exists()
    assert unknown.code == 1 and not (tmp_path / "none.csv").exists()
    assert wrong_kind.code == 2
    assert entries(shop, "keys.export") == []


class _RecordingClient:
    def __init__(self) -> None:
        self.posts: list[tuple[str, dict]] = []

    def post(self, path: str, body: dict) -> dict:
        self.posts.append((path, body))
        return {"order": {"id": path.split("/")[2], "status": "delivered"}}


def test_remote_deliver_sends_the_message_or_nothing_for_a_delivery_from_stock(kameng, monkeypatch, tmp_path):
    from kameng.cli import remote

    client = _RecordingClient()
    monkeypatch.setattr(remote, "_client", lambda args: client)
    note = tmp_path / "note.txt"
    note.write_text("卡号 123\n", encoding="utf-8")

    assert kameng("remote", "deliver", "ORDER1", "--message", "已发货").code == 0
    assert kameng("remote", "deliver", "ORDER2", "--file", note).code == 0
    ran = kameng("remote", "deliver", "ORDER3")

    assert ran.code == 0 and "ORDER3 is delivered" in ran.out
    assert client.posts == [("/orders/ORDER1/deliver", {"message": "已发货"}),
                            ("/orders/ORDER2/deliver", {"message": "卡号 123\n"}),
                            ("/orders/ORDER3/deliver", {})]
