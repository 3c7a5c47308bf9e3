"""Bank transfers seen by the owner: a statement imported, or one transfer confirmed by hand. Each becomes the
payment event a rail would have sent, applied through the one payment path, once."""
from __future__ import annotations

import hashlib
from datetime import timedelta

from kameng.deps import Deps
from kameng.domain.bank_transfer import StatementLine, match, read_statement, refund_owed_by_hand, transfer_reference
from kameng.domain.errors import InvalidRequest, RefundNotOwed, RefundPaidAlready
from kameng.domain.order import Order, OrderStatus, PaymentEvent, PaymentKind
from kameng.domain.owners import Owner, Permission, check
from kameng.domain.refund import paid_amount
from kameng.ports.store import Conflict
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
MAX_REFUND_NOTE = 200
REFUND_NOT_OWED = "这个订单没有待退回的转账：只有已退款、需从对公账户手工退回的银行转账订单可以记录"


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


def _refund_view(reference: str, order: Order, paid_back: bool = False) -> dict:
    """An owed refund shows what is still to transfer; a paid-back one what its record covers."""
    paid = order.refund_paid
    amount = paid.amount if paid_back and paid is not None else refund_owed_by_hand(order)
    view = _view(reference, order) | {"refund_amount": amount, "refund_currency": paid_amount(order)[1],
                                      "refund_id": order.refund_id, "payment_ref": order.payment_ref,
                                      "reason": order.refund_reason}
    if paid is not None:
        view |= {"bank_ref": paid.bank_ref, "note": paid.note, "paid_at": paid.at.isoformat(), "by": paid.by,
                 "paid_amount": paid.amount}
    return view


def _refunds(station: str, deps: Deps, paid_back: bool) -> list[dict]:
    # A key refund after a record is owed again: such an order is in both lists, for what each says.
    return [_refund_view(reference, order, paid_back) for reference, order in _bank_orders(station, deps).items()
            if (order.refund_paid is not None if paid_back else refund_owed_by_hand(order) > 0)]


def refunds_owed(owner: Owner, station: str, deps: Deps) -> list[dict]:
    """Bank payments the shop gave back and the owner has not yet transferred to the buyer by hand."""
    check(owner, Permission.VIEW_MONEY, station)
    return _refunds(station, deps, paid_back=False)


def refunds_paid(owner: Owner, station: str, deps: Deps) -> list[dict]:
    """The refunds owed that the owner recorded as transferred back, with their bank's reference."""
    check(owner, Permission.VIEW_MONEY, station)
    return _refunds(station, deps, paid_back=True)


def transfers(owner: Owner, station: str, deps: Deps) -> dict:
    return {"station": station, "awaiting": awaiting(owner, station, deps),
            "refunds_owed": refunds_owed(owner, station, deps), "refunds_paid": refunds_paid(owner, station, deps)}


def _printable(text: str | None, most: int, loc: str, message: str, required: bool) -> str | None:
    text = (text or "").strip()
    if (required and not text) or len(text) > most or not text.isprintable():
        raise InvalidRequest(message, [{"loc": loc, "msg": f"expected up to {most} printable characters"}])
    return text or None


def record_refund_paid(owner: Owner, order_id: str, bank_ref: str, note: str | None, deps: Deps) -> dict:
    """An owner transferred a refund owed back to the buyer: their bank's reference is recorded once. The
    same reference again is the same answer; another one is refused, naming the reference recorded."""
    # Whoever may refund may say the refund reached the buyer; seeing the money is not enough.
    order = scoped_order(owner, Permission.REFUND, order_id, deps)
    bank_ref = _printable(bank_ref, MAX_BANK_REF, "bank_ref", "请填写退款转账的银行流水号（1–64 个可打印字符）", True)
    note = _printable(note, MAX_REFUND_NOTE, "note", f"备注最多 {MAX_REFUND_NOTE} 个可打印字符", False)
    owed = refund_owed_by_hand(order)
    if order.refund_paid is None and owed == 0:
        raise RefundNotOwed(REFUND_NOT_OWED)
    now = deps.clock()
    stored, won = order, False
    if owed > 0:
        try:
            stored = deps.store.orders.record_refund_paid(order.id, bank_ref, note, owner.email, now)
        except Conflict:
            raise RefundNotOwed(REFUND_NOT_OWED) from None
        made = stored.refund_paid
        won = made is not None and (made.bank_ref, made.by, made.at) == (bank_ref, owner.email, now)
    recorded = stored.refund_paid
    if recorded is None or recorded.bank_ref != bank_ref:
        raise RefundPaidAlready(f"这笔退款已记录为已退回（银行流水号 {recorded.bank_ref if recorded else '?'}），"
                                "不能再记为另一笔转账；如记录有误，请联系平台核对")
    if won:
        assert recorded is not None
        audit.record(deps, owner.email, order.station, "order.refund_paid", order.id, {"refund_id": order.refund_id},
                     {"bank_ref": bank_ref, "note": note, "amount": recorded.amount - _covered_before(order)})
    return {"order": summary(stored), "refund": _refund_view(transfer_reference(order.id), stored, paid_back=True),
            "recorded": won}


def _covered_before(order: Order) -> int:
    """What earlier records covered of the order's refund by hand."""
    return order.refund_paid.amount if order.refund_paid is not None else 0


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

