"""After-sales at the owners' desk: the station's queue of tickets, each answered, its key replaced from stock
or refunded, the shopper told by mail and on the order page (services/tickets.py is the shopper's side)."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Callable

from kameng.deps import Deps
from kameng.domain.errors import Forbidden, InvalidRequest
from kameng.domain.order import OrderStatus
from kameng.domain.owners import Owner, Permission, check, check_found, may
from kameng.domain.tickets import MAX_MESSAGE, Author, Resolution, Ticket, TicketClosed, TicketStatus, clean_text
from kameng.ports.store import Conflict
from kameng.services import audit, lookup, notify, owner_orders, refunds
from kameng.services.order_link import open_token, order_page
from kameng.services.stations import published_book

log = logging.getLogger(__name__)

QUEUE_LIMIT = 200
# A racing owner's write makes ours stale: read again, a few times, before giving up.
ATTEMPTS = 3



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
    check_found(owner, permission, ticket.station if ticket else None)
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
        replaced = len(deps.store.tickets.replaced_keys(order.id))
        if replaced >= order.quantity and not may(owner, Permission.REFUND):
            # Each replacement hands out a key from stock: past one per key bought, those who may move
            # money decide, so no one key can be reported and replaced without end.
            raise Forbidden(f"这个订单已更换过 {replaced} 张卡密：再次更换请由站长处理")
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
            station_name=notify.shop_name(book, order.station), order_id=order.id,
            order_url=f"{order_page(deps, order.station, domain, order.id)}#t={token}")
        deps.mail.send(order.email, subject, body)
        return True
    except Exception:
        log.exception("after-sales mail failed", extra={"ticket_id": ticket.id})
        return False
