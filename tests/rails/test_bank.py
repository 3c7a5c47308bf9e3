"""Bank transfers (对公): the reference a buyer types, the invoice's 税号, a bank's statement read and matched,
a transfer confirmed by hand, and each within the owner's station."""
from __future__ import annotations

import base64
import dataclasses
import json
from datetime import timedelta
from pathlib import Path

import pytest

from kameng import wiring
from kameng.adapters.gateway_bank import BankTransferGateway
from kameng.domain.rail_numbers import refund_number
from kameng.adapters.rail_directory import RailDirectory
from kameng.domain.bank_transfer import (
    SECOND_TRANSFER, UNKNOWN_REFERENCE, check_invoice, find_reference, match, read_statement, reference_ok,
    transfer_reference,
)
from kameng.domain.errors import InvalidRequest, InvalidSignature, NotFound
from kameng.domain.order import OrderStatus
from kameng.domain.owners import Owner, Role
from kameng.ports.outside import Notification, SessionRequest, Show
from kameng.services import audit, bank_transfers
from kameng.services.sweeper import sweep
from tests.rails.bank_world import PLACED, bank_order
from tests.support.owners import make_owner

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rails" / "bank"
ICBC_GBK = (FIXTURES / "statement_icbc_gbk.csv").read_bytes()
CMB_BOM = (FIXTURES / "statement_cmb_utf8_bom.csv").read_bytes()
ORDER_IDS = [f"01JDBANK0000000000000000{i:02d}" for i in range(1, 6)]
TOTAL = 102000
PLATFORM = Owner("root", "root@shop.example", Role.PLATFORM_OWNER, None)


# ---------------------------------------------------------------- the reference and the 税号


def test_a_reference_is_short_and_its_check_character_catches_any_one_mistyped_character():
    reference = transfer_reference(ORDER_IDS[0])
    assert reference.startswith("KM") and len(reference) == 11 and reference_ok(reference)
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    for position in range(2, len(reference)):
        for char in alphabet:
            typo = reference[:position] + char + reference[position + 1:]
            assert typo == reference or not reference_ok(typo), typo
    assert len({transfer_reference(f"order-{n}") for n in range(5000)}) == 5000


def test_a_reference_is_found_anywhere_in_a_memo_whatever_the_case_spaces_and_dashes():
    reference = transfer_reference(ORDER_IDS[1])
    typed = f"货款 {reference[:4].lower()} - {reference[4:8]} {reference[8:].lower()} 谢谢"
    assert find_reference(typed) == reference
    assert find_reference("货款 " + reference[:-1] + ("A" if reference[-1] != "A" else "B")) is None


def test_a_unified_credit_code_must_carry_its_gb_32100_check_character():
    assert check_invoice(" 某某科技有限公司 ", "91350100m000100y43") == (
        ("title", "某某科技有限公司"), ("tax_id", "91350100M000100Y43"))
    with pytest.raises(InvalidRequest) as refused:
        check_invoice("某某科技有限公司", "91350100M000100Y44")
    assert refused.value.fields[0]["loc"] == "invoice.tax_id"


def test_an_eighteen_character_number_must_carry_a_check_character_a_person_s_id_number_included():
    assert check_invoice("张三工作室", "11010519491231002x")[1] == ("tax_id", "11010519491231002X")
    with pytest.raises(InvalidRequest):
        check_invoice("张三工作室", "110105194912310021")


def test_an_older_taxpayer_number_and_the_title_length_are_checked():
    assert check_invoice("某某商行", "110108123456789")[1] == ("tax_id", "110108123456789")
    with pytest.raises(InvalidRequest) as short_id:
        check_invoice("某某商行", "1101081234567")
    with pytest.raises(InvalidRequest) as no_title:
        check_invoice("某", "110108123456789")
    assert short_id.value.fields[0]["loc"] == "invoice.tax_id"
    assert no_title.value.fields[0]["loc"] == "invoice.title"


# ---------------------------------------------------------------- statements


def test_a_gbk_statement_with_chinese_headers_is_read_past_its_preamble_fees_and_total():
    lines = read_statement(ICBC_GBK)
    assert [(line.line, line.amount, line.bank_ref) for line in lines] == [
        (5, 102000, "ICBC202612020001"), (7, 99000, "ICBC202612030007"), (8, 110000, "ICBC202612030008"),
        (9, 50000, "ICBC202612040001"), (10, 102000, "ICBC202612040002")]
    first = lines[0]
    assert (first.date.isoformat(), first.payer, first.reference) == ("2026-12-02", "甲科技有限公司", "KMF8XG581K6")
    assert lines[1].reference == transfer_reference(ORDER_IDS[1])  # typed "km-m020-yq5b2"
    assert lines[3].reference is None and lines[4].reference is None  # no reference; one mistyped


def test_a_utf8_statement_with_a_bom_and_english_headers_is_read():
    lines = read_statement(CMB_BOM)
    assert len(lines) == 1
    assert (lines[0].amount, lines[0].payer, lines[0].reference, lines[0].bank_ref) == (
        102000, "Acme Trading Ltd", transfer_reference(ORDER_IDS[4]), "CMB20261205000117")


def test_a_malformed_line_is_reported_by_its_line_and_field_never_guessed():
    data = ("日期,金额,附言\n2026-12-01,100.00,a\n2026-12-02,12.3x,b\n2026-13-40,5.00,c\n"
            "2026-12-03,1,234.00,d\n").encode()
    with pytest.raises(InvalidRequest) as refused:
        read_statement(data)
    assert [f["loc"] for f in refused.value.fields] == ["line 3: amount", "line 4: date", "line 5: columns"]


def test_debits_and_negative_amounts_are_not_money_received():
    data = b"date,amount,memo\n2026-12-01,-20.00,fee\n2026-12-01,0.00,nothing\n2026-12-02,\"1,234.56\",x\n"
    assert [line.amount for line in read_statement(data)] == [123456]


def test_two_lines_of_one_reference_pay_once_and_the_second_goes_to_a_person():
    reference = transfer_reference(ORDER_IDS[0])
    data = f"date,amount,memo,bank_ref\n2026-12-01,1020.00,{reference},A1\n2026-12-02,1020.00,{reference},A2\n".encode()
    found = match(read_statement(data), {reference: object()})
    assert [m.line.bank_ref for m in found.pay] == ["A1"]
    assert [(p.line.bank_ref, p.why) for p in found.for_person] == [("A2", SECOND_TRANSFER)]


# ---------------------------------------------------------------- the gateway


def test_the_bank_gateway_shows_the_reference_waits_its_days_and_refunds_by_hand(caplog):
    gateway = BankTransferGateway(days=5)
    assert gateway.window == timedelta(days=5)
    session = gateway.create_session(_session_request(ORDER_IDS[0]))
    assert (session.id, session.url, session.show) == (transfer_reference(ORDER_IDS[0]),) * 2 + (Show.TRANSFER,)
    assert gateway.session_payment(session.id) is None
    with pytest.raises(InvalidSignature):
        gateway.verify_event(Notification(b"{}"))
    first = gateway.refund("bank:ICBC1", 500, ORDER_IDS[0])
    assert first == gateway.refund("bank:ICBC1", 500, ORDER_IDS[0]) == "bank:by-hand:" + refund_number(ORDER_IDS[0], 500)
    assert gateway.refund("bank:ICBC1", 500, ORDER_IDS[0], attempt=1) != first
    assert "by hand" in caplog.text
    with pytest.raises(ValueError):
        gateway.refund("bank:ICBC1", 0, ORDER_IDS[0])




def _session_request(order_id: str) -> SessionRequest:
    from datetime import datetime, timezone

    return SessionRequest(order_id=order_id, station="main", title="t", quantity=1, unit_price=TOTAL, total=TOTAL,
                          currency="CNY", email="a@example.com", success_url="", cancel_url="",
                          expires_at=datetime(2026, 3, 5, tzinfo=timezone.utc))


# ---------------------------------------------------------------- a station taking bank transfers


@pytest.fixture
def bank(deps, clock, stations, sku_with_keys):
    clock.now = PLACED
    gateway = BankTransferGateway(days=3)
    chosen = dataclasses.replace(deps, rails=RailDirectory({"bank": lambda: gateway}))
    wiring.use(chosen)
    stocked = sku_with_keys(8, price=TOTAL, wholesale=TOTAL - 7000, substation_price=None)

    for order_id in ORDER_IDS:
        bank_order(chosen, order_id, stations.main, stocked.sku, TOTAL, gateway.window)
    return chosen


def status(deps, order_id: str) -> OrderStatus:
    return deps.store.orders.order(order_id).status


def test_importing_a_statement_delivers_exact_payments_and_hands_the_rest_to_a_person(bank):
    report = bank_transfers.import_statement(PLATFORM, "main", ICBC_GBK, bank)

    assert [line["order_id"] for line in report["applied"]] == ORDER_IDS[:3]
    assert status(bank, ORDER_IDS[0]) is OrderStatus.DELIVERED
    assert [(line["line"], line["reference"]) for line in report["for_person"]] == [(9, None), (10, None)]
    assert status(bank, ORDER_IDS[3]) is OrderStatus.PENDING  # its reference was mistyped: a person decides


@pytest.mark.parametrize("order_index,paid", [(1, 99000), (2, 110000)], ids=["short", "over"])
def test_a_transfer_of_another_amount_goes_to_a_person_with_what_was_paid(bank, order_index, paid):
    bank_transfers.import_statement(PLATFORM, "main", ICBC_GBK, bank)

    order = bank.store.orders.order(ORDER_IDS[order_index])
    assert order.attention_reason.startswith("amount_mismatch") and order.paid_amount == paid
    assert order.status in (OrderStatus.NEEDS_ATTENTION, OrderStatus.REFUNDED) and order.key_ids == ()
    owed = {o["id"]: o for o in bank_transfers.refunds_owed(PLATFORM, "main", bank)}
    # No rail gives a bank transfer back: the owner owes the buyer exactly what came in.
    assert owed[order.id]["refund_amount"] == paid and owed[order.id]["refund_id"].startswith("bank:by-hand:")


def test_importing_the_same_statement_twice_applies_nothing_twice(bank):
    bank_transfers.import_statement(PLATFORM, "main", ICBC_GBK, bank)
    ledger = len(bank.store.orders.ledger(ORDER_IDS[0]))

    again = bank_transfers.import_statement(PLATFORM, "main", ICBC_GBK, bank)

    assert again["applied"] == [] and len(again["already_imported"]) == 3
    assert len(bank.store.orders.ledger(ORDER_IDS[0])) == ledger
    assert status(bank, ORDER_IDS[0]) is OrderStatus.DELIVERED


def test_a_second_transfer_to_a_paid_order_is_listed_for_a_person_never_dropped(bank):
    reference = transfer_reference(ORDER_IDS[0])
    bank_transfers.import_statement(PLATFORM, "main", ICBC_GBK, bank)
    later = f"date,amount,memo,bank_ref\n2026-12-06,1020.00,{reference},ICBC202612060001\n".encode()

    report = bank_transfers.import_statement(PLATFORM, "main", later, bank)

    assert report["applied"] == []
    assert report["for_person"][0]["order_id"] == ORDER_IDS[0] and "两次转账" in report["for_person"][0]["why"]


def test_an_unknown_reference_is_for_a_person(bank):
    stranger = transfer_reference("an order of another shop")
    data = f"date,amount,memo,bank_ref\n2026-12-06,1020.00,{stranger},X1\n".encode()
    report = bank_transfers.import_statement(PLATFORM, "main", data, bank)
    assert [line["why"] for line in report["for_person"]] == [UNKNOWN_REFERENCE]


def test_an_owner_confirms_one_transfer_by_hand_and_it_is_audited_once(bank):
    done = bank_transfers.confirm(PLATFORM, ORDER_IDS[4], TOTAL, "CMB20261205000117", bank)
    assert done["applied"] and status(bank, ORDER_IDS[4]) is OrderStatus.DELIVERED

    # The same transfer in the statement later is the one already counted.
    report = bank_transfers.import_statement(PLATFORM, "main", CMB_BOM, bank)
    assert report["applied"] == [] and len(report["already_imported"]) == 1

    confirmations = [e for e in audit.entries(bank) if e.action == "order.confirm_transfer"]
    assert len(confirmations) == 1 and confirmations[0].actor == PLATFORM.email
    assert confirmations[0].after["amount"] == TOTAL and confirmations[0].after["status"] == "delivered"
    imports = [e for e in audit.entries(bank) if e.action == "transfers.import"]
    assert imports[0].after["already_imported"] == 1


def test_an_unpaid_bank_order_expires_after_its_days_and_a_late_transfer_still_delivers_it(bank, clock):
    clock.advance(days=3, minutes=-1)
    sweep(bank)
    assert status(bank, ORDER_IDS[0]) is OrderStatus.PENDING
    clock.advance(minutes=2)
    sweep(bank)
    assert status(bank, ORDER_IDS[0]) is OrderStatus.EXPIRED
    assert ORDER_IDS[0] in [o["id"] for o in bank_transfers.awaiting(PLATFORM, "main", bank)]

    bank_transfers.import_statement(PLATFORM, "main", ICBC_GBK, bank)

    assert status(bank, ORDER_IDS[0]) is OrderStatus.DELIVERED


def test_the_transfers_list_shows_each_awaiting_order_with_its_reference_and_invoice(bank):
    listed = {o["id"]: o for o in bank_transfers.transfers(PLATFORM, "main", bank)["awaiting"]}
    assert set(listed) == set(ORDER_IDS)
    assert listed[ORDER_IDS[0]]["reference"] == transfer_reference(ORDER_IDS[0])
    assert listed[ORDER_IDS[0]]["tax_id"] == "91350100M000100Y43"


# ---------------------------------------------------------------- the owner API


def test_a_substation_owner_cannot_confirm_another_stations_order(bank, stations):
    sub = make_owner(bank, "owner@game-zone.example", "station_owner", stations.substation)
    with pytest.raises(NotFound):
        bank_transfers.confirm(Owner("o", "owner@game-zone.example", Role.STATION_OWNER, stations.substation),
                               ORDER_IDS[0], TOTAL, "R1", bank)

    answer = sub.call("POST", f"/api/owner/orders/{ORDER_IDS[0]}/confirm-transfer",
                      body={"amount": TOTAL, "bank_ref": "R1"})

    assert (answer.status, answer.code) == (404, "not_found")
    assert status(bank, ORDER_IDS[0]) is OrderStatus.PENDING
    listing = sub.call("GET", f"/api/owner/stations/{stations.main}/transfers")
    assert listing.status == 404


def test_staff_cannot_import_a_statement(bank, stations):
    staff = make_owner(bank, "staff@shop.example", "staff", stations.main)
    answer = staff.call("POST", f"/api/owner/stations/{stations.main}/transfers/import",
                        body={"csv_base64": base64.b64encode(ICBC_GBK).decode()})
    assert answer.status == 403 and status(bank, ORDER_IDS[0]) is OrderStatus.PENDING


def test_the_station_owner_imports_a_statement_and_confirms_a_transfer_through_the_api(bank, stations):
    owner = make_owner(bank, "owner@shop.example", "station_owner", stations.main)

    imported = owner.call("POST", f"/api/owner/stations/{stations.main}/transfers/import",
                          body={"csv_base64": base64.b64encode(ICBC_GBK).decode()})
    confirmed = owner.call("POST", f"/api/owner/orders/{ORDER_IDS[4]}/confirm-transfer",
                           body={"amount": TOTAL, "bank_ref": "CMB20261205000117"})
    listing = owner.call("GET", f"/api/owner/stations/{stations.main}/transfers")

    assert imported.status == 200 and len(imported.json["applied"]) == 3
    assert confirmed.status == 200 and confirmed.json["order"]["status"] == "delivered"
    assert [o["id"] for o in listing.json["awaiting"]] == [ORDER_IDS[3]]
    assert len(listing.json["refunds_owed"]) == 2


def test_a_malformed_statement_through_the_api_names_line_and_field(bank, stations):
    owner = make_owner(bank, "owner@shop.example", "station_owner", stations.main)
    bad = "日期,金额,附言\n2026-12-01,abc,x\n".encode("gbk")
    answer = owner.call("POST", f"/api/owner/stations/{stations.main}/transfers/import",
                        body={"csv_base64": base64.b64encode(bad).decode()})
    assert answer.status == 400
    assert json.loads(answer.body)["error"]["fields"][0]["loc"] == "line 2: amount"


@pytest.mark.parametrize("hostile", [
    "交易日期,贷方金额,附言\n2026-12-01,1e999999999,KM\n",
    "交易日期,贷方金额,附言\n2026-12-01,1E+7000,KM\n",
    "交易日期,贷方金额,附言\n2026-12-01,NaN,KM\n",
    "交易日期,贷方金额,附言\n2026-12-01,12.00,\"" + "x" * 200_000 + "\"\n",
], ids=["huge exponent", "exponent", "not a number", "a cell past the csv limit"])
def test_a_hostile_statement_is_refused_with_its_reason_never_an_error(hostile):
    with pytest.raises(InvalidRequest):
        read_statement(hostile.encode())
