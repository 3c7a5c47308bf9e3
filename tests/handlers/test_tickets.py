"""After-sales: a shopper reports a key from the order page, owners and staff answer, replace or refund it."""
from __future__ import annotations

import pytest

from kameng.handlers import orders as orders_handler
from kameng.services import refunds
from tests.support.owners import make_owner

MAIN_OWNER = "boss@shop.example"


@pytest.fixture
def delivered(stations, sku_with_keys, place, pay):
    stocked = sku_with_keys(6)
    placed = place(stations.substation, stocked.sku, quantity=2)
    pay(placed)
    return placed


@pytest.fixture
def report(deps, api_event):
    """POST /api/orders/{id}/tickets from the order page, with the order's token (None: without)."""

    def post(placed, body, token="holder", order_id=None):
        order_id = order_id or placed.order_id
        headers = {} if token is None else {"authorization": f"Bearer {placed.token if token == 'holder' else token}"}
        event = api_event("POST", f"/api/orders/{order_id}/tickets", body=body, headers=headers,
                          path_params={"id": order_id}, route="/api/orders/{id}/tickets")
        from tests.handlers.conftest import Response
        return Response(orders_handler.report_problem(event, None))

    return post


def first_key(order_view, placed):
    return order_view(placed)["keys"][0]


@pytest.fixture
def ticket(delivered, report, order_view):
    key = first_key(order_view, delivered)
    response = report(delivered, {"key_id": key["key_id"], "reason": "key_invalid", "details": "提示卡密无效"})
    assert response.status == 201, response.raw
    return response.json["ticket"]


@pytest.fixture
def owner(deps, stations):
    return make_owner(deps, "owner@game-zone.example", "station_owner", stations.substation)


@pytest.fixture
def staff(deps, stations):
    return make_owner(deps, "staff@game-zone.example", "staff", stations.substation)


def mails_to(deps, to="buyer@example.com"):
    return [m for m in deps.mail.sent() if m["To"] == to]


# ---------------------------------------------------------------- the shopper's report


def test_a_report_shows_on_the_order_page_with_its_details(delivered, ticket, order_view):
    shown = order_view(delivered)["tickets"]
    assert [(t["id"], t["status"], t["reason"]) for t in shown] == [(ticket["id"], "open", "key_invalid")]
    assert [m["text"] for m in shown[0]["messages"]] == ["提示卡密无效"]


def test_a_report_needs_the_orders_token(delivered, report, order_view):
    key = first_key(order_view, delivered)
    for token in (None, "wrong-token"):
        response = report(delivered, {"key_id": key["key_id"], "reason": "key_used"}, token=token)
        assert (response.status, response.error["code"]) == (404, "not_found")
    assert order_view(delivered)["tickets"] == []


def test_another_orders_key_is_refused(stations, sku_with_keys, place, pay, delivered, report, order_view):
    other = place(stations.substation, sku_with_keys(2).sku, email="other@example.com")
    pay(other)
    response = report(delivered, {"key_id": first_key(order_view, other)["key_id"], "reason": "key_used"})
    assert (response.status, response.error["code"]) == (409, "key_not_reportable")


def test_an_undelivered_orders_keys_cannot_be_reported(deps, stations, sku_with_keys, place, report):
    placed = place(stations.substation, sku_with_keys(2).sku)
    key_id = deps.store.orders.order(placed.order_id).key_ids[0]
    response = report(placed, {"key_id": key_id, "reason": "key_used"})
    assert (response.status, response.error["code"]) == (409, "key_not_reportable")


def test_a_second_report_of_one_key_is_refused_while_the_first_is_open(delivered, ticket, report, order_view):
    response = report(delivered, {"key_id": ticket["key_id"], "reason": "other", "details": "again"})
    assert (response.status, response.error["code"]) == (409, "ticket_already_open")
    other_key = order_view(delivered)["keys"][1]["key_id"]
    assert report(delivered, {"key_id": other_key, "reason": "other"}).status == 201


@pytest.mark.parametrize("details", ["bad\u202etxt.exe", "zero\u200bwidth", "bell\x07", "x" * 1001, 42])
def test_hostile_details_are_refused(delivered, report, order_view, details):
    key = first_key(order_view, delivered)
    response = report(delivered, {"key_id": key["key_id"], "reason": "key_invalid", "details": details})
    assert (response.status, response.error["code"]) == (400, "invalid_request")
    assert order_view(delivered)["tickets"] == []


def test_an_unknown_reason_is_refused(delivered, report, order_view):
    response = report(delivered, {"key_id": first_key(order_view, delivered)["key_id"], "reason": "because"})
    assert response.status == 400 and response.error["fields"][0]["loc"] == "reason"


def test_reports_are_rate_limited_per_order(delivered, report, order_view):
    key = first_key(order_view, delivered)
    answers = [report(delivered, {"key_id": key["key_id"], "reason": "bogus"}).status for _ in range(7)]
    assert answers[:5] == [400] * 5 and answers[5:] == [429, 429]


def test_markup_in_details_is_kept_as_text(delivered, report, order_view):
    key = first_key(order_view, delivered)
    report(delivered, {"key_id": key["key_id"], "reason": "other", "details": "<script>alert(1)</script>"})
    assert order_view(delivered)["tickets"][0]["messages"][0]["text"] == "<script>alert(1)</script>"


# ---------------------------------------------------------------- owners and staff


def test_the_queue_shows_open_tickets_with_how_long_they_waited(deps, clock, stations, ticket, owner):
    clock.advance(minutes=30)
    answer = owner.call("GET", f"/api/owner/stations/{stations.substation}/tickets")
    assert answer.status == 200, answer.body
    (queued,) = answer.json["tickets"]
    assert (queued["id"], queued["waited_seconds"]) == (ticket["id"], 1800)


def test_the_ticket_shows_its_order_with_masked_keys_and_email(delivered, ticket, owner, order_view):
    answer = owner.call("GET", f"/api/owner/tickets/{ticket['id']}")
    assert answer.status == 200, answer.body
    codes = {k["code"] for k in order_view(delivered)["keys"]}
    assert answer.json["order"]["email"] == "b***r@example.com"
    assert all(k["masked"] not in codes for k in answer.json["keys"]) and codes.isdisjoint(answer.body.split('"'))


def test_a_reply_reaches_the_order_page_and_the_shoppers_mail(deps, delivered, ticket, staff, order_view):
    answer = staff.call("POST", f"/api/owner/tickets/{ticket['id']}/reply", {"message": "请在官网兑换后再试"})
    assert answer.status == 200, answer.body
    shown = order_view(delivered)["tickets"][0]
    assert shown["status"] == "answered" and shown["messages"][-1] == {
        "author": "owner", "text": "请在官网兑换后再试", "at": shown["messages"][-1]["at"]}
    assert any("请在官网兑换后再试" in m.get_content() for m in mails_to(deps))


def test_a_replacement_gives_the_shopper_a_fresh_key_and_marks_the_old_one(deps, delivered, ticket, staff, order_view):
    before = order_view(delivered)
    answer = staff.call("POST", f"/api/owner/tickets/{ticket['id']}/replace", {})
    assert answer.status == 200, answer.body
    after = order_view(delivered)
    old = next(k for k in before["keys"] if k["key_id"] == ticket["key_id"])
    assert old["code"] not in {k["code"] for k in after["keys"]} and len(after["keys"]) == 2
    (replaced,) = after["replaced_keys"]
    assert replaced["code"] == old["code"] and replaced["replaced_by"] in {k["key_id"] for k in after["keys"]}
    assert after["tickets"][0]["resolution"] == "replaced"
    assert any("#t=" in m.get_content() for m in mails_to(deps) if "售后" in m["Subject"])


def test_a_replacement_out_of_stock_answers_409_and_changes_nothing(deps, stations, sku_with_keys, place, pay,
                                                                     report, order_view, owner):
    stocked = sku_with_keys(1)
    placed = place(stations.substation, stocked.sku)
    pay(placed)
    key_id = order_view(placed)["keys"][0]["key_id"]
    ticket_id = report(placed, {"key_id": key_id, "reason": "key_used"}).json["ticket"]["id"]
    answer = owner.call("POST", f"/api/owner/tickets/{ticket_id}/replace", {})
    assert (answer.status, answer.code) == (409, "sold_out")
    assert order_view(placed)["tickets"][0]["status"] == "open" and stocked.stock().void == 0


def test_staff_replace_one_key_per_key_bought_then_the_owner_decides(deps, delivered, report, order_view, staff,
                                                                     owner):
    def report_and_replace(by, key_id):
        opened = report(delivered, {"key_id": key_id, "reason": "key_invalid"})
        assert opened.status == 201, opened.raw
        return by.call("POST", f"/api/owner/tickets/{opened.json['ticket']['id']}/replace", {})

    bought = [k["key_id"] for k in order_view(delivered)["keys"]]
    for key_id in bought:
        assert report_and_replace(staff, key_id).status == 200
    fresh = [k["key_id"] for k in order_view(delivered)["keys"]]
    refused = report_and_replace(staff, fresh[0])
    assert (refused.status, refused.code) == (403, "forbidden")
    assert {k["key_id"] for k in order_view(delivered)["keys"]} == set(fresh)
    ticket_id = next(t["id"] for t in order_view(delivered)["tickets"] if t["status"] == "open")
    assert owner.call("POST", f"/api/owner/tickets/{ticket_id}/replace", {}).status == 200


def test_a_second_replacement_of_one_ticket_is_refused(ticket, owner, staff):
    assert owner.call("POST", f"/api/owner/tickets/{ticket['id']}/replace", {}).status == 200
    answer = staff.call("POST", f"/api/owner/tickets/{ticket['id']}/replace", {})
    assert (answer.status, answer.code) == (409, "ticket_closed")


def test_every_owner_action_is_in_the_audit_log(deps, ticket, owner):
    owner.call("POST", f"/api/owner/tickets/{ticket['id']}/reply", {"message": "查看中"})
    owner.call("POST", f"/api/owner/tickets/{ticket['id']}/replace", {})
    logged = [(e.actor, e.action, e.subject) for e in deps.store.audit_log.entries(None, 0, 100)]
    assert [("owner@game-zone.example", a, ticket["id"]) for a in ("ticket.reply", "ticket.replace_key")] == [
        entry for entry in logged if entry[1].startswith("ticket.")]


def test_staff_may_not_refund_a_key(deps, delivered, ticket, staff):
    answer = staff.call("POST", f"/api/owner/tickets/{ticket['id']}/refund", {})
    assert (answer.status, answer.code) == (403, "forbidden")
    assert deps.store.orders.order(delivered.order_id).refunded_key_ids == ()


@pytest.mark.skipif(not hasattr(refunds, "refund_keys"), reason="refunds.refund_keys is not written yet")
def test_an_owner_refunds_the_reported_key(deps, delivered, ticket, owner, order_view):
    answer = owner.call("POST", f"/api/owner/tickets/{ticket['id']}/refund", {"message": "已退款"})
    assert answer.status == 200, answer.body
    assert deps.store.orders.order(delivered.order_id).refunded_key_ids == (ticket["key_id"],)
    assert order_view(delivered)["tickets"][0]["resolution"] == "refunded"
    actions = [e.action for e in deps.store.audit_log.entries(None, 0, 100)]
    assert "ticket.refund" in actions


def test_another_stations_ticket_answers_404(deps, ticket):
    elsewhere = make_owner(deps, "owner@main.example", "station_owner", "main")
    for method, path in (("GET", ""), ("POST", "/reply"), ("POST", "/replace"), ("POST", "/refund")):
        answer = elsewhere.call(method, f"/api/owner/tickets/{ticket['id']}{path}", {"message": "hi"} if method == "POST" else None)
        missing = elsewhere.call(method, f"/api/owner/tickets/01TICKETTHATNEVEREXISTED0{path}",
                                 {"message": "hi"} if method == "POST" else None)
        # Word for word what an id that exists nowhere gets: a guess tells the two apart by nothing.
        assert (answer.status, answer.body) == (missing.status, missing.body) == (404, answer.body), path
        assert answer.code == "not_found"
    assert elsewhere.call("GET", "/api/owner/stations/game-zone/tickets").status == 404


def test_the_platform_owner_sees_every_stations_queue(deps, ticket):
    platform = make_owner(deps, MAIN_OWNER, "platform_owner", None)
    assert [t["id"] for t in platform.call("GET", "/api/owner/stations/game-zone/tickets").json["tickets"]] == [ticket["id"]]
