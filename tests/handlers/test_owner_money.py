"""The console's money and manual delivery: coupons given, referrers' withdrawals, the settlement statement,
substations' payouts, and a needs_attention order delivered by hand, each within the owner's role and station."""
from __future__ import annotations

import pytest

from kameng.domain.member import Withdrawal
from kameng.domain.order import OrderStatus, PaymentEvent, PaymentKind, decide_payment
from kameng.services import audit
from kameng.services.checkout import CheckoutRequest, place
from tests.support.owners import make_owner


def placed(deps, station, sku, quantity=2, email="buyer@example.com"):
    request = CheckoutRequest(station=station, sku=sku, quantity=quantity, email=email, query_password="8642")
    return place(request, deps).order


def delivered(deps, station, sku, quantity=2, email="buyer@example.com"):
    order = placed(deps, station, sku, quantity, email)
    deps.gateway.pay(deps.store.orders.order(order.id).payment_session, "card")
    return deps.store.orders.order(order.id)


def needing_attention(deps, station, sku):
    """Paid a cent short: the payment is held and the keys went back to stock."""
    order = placed(deps, station, sku, quantity=1)
    event = PaymentEvent(id=f"evt_{order.id}", kind=PaymentKind.COMPLETED, order_id=order.id, session_id=None,
                         paid=True, amount=order.total - 1, currency=order.currency, payment_ref=f"pi_{order.id}")
    deps.store.orders.apply(decide_payment(order, event, deps.clock()), deps.clock())
    return deps.store.orders.order(order.id)


@pytest.fixture
def world(deps, stations, sku_with_keys):
    stocked = sku_with_keys(6)
    return {
        "sku": stocked.sku,
        "sub_order": delivered(deps, stations.substation, stocked.sku),
        "sub_owner": make_owner(deps, "owner@game-zone.example", "station_owner", stations.substation),
        "main_owner": make_owner(deps, "owner@shop.example", "station_owner", stations.main),
        "staff": make_owner(deps, "staff@game-zone.example", "staff", stations.substation),
        "platform": make_owner(deps, "root@shop.example", "platform_owner", None),
        "station": stations.substation,
    }


def actions(deps):
    return [entry.action for entry in audit.entries(deps)]


# ---------------------------------------------------------------- delivering by hand


def test_an_owner_delivers_a_needs_attention_order_from_stock(deps, world):
    order = needing_attention(deps, world["station"], world["sku"])
    assert order.status is OrderStatus.NEEDS_ATTENTION and order.key_ids == ()

    answer = world["sub_owner"].call("POST", f"/api/owner/orders/{order.id}/deliver", body={})

    assert answer.status == 200 and answer.json["order"]["status"] == "delivered"
    after = deps.store.orders.order(order.id)
    assert after.status is OrderStatus.DELIVERED and len(deps.store.inventory.sealed_keys(after)) == 1
    assert "order.deliver" in actions(deps)


def test_delivering_without_stock_is_refused_and_changes_nothing(deps, world, stations):
    order = needing_attention(deps, world["station"], world["sku"])
    delivered(deps, stations.main, world["sku"], quantity=4, email="quick@example.com")

    answer = world["sub_owner"].call("POST", f"/api/owner/orders/{order.id}/deliver", body={})

    assert (answer.status, answer.code) == (409, "sold_out")
    assert deps.store.orders.order(order.id) == order


def test_only_a_needs_attention_order_is_delivered_by_hand(world):
    answer = world["sub_owner"].call("POST", f"/api/owner/orders/{world['sub_order'].id}/deliver", body={})
    assert (answer.status, answer.code) == (409, "order_not_deliverable")


def test_staff_may_not_deliver_by_hand_and_another_station_sees_no_such_order(deps, world):
    order = needing_attention(deps, world["station"], world["sku"])
    staff = world["staff"].call("POST", f"/api/owner/orders/{order.id}/deliver", body={})
    other = world["main_owner"].call("POST", f"/api/owner/orders/{order.id}/deliver", body={})
    assert (staff.status, other.status) == (403, 404)
    assert deps.store.orders.order(order.id).status is OrderStatus.NEEDS_ATTENTION


# ---------------------------------------------------------------- coupons


def test_an_owner_gives_a_coupon_and_sees_it_listed_with_the_email_masked(deps, world):
    path = f"/api/owner/stations/{world['station']}/coupons"
    given = world["sub_owner"].call("POST", path, body={"email": "Buyer@example.com", "amount": 500,
                                                        "reason": "late delivery"})
    listed = world["sub_owner"].call("GET", path)

    assert given.status == 201
    assert [(c["code"], c["amount"], c["state"], c["email"]) for c in listed.json["coupons"]] == [
        (given.json["code"], 500, "available", "b***r@example.com")]
    assert "buyer@example.com" not in listed.body
    entry = next(e for e in audit.entries(deps) if e.action == "coupon.give")
    assert (entry.actor, entry.after["reason"]) == ("owner@game-zone.example", "late delivery")


def test_staff_may_not_give_coupons_and_another_station_is_not_found(world, stations):
    body = {"email": "buyer@example.com", "amount": 500}
    staff = world["staff"].call("POST", f"/api/owner/stations/{world['station']}/coupons", body=body)
    other = world["main_owner"].call("GET", f"/api/owner/stations/{world['station']}/coupons")
    assert (staff.status, other.status) == (403, 404)


# ---------------------------------------------------------------- referrers' withdrawals


@pytest.fixture
def withdrawal(deps, world):
    asked = Withdrawal(id="01WITHDRAWAL", station=world["station"], referrer="referrer-key-0123456789",
                       amount=3000, method="alipay", account="pay@example.com", name="张三", requested_at=deps.clock())
    deps.store.members.open_member(world["station"], asked.referrer, "REFERRER01")
    assert deps.store.payouts.request_withdrawal(asked, 0)
    return asked


def test_an_owner_lists_and_pays_a_withdrawal(deps, world, withdrawal):
    listed = world["sub_owner"].call("GET", f"/api/owner/stations/{world['station']}/withdrawals",
                                     query={"status": "requested"})
    paid = world["sub_owner"].call("POST", f"/api/owner/withdrawals/{world['station']}/{withdrawal.id}",
                                   body={"action": "pay", "note": "支付宝 12-01"})

    assert [w["id"] for w in listed.json["withdrawals"]] == [withdrawal.id]
    assert (paid.status, paid.json["status"]) == (200, "paid")
    assert "withdrawal.paid" in actions(deps)


def test_withdrawals_are_scoped_and_kept_from_staff(world, withdrawal, stations):
    path = f"/api/owner/withdrawals/{world['station']}/{withdrawal.id}"
    staff = world["staff"].call("POST", path, body={"action": "pay"})
    other = world["main_owner"].call("POST", path, body={"action": "pay"})
    guessed = world["main_owner"].call("POST", f"/api/owner/withdrawals/{stations.main}/{withdrawal.id}",
                                       body={"action": "pay"})
    assert (staff.status, other.status, guessed.status) == (403, 404, 404)


# ---------------------------------------------------------------- statement and payouts


def test_the_statement_shows_the_station_orders_as_json_and_csv(world):
    path = f"/api/owner/stations/{world['station']}/statement"
    answer = world["sub_owner"].call("GET", path)
    exported = world["sub_owner"].call("GET", path, query={"format": "csv"})

    assert [line["order_id"] for line in answer.json["lines"]] == [world["sub_order"].id]
    assert answer.json["totals"]["balance_due"] > 0
    assert exported.headers["content-type"].startswith("text/csv") and world["sub_order"].id in exported.body


def test_a_payout_is_asked_within_the_balance_then_approved_and_paid_by_the_platform(deps, world):
    station, owner, platform = world["station"], world["sub_owner"], world["platform"]
    due = owner.call("GET", f"/api/owner/stations/{station}/payouts").json["balance_due"]

    over = owner.call("POST", f"/api/owner/stations/{station}/payouts", body={"amount": due + 1})
    asked = owner.call("POST", f"/api/owner/stations/{station}/payouts", body={"amount": due, "note": "十二月"})
    more = owner.call("POST", f"/api/owner/stations/{station}/payouts", body={"amount": 1})
    path = f"/api/owner/payouts/{station}/{asked.json['id']}"
    own = owner.call("POST", path, body={"action": "approve"})
    approved = platform.call("POST", path, body={"action": "approve"})
    paid = platform.call("POST", path, body={"action": "paid", "note": "bank ref 42"})
    again = platform.call("POST", path, body={"action": "reject"})
    listed = owner.call("GET", f"/api/owner/stations/{station}/payouts").json

    assert (over.status, over.code, asked.status, more.status, more.code) == (
        409, "payout_over_balance", 201, 409, "payout_over_balance")
    assert (own.status, approved.json["status"], paid.json["status"]) == (403, "approved", "paid")
    assert (again.status, again.code) == (409, "payout_wrong_status")
    assert (listed["committed"], listed["available"], [p["status"] for p in listed["payouts"]]) == (due, 0, ["paid"])
    assert [a for a in actions(deps) if a.startswith("payout.")] == ["payout.request", "payout.approved", "payout.paid"]


def test_a_rejected_payout_makes_its_amount_available_again(world):
    station, owner = world["station"], world["sub_owner"]
    asked = owner.call("POST", f"/api/owner/stations/{station}/payouts", body={"amount": 100})
    world["platform"].call("POST", f"/api/owner/payouts/{station}/{asked.json['id']}", body={"action": "reject"})
    listed = owner.call("GET", f"/api/owner/stations/{station}/payouts").json
    assert (listed["committed"], listed["available"]) == (0, listed["balance_due"])


def test_payouts_are_scoped_and_kept_from_staff(world, stations):
    station = world["station"]
    asked = world["sub_owner"].call("POST", f"/api/owner/stations/{station}/payouts", body={"amount": 100})
    staff = world["staff"].call("POST", f"/api/owner/stations/{station}/payouts", body={"amount": 100})
    staff_view = world["staff"].call("GET", f"/api/owner/stations/{station}/statement")
    other = world["main_owner"].call("GET", f"/api/owner/stations/{station}/payouts")
    guessed = world["platform"].call("POST", f"/api/owner/payouts/{stations.main}/{asked.json['id']}",
                                     body={"action": "approve"})
    assert (staff.status, staff_view.status, other.status, guessed.status) == (403, 403, 404, 404)
