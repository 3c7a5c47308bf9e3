"""After-sales (售后): a shopper reports a problem with one key from the order page, and sees the owners'
answers there (services/ticket_desk.py is the owners' side). Kept apart from the desk, so the order page's
function does not load the owners' refund and mail machinery.
"""
from __future__ import annotations

from typing import Any

from kameng.deps import Deps
from kameng.domain.errors import RateLimited
from kameng.domain.ids import new_id
from kameng.domain.order import OrderStatus
from kameng.domain.tickets import KeyNotReportable, Ticket, TicketAlreadyOpen, new_ticket
from kameng.ports.store import Duplicate
from kameng.services import lookup

# A shopper reports a handful of keys at most; more from one order is a script.
REPORTS_PER_ORDER = 5
REPORT_WINDOW_SECONDS = 3600


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
