"""A bank refund given back by hand: the owner records the transfer to the buyer, once, and the owed list
shrinks while the paid-back list grows."""
from __future__ import annotations

import pytest

from kameng.domain.errors import Forbidden, InvalidRequest, NotFound, RefundNotOwed, RefundPaidAlready
from kameng.domain.owners import Owner, Role
from kameng.services import audit, bank_transfers
from tests.rails.test_bank import ICBC_GBK, ORDER_IDS, PLATFORM, bank  # noqa: F401 - the fixture
from tests.support.owners import make_owner

# The statement pays ORDER_IDS[1] short and ORDER_IDS[2] over: both are refunded by hand.
SHORT, OVER = ORDER_IDS[1], ORDER_IDS[2]


@pytest.fixture
def owed(bank):
    bank_transfers.import_statement(PLATFORM, "main", ICBC_GBK, bank)
    assert {o["id"] for o in bank_transfers.refunds_owed(PLATFORM, "main", bank)} == {SHORT, OVER}
    return bank


def paid_back(deps) -> dict[str, dict]:
    return {o["id"]: o for o in bank_transfers.refunds_paid(PLATFORM, "main", deps)}


def test_a_recorded_refund_leaves_the_owed_list_for_the_paid_back_list(owed):
    done = bank_transfers.record_refund_paid(PLATFORM, SHORT, "  ICBC-OUT-0001 ", "退回付款账户", owed)

    assert done["recorded"] and done["refund"]["bank_ref"] == "ICBC-OUT-0001"
    assert [o["id"] for o in bank_transfers.refunds_owed(PLATFORM, "main", owed)] == [OVER]
    listed = paid_back(owed)[SHORT]
    assert (listed["bank_ref"], listed["note"], listed["by"]) == ("ICBC-OUT-0001", "退回付款账户", PLATFORM.email)
    assert listed["paid_at"] and listed["refund_amount"] == 99000


def test_recording_the_same_reference_again_answers_the_same_and_audits_once(owed):
    first = bank_transfers.record_refund_paid(PLATFORM, SHORT, "ICBC-OUT-0001", None, owed)
    again = bank_transfers.record_refund_paid(PLATFORM, SHORT, "ICBC-OUT-0001", None, owed)

    assert again["refund"] == first["refund"] and not again["recorded"]
    entries = [e for e in audit.entries(owed) if e.action == "order.refund_paid"]
    assert len(entries) == 1
    assert (entries[0].actor, entries[0].subject, entries[0].after["bank_ref"]) == (PLATFORM.email, SHORT, "ICBC-OUT-0001")


def test_another_reference_after_the_first_is_refused_naming_the_recorded_one(owed):
    bank_transfers.record_refund_paid(PLATFORM, SHORT, "ICBC-OUT-0001", None, owed)

    with pytest.raises(RefundPaidAlready) as refused:
        bank_transfers.record_refund_paid(PLATFORM, SHORT, "ICBC-OUT-9999", None, owed)

    assert "ICBC-OUT-0001" in refused.value.message
    assert paid_back(owed)[SHORT]["bank_ref"] == "ICBC-OUT-0001"


@pytest.mark.parametrize("bank_ref,note", [("", None), ("   ", None), ("x" * 65, None), ("A\nB", None),
                                           ("R1", "n" * 201)])
def test_a_missing_or_malformed_reference_or_note_is_refused(owed, bank_ref, note):
    with pytest.raises(InvalidRequest):
        bank_transfers.record_refund_paid(PLATFORM, SHORT, bank_ref, note, owed)
    assert paid_back(owed) == {}


def test_an_order_that_owes_nothing_by_hand_is_refused(owed):
    # ORDER_IDS[0] was paid exactly and delivered: nothing to give back.
    with pytest.raises(RefundNotOwed):
        bank_transfers.record_refund_paid(PLATFORM, ORDER_IDS[0], "R1", None, owed)
    with pytest.raises(NotFound):
        bank_transfers.record_refund_paid(PLATFORM, "01NOSUCHORDER0000000000000", "R1", None, owed)


def test_another_stations_owner_and_staff_cannot_record(owed, stations):
    with pytest.raises(NotFound):
        bank_transfers.record_refund_paid(Owner("o", "o@game-zone.example", Role.STATION_OWNER, stations.substation),
                                          SHORT, "R1", None, owed)
    with pytest.raises(Forbidden):
        bank_transfers.record_refund_paid(Owner("s", "s@shop.example", Role.STAFF, stations.main), SHORT, "R1", None, owed)
    assert paid_back(owed) == {}


# ---------------------------------------------------------------- through the owner API


def test_the_station_owner_records_a_refund_paid_through_the_api(owed, stations):
    owner = make_owner(owed, "owner@shop.example", "station_owner", stations.main)
    path = f"/api/owner/orders/{OVER}/refund-paid"

    recorded = owner.call("POST", path, body={"bank_ref": "CMB-OUT-7", "note": "已电话告知"})
    repeated = owner.call("POST", path, body={"bank_ref": "CMB-OUT-7"})
    other = owner.call("POST", path, body={"bank_ref": "CMB-OUT-8"})
    not_owed = owner.call("POST", f"/api/owner/orders/{ORDER_IDS[0]}/refund-paid", body={"bank_ref": "X"})
    malformed = owner.call("POST", path, body={"bank_ref": ""})
    listing = owner.call("GET", f"/api/owner/stations/{stations.main}/transfers")

    assert recorded.status == 200 and recorded.json["refund"]["bank_ref"] == "CMB-OUT-7"
    assert repeated.status == 200 and repeated.json["refund"] == recorded.json["refund"]
    assert (other.status, other.code) == (409, "refund_paid_already") and "CMB-OUT-7" in other.json["error"]["message"]
    assert (not_owed.status, not_owed.code) == (409, "refund_not_owed")
    assert malformed.status == 400
    assert [o["id"] for o in listing.json["refunds_owed"]] == [SHORT]
    assert [(o["id"], o["bank_ref"], o["note"]) for o in listing.json["refunds_paid"]] == [(OVER, "CMB-OUT-7", "已电话告知")]


def test_another_stations_owner_gets_not_found_and_staff_forbidden_through_the_api(owed, stations):
    sub = make_owner(owed, "owner@game-zone.example", "station_owner", stations.substation)
    staff = make_owner(owed, "staff@shop.example", "staff", stations.main)

    foreign = sub.call("POST", f"/api/owner/orders/{SHORT}/refund-paid", body={"bank_ref": "R1"})
    refused = staff.call("POST", f"/api/owner/orders/{SHORT}/refund-paid", body={"bank_ref": "R1"})

    assert (foreign.status, foreign.code) == (404, "not_found") and refused.status == 403
    assert paid_back(owed) == {}
