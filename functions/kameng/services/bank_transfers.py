"""Bank transfers seen by the owner: a statement imported, or one transfer confirmed by hand. Each becomes the
payment event a rail would have sent, applied through the one payment path, once."""
from __future__ import annotations

import hashlib
from datetime import timedelta

from kameng.deps import Deps
from kameng.domain.bank_transfer import REFUND_BY_HAND, StatementLine, match, read_statement, transfer_reference
from kameng.domain.errors import InvalidRequest
from kameng.domain.order import Order, OrderStatus, PaymentEvent, PaymentKind
from kameng.domain.owners import Owner, Permission, check
from kameng.domain.refund import paid_amount
from kameng.services import audit
from kameng.services.owner_orders import scoped_order, summary
from kameng.services.payments import Outcome, handle_event
from kameng.services.stations import published_book

RAIL = "bank"
# An expired order is still shown as awaiting its transfer this long: statements arrive late.
RECENTLY_EXPIRED = timedelta(days=30)
# The orders a statement is matched against: every one placed within the longest wait a station may set
# (content's bank.days, at most 30) and the late arrivals after it, however busy the station.
MATCHED_WINDOW = timedelta(days=30) + RECENTLY_EXPIRED
PAYABLE = (OrderStatus.PENDING, OrderStatus.EXPIRED, OrderStatus.FAILED)
ALREADY_PAID = "两次转账：这个订单已经付过款，请核对后退回买家"
MAX_BANK_REF = 64


def _bank_orders(station: str, deps: Deps) -> dict[str, Order]:
    """The station's bank orders of the matched window by their transfer reference, whatever their status."""
    now = deps.clock()
    orders = deps.store.orders.orders_placed(station, now - MATCHED_WINDOW, now + timedelta(minutes=1))
    return {transfer_reference(o.id): o for o in orders if o.rail == RAIL}


def _view(reference: str, order: Order) -> dict:
    invoice = dict(order.invoice)
    return summary(order) | {"reference": reference, "expires_at": order.expires_at.isoformat(),
                             "invoice_title": invoice.get("title"), "tax_id": invoice.get("tax_id")}


def awaiting(owner: Owner, station: str, deps: Deps) -> list[dict]:
    """Bank orders still waiting for their money: pending, or expired lately (a transfer may still come)."""
    check(owner, Permission.VIEW_ORDERS, station)
    published_book(station, deps)
    since = deps.clock() - RECENTLY_EXPIRED
    return [_view(reference, order) for reference, order in _bank_orders(station, deps).items()
            if order.status is OrderStatus.PENDING or (order.status is OrderStatus.EXPIRED and order.expires_at >= since)]


def refunds_owed(owner: Owner, station: str, deps: Deps) -> list[dict]:
    """Bank payments the shop gave back: the owner must transfer each to the buyer by hand."""
    check(owner, Permission.VIEW_MONEY, station)
    owed = []
    for reference, order in _bank_orders(station, deps).items():
        if (order.refund_id or "").startswith(REFUND_BY_HAND):
            amount, currency = paid_amount(order)
            owed.append(_view(reference, order) | {"refund_amount": order.partly_refunded or amount,
                                                   "refund_currency": currency, "refund_id": order.refund_id,
                                                   "payment_ref": order.payment_ref, "reason": order.refund_reason})
    return owed


def transfers(owner: Owner, station: str, deps: Deps) -> dict:
    return {"station": station, "awaiting": awaiting(owner, station, deps),
            "refunds_owed": refunds_owed(owner, station, deps)}


def _event(order: Order, amount: int, currency: str, bank_ref: str) -> PaymentEvent:
    # The bank's own number names the transfer; a station of another bank may see the same number.
    return PaymentEvent(id=f"bank:{order.station}:{bank_ref}", kind=PaymentKind.COMPLETED, order_id=order.id,
                        session_id=transfer_reference(order.id), paid=True, amount=amount, currency=currency,
                        payment_ref=f"bank:{bank_ref}")


def _line_view(line: StatementLine, why: str | None = None, order: Order | None = None) -> dict:
    view = {"line": line.line, "date": line.date.isoformat(), "amount": line.amount, "payer": line.payer,
            "bank_ref": line.bank_ref, "memo": line.memo, "reference": line.reference}
    if order is not None:
        view |= {"order_id": order.id, "status": order.status.value}
    return view | ({"why": why} if why else {})


def import_statement(owner: Owner, station: str, data: bytes, deps: Deps) -> dict:
    """Apply every line that pays an order; list the rest, with why, for a person. A line applied before
    (the same file again, or a transfer confirmed by hand with its 流水号) is counted, not applied again."""
    check(owner, Permission.DELIVER, station)
    currency = published_book(station, deps).currency
    lines = read_statement(data)
    matches = match(lines, _bank_orders(station, deps))
    applied, already, for_person = [], [], [_line_view(p.line, p.why) for p in matches.for_person]
    for found in matches.pay:
        event = _event(found.order, found.line.amount, currency, found.line.bank_ref or found.line.fingerprint())
        if deps.store.orders.event_seen(event.id):
            already.append(_line_view(found.line, order=found.order))
        elif found.order.status not in PAYABLE:
            for_person.append(_line_view(found.line, ALREADY_PAID, found.order))
        else:
            handle_event(event, deps)
            applied.append(_line_view(found.line, order=deps.store.orders.order(found.order.id) or found.order))
    report = {"station": station, "lines": len(lines), "applied": applied, "already_imported": already,
              "for_person": sorted(for_person, key=lambda view: view["line"])}
    audit.record(deps, owner.email, station, "transfers.import", "statement:" + hashlib.sha256(data).hexdigest()[:16],
                 None, {"lines": len(lines), "applied": len(applied), "applied_amount": sum(a["amount"] for a in applied),
                        "already_imported": len(already), "for_person": len(for_person),
                        "for_person_amount": sum(p["amount"] for p in for_person)})
    return report


def confirm(owner: Owner, order_id: str, amount: int, bank_ref: str, deps: Deps) -> dict:
    """An owner saw one transfer arrive: it pays the order as a statement line would (the same 流水号 in a
    statement later is not counted twice)."""
    order = scoped_order(owner, Permission.DELIVER, order_id, deps)
    bank_ref = bank_ref.strip()
    if order.rail != RAIL:
        raise InvalidRequest("这个订单不是银行转账付款的", [{"loc": "order", "msg": "not a bank transfer order"}])
    if amount <= 0:
        raise InvalidRequest("到账金额须大于 0", [{"loc": "amount", "msg": "must be positive"}])
    if not bank_ref or len(bank_ref) > MAX_BANK_REF:
        raise InvalidRequest("请填写银行流水号（1–64 个字符）", [{"loc": "bank_ref", "msg": "expected the bank's 流水号"}])
    event = _event(order, amount, published_book(order.station, deps).currency, bank_ref)
    if deps.store.orders.event_seen(event.id):
        return {"order": summary(order), "applied": False, "why": f"流水号 {bank_ref} 已经入账过，没有再记一次"}
    if order.status not in PAYABLE:
        raise InvalidRequest(ALREADY_PAID, [{"loc": "order", "msg": f"the order is {order.status.value}"}])
    outcome = handle_event(event, deps)
    updated = deps.store.orders.order(order.id) or order
    audit.record(deps, owner.email, order.station, "order.confirm_transfer", order.id,
                 {"status": order.status.value, "total": order.total},
                 {"status": updated.status.value, "amount": amount, "bank_ref": bank_ref})
    return {"order": summary(updated), "applied": outcome is Outcome.APPLIED,
            "reason": updated.attention_reason}

