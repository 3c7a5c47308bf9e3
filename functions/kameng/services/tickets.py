"""After-sales (售后): a shopper reports a problem with one key from the order page, and the station's
owners answer it, replace the key from stock or refund it. The shopper is told by mail and on the page.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Callable

from kameng.deps import Deps
from kameng.domain.errors import InvalidRequest, NotFound, RateLimited
from kameng.domain.ids import new_id
from kameng.domain.order import OrderStatus
from kameng.domain.owners import Owner, Permission, check
from kameng.domain.tickets import (
    MAX_MESSAGE, Author, KeyNotReportable, Resolution, Ticket, TicketAlreadyOpen, TicketClosed, TicketStatus,
    clean_text, new_ticket,
)
from kameng.ports.store import Conflict, Duplicate
from kameng.services import audit, lookup, notify, owner_orders, refunds
from kameng.services.order_link import open_token, order_page
from kameng.services.stations import published_book

log = logging.getLogger(__name__)

# A shopper reports a handful of keys at most; more from one order is a script.
REPORTS_PER_ORDER = 5
REPORT_WINDOW_SECONDS = 3600
QUEUE_LIMIT = 200
# A racing owner's write makes ours stale: read again, a few times, before giving up.
ATTEMPTS = 3


# ---------------------------------------------------------------- the shopper's side


def report(order_id: str, token: str | None, fields: dict[str, Any], deps: Deps) -> dict:
    order = lookup.order_by_token(order_id, token, deps)
    now = deps.clock()
    if deps.store.counters.count_hit(f"tickets:order:{order.id}", REPORT_WINDOW_SECONDS, now) > REPORTS_PER_ORDER:
        raise RateLimited("售后反馈过于频繁，请稍后再试", retry_after=REPORT_WINDOW_SECONDS)
    key_id = fields.get("key_id")
    if (order.status is not OrderStatus.DELIVERED or not isinstance(key_id, str) or key_id not in order.key_ids
            or key_id in order.refunded_key_ids):
        raise KeyNotReportable("只能反馈本订单已发货的卡密")
    ticket = new_ticket(new_id(now), order.id, order.station, order.sku, key_id, fields.get("reason"),
                        fields.get("details", ""), now)
    try:
        deps.store.tickets.open_ticket(ticket)
    except Duplicate:
        raise TicketAlreadyOpen("这张卡密已有处理中的售后反馈，请等待客服回复") from None
    return shopper_view(ticket)


def shopper_view(ticket: Ticket) -> dict:
    return {
        "id": ticket.id, "key_id": ticket.key_id, "reason": ticket.reason.value, "status": ticket.status.value,
        "resolution": ticket.resolution and ticket.resolution.value, "created_at": ticket.created_at.isoformat(),
        "replacement_key_id": ticket.replacement_key_id,
        # Which owner answered stays inside the shop.
        "messages": [{"author": m.author.value, "text": m.text, "at": m.at.isoformat()} for m in ticket.messages],
    }


def order_page_view(order_id: str, token: str | None, deps: Deps) -> dict:
    """The order as its holder sees it, with its tickets and the keys they had replaced (void now)."""
    order = lookup.order_by_token(order_id, token, deps)
    view = lookup.view(order, deps)
    tickets = deps.store.tickets.tickets_of_order(order.id)
    view["tickets"] = [shopper_view(ticket) for ticket in tickets]
    if view["keys"] and any(ticket.replacement_key_id for ticket in tickets):
        replaced_by = {t.key_id: t.replacement_key_id for t in tickets if t.replacement_key_id}
        view["replaced_keys"] = [
            {"key_id": sealed.key_id, "code": card_key.code, "password": card_key.password,
             "replaced_by": replaced_by.get(sealed.key_id)}
            for sealed in deps.store.tickets.replaced_keys(order.id)
            for card_key in (lookup.open_key(sealed, deps),)]
    else:
        view["replaced_keys"] = []
    return view


# ---------------------------------------------------------------- the owners' side


def queue(owner: Owner, station: str, status: str | None, deps: Deps) -> list[dict]:
    check(owner, Permission.AFTER_SALES, station)
    published_book(station, deps)
    wanted = _status(status)
    now = deps.clock()
    return [owner_summary(ticket, now) for ticket in deps.store.tickets.queue(station, wanted, QUEUE_LIMIT)]


def _status(status: str | None) -> TicketStatus | None:
    if status is None:
        return None
    try:
        return TicketStatus(status)
    except ValueError:
        allowed = ", ".join(s.value for s in TicketStatus)
        raise InvalidRequest("未知的工单状态", [{"loc": "status", "msg": f"expected one of {allowed}"}]) from None


def owner_summary(ticket: Ticket, now: datetime) -> dict:
    return {
        "id": ticket.id, "order_id": ticket.order_id, "station": ticket.station, "sku": ticket.sku,
        "key_id": ticket.key_id, "reason": ticket.reason.value, "status": ticket.status.value,
        "resolution": ticket.resolution and ticket.resolution.value, "created_at": ticket.created_at.isoformat(),
        "waited_seconds": ticket.waited_seconds(now), "messages": len(ticket.messages),
    }


def _owned(owner: Owner, ticket_id: str, permission: Permission, deps: Deps) -> Ticket:
    ticket = deps.store.tickets.ticket(ticket_id) if ticket_id else None
    if ticket is None:
        raise NotFound("工单不存在")
    check(owner, permission, ticket.station)
    return ticket


def detail(owner: Owner, ticket_id: str, deps: Deps) -> dict:
    ticket = _owned(owner, ticket_id, Permission.AFTER_SALES, deps)
    order = owner_orders.console_view(lookup.find_order(ticket.order_id, deps), deps)
    thread = [{"author": m.author.value, "text": m.text, "at": m.at.isoformat(),
               "by": m.by if m.author is Author.OWNER else None} for m in ticket.messages]
    return {"ticket": owner_summary(ticket, deps.clock()) | {
        "details": ticket.details, "thread": thread, "replacement_key_id": ticket.replacement_key_id,
        "answered_at": ticket.answered_at and ticket.answered_at.isoformat(),
        "resolved_at": ticket.resolved_at and ticket.resolved_at.isoformat()}, **order}


def _act(owner: Owner, ticket_id: str, permission: Permission, deps: Deps,
         write: Callable[[Ticket], Ticket]) -> tuple[Ticket, Ticket]:
    """Apply `write` to the ticket as read, again on a fresh read when a racing owner changed it first."""
    for _ in range(ATTEMPTS):
        before = _owned(owner, ticket_id, permission, deps)
        before.ensure_unresolved()
        try:
            return before, write(before)
        except Conflict:
            continue
    raise TicketClosed("该工单刚被其他人处理，请刷新后再试")


def reply(owner: Owner, ticket_id: str, message: Any, deps: Deps) -> dict:
    text = clean_text(message, "message", MAX_MESSAGE, required=True)
    before, after = _act(owner, ticket_id, Permission.AFTER_SALES, deps,
                         lambda t: deps.store.tickets.update_ticket(t.replied(text, deps.clock(), owner.email)))
    audit.record(deps, owner.email, after.station, "ticket.reply", after.id, {"status": before.status.value},
                 {"status": after.status.value, "message": text})
    _tell_shopper(after, "answered", text, deps)
    return {"ticket": owner_summary(after, deps.clock())}


def replace(owner: Owner, ticket_id: str, message: Any, deps: Deps) -> dict:
    text = clean_text(message or "", "message", MAX_MESSAGE, required=False) or None

    def swap(ticket: Ticket) -> Ticket:
        order = deps.store.orders.order(ticket.order_id)
        if (order is None or order.status is not OrderStatus.DELIVERED or ticket.key_id not in order.key_ids
                or ticket.key_id in order.refunded_key_ids):
            raise TicketClosed("订单已不再持有这张卡密（已退款或已更换），无法更换")
        return deps.store.tickets.replace_key(ticket.resolved(Resolution.REPLACED, deps.clock(), owner.email, text),
                                              order)

    before, after = _act(owner, ticket_id, Permission.AFTER_SALES, deps, swap)
    audit.record(deps, owner.email, after.station, "ticket.replace_key", after.id,
                 {"status": before.status.value, "key_id": before.key_id},
                 {"status": after.status.value, "key_id": after.replacement_key_id, "void": before.key_id})
    _tell_shopper(after, "replaced", text, deps)
    return {"ticket": owner_summary(after, deps.clock())}


def refund(owner: Owner, ticket_id: str, message: Any, deps: Deps) -> dict:
    text = clean_text(message or "", "message", MAX_MESSAGE, required=False) or None
    ticket = _owned(owner, ticket_id, Permission.REFUND, deps)
    ticket.ensure_unresolved()
    # The refund is idempotent per key: a retry after a lost race below does not pay twice.
    order = refunds.refund_keys(ticket.order_id, [ticket.key_id], text or f"after-sales {ticket.id}", deps,
                                actor=owner.email)
    before, after = _act(owner, ticket_id, Permission.REFUND, deps, lambda t: deps.store.tickets.update_ticket(
        t.resolved(Resolution.REFUNDED, deps.clock(), owner.email, text)))
    audit.record(deps, owner.email, after.station, "ticket.refund", after.id, {"status": before.status.value},
                 {"status": after.status.value, "key_id": after.key_id, "order_status": order.status.value})
    _tell_shopper(after, "refunded", text, deps)
    return {"ticket": owner_summary(after, deps.clock())}


def _tell_shopper(ticket: Ticket, kind: str, message: str | None, deps: Deps) -> bool:
    """Mail the shopper the news with the order link; a mail that fails never undoes what it reports."""
    try:
        order = deps.store.orders.order(ticket.order_id)
        token = open_token(order, deps) if order is not None else None
        if token is None:
            return False
        book = deps.store.price_books.price_book(order.station)
        domain = book.domain if book is not None else order.station
        language = book.language if book is not None else notify.DEFAULT_LANGUAGE
        subject, body = notify.render(
            "ticket_update", language, deps.settings.mail_templates, kind=kind, message=message or "",
            station_name=notify.station_name(order.station, domain), order_id=order.id,
            order_url=f"{order_page(deps, order.station, domain, order.id)}#t={token}")
        deps.mail.send(order.email, subject, body)
        return True
    except Exception:
        log.exception("after-sales mail failed", extra={"ticket_id": ticket.id})
        return False
