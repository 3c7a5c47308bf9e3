"""`kameng transfers`: bank orders awaiting a transfer, a bank's statement imported, a transfer confirmed by hand."""
from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from kameng import wiring
from kameng.adapters.gateway_bank import BankTransferGateway
from kameng.adapters.rail_directory import RailDirectory
from kameng.domain.bank_transfer import transfer_reference
from kameng.domain.order import OrderStatus
from kameng.services import audit, import_keys
from tests.rails.bank_world import PLACED, bank_order

from .conftest import MAIN, STEAM, json_of

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rails" / "bank"
ORDERS = [f"01JDBANK0000000000000000{i:02d}" for i in range(1, 6)]
TOTAL = 102000


@pytest.fixture
def bank_shop(shop):
    deps = dataclasses.replace(shop.deps, rails=RailDirectory({"bank": lambda: BankTransferGateway(days=3)}),
                               clock=lambda: PLACED)
    wiring.use(deps)
    book = deps.store.price_books.price_book(MAIN)
    deps.store.price_books.put_price_book(book.model_copy(update={"skus": book.skus | {
        STEAM: book.skus[STEAM].model_copy(update={"price": TOTAL})}}))
    import_keys.import_lines(STEAM, [f"BANKKEY{n:04d}\n" for n in range(6)], False, deps)
    for order_id in ORDERS:
        bank_order(deps, order_id, MAIN, STEAM, TOTAL, timedelta(days=3))
    return deps


def test_import_applies_the_statement_and_lists_what_a_person_must_look_at(bank_shop, kameng):
    ran = kameng("transfers", "import", FIXTURES / "statement_icbc_gbk.csv")

    assert ran.code == 0, ran.err
    assert "3 applied" in ran.out and "2 for you to look at" in ran.out
    assert bank_shop.store.orders.order(ORDERS[0]).status is OrderStatus.DELIVERED
    again = json_of(kameng("transfers", "import", FIXTURES / "statement_icbc_gbk.csv", "--json"))
    assert again["applied"] == [] and len(again["already_imported"]) == 3


def test_confirm_pays_the_order_and_is_audited_as_the_cli_user(bank_shop, kameng):
    ran = kameng("transfers", "confirm", ORDERS[4], "--amount", "1020.00", "--bank-ref", "CMB20261205000117")

    assert ran.code == 0, ran.err
    assert bank_shop.store.orders.order(ORDERS[4]).status is OrderStatus.DELIVERED
    entry = [e for e in audit.entries(bank_shop) if e.action == "order.confirm_transfer"][0]
    assert entry.actor.endswith("(cli)") and entry.after["amount"] == TOTAL


def test_list_shows_each_awaiting_order_with_its_reference(bank_shop, kameng):
    ran = kameng("transfers", "list")
    assert ran.code == 0 and transfer_reference(ORDERS[2]) in ran.out


def test_a_malformed_statement_fails_naming_the_line_and_field_and_applies_nothing(bank_shop, kameng, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(f"交易日期,贷方金额,附言\n2026-12-01,1020.00,{transfer_reference(ORDERS[0])}\n"
                    "2026-12-02,12.3x,货款\n".encode("gbk"))

    ran = kameng("transfers", "import", bad)

    assert ran.code == 1 and "line 3: amount" in ran.err
    assert bank_shop.store.orders.order(ORDERS[0]).status is OrderStatus.PENDING


def test_refund_paid_records_a_bank_refund_once_and_list_shows_it_paid_back(bank_shop, kameng):
    kameng("transfers", "import", FIXTURES / "statement_icbc_gbk.csv")
    short = ORDERS[1]  # paid short: refunded by hand

    ran = kameng("transfers", "refund-paid", short, "--bank-ref", "ICBC-OUT-0001", "--note", "退回付款账户")
    other = kameng("transfers", "refund-paid", short, "--bank-ref", "ICBC-OUT-0002")
    listed = json_of(kameng("transfers", "list", "--json"))

    assert ran.code == 0, ran.err
    assert "ICBC-OUT-0001" in ran.out
    assert other.code == 1 and "ICBC-OUT-0001" in other.err
    assert short not in [o["id"] for o in listed["refunds_owed"]]
    assert [(o["id"], o["bank_ref"]) for o in listed["refunds_paid"]] == [(short, "ICBC-OUT-0001")]
    entry = [e for e in audit.entries(bank_shop) if e.action == "order.refund_paid"][0]
    assert entry.actor.endswith("(cli)") and entry.subject == short
