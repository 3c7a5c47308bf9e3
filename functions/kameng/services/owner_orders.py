"""The console's orders: search a station's orders, read one with its keys masked, reveal one key, resend the
delivery mail and refund keys. Every call checks the owner's role and station against the order's own."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kameng.deps import Deps
from kameng.domain.errors import InvalidRequest, NotFound, RateLimited
from kameng.domain.order import Order, OrderStatus
from kameng.domain.owners import Owner, Permission, check, check_found
from kameng.domain.stats import DEFAULT_TIME_ZONE
from kameng.services import audit, lookup, refunds
from kameng.services.account import mask_email
from kameng.services.notify import send_delivery_mail
from kameng.services.stations import published_book

MAX_PAGE = 100
MAX_EXPORT = 10_000
RESEND_WINDOW_SECONDS = 3600
RESENDS_PER_ORDER = 3


@dataclass(frozen=True)
class OrderSearch:
    order_id: str | None = None
    email: str | None = None
    start: date | None = None
    end: date | None = None
    status: OrderStatus | None = None
    cursor: str | None = None  # the id of the last order of the page before: the next page is older
    limit: int = 50


def parse_search(params: dict[str, str | None], export: bool) -> OrderSearch:
    try:
        limit = MAX_EXPORT if export else min(max(int(params.get("limit") or 50), 1), MAX_PAGE)
        start = date.fromisoformat(params["from"]) if params.get("from") else None
        end = date.fromisoformat(params["to"]) if params.get("to") else None
        status = OrderStatus(params["status"]) if params.get("status") else None
    except ValueError:
        raise InvalidRequest("查询条件无效：日期为 YYYY-MM-DD，状态为订单状态之一，limit 为 1 到 100 的整数") from None
    return OrderSearch(params.get("order_id"), params.get("email"), start, end, status, params.get("cursor"), limit)


def _day_bounds(search: OrderSearch) -> tuple[datetime, datetime]:
    zone = ZoneInfo(DEFAULT_TIME_ZONE)
    start = datetime.combine(search.start or date(2000, 1, 1), time(), zone)
    end = datetime.combine((search.end or date(2100, 1, 1)) + timedelta(days=1), time(), zone)
    return start, end


def _candidates(station: str, search: OrderSearch, deps: Deps) -> list[Order]:
    """The station's orders that the search's one indexed condition picks, newest first."""
    orders = deps.store.orders
    if search.order_id:
        found = orders.order(search.order_id.strip().upper())
        return [found] if found is not None and found.station == station else []
    if search.email:
        return [o for o in orders.orders_of_shopper(lookup.shopper_key(search.email, deps), MAX_EXPORT)
                if o.station == station]
    if search.start or search.end:
        return list(reversed(orders.orders_placed(station, *_day_bounds(search))))
    return orders.recent_orders(MAX_EXPORT, station=station, status=search.status)


def summary(order: Order) -> dict:
    return lookup.order_summary(order) | {"email": mask_email(order.email),
                                          "refunded_keys": len(order.refunded_key_ids)}


def search_orders(owner: Owner, station: str, search: OrderSearch, deps: Deps) -> dict:
    check(owner, Permission.VIEW_ORDERS, station)
    published_book(station, deps)
    first, last = _day_bounds(search)
    kept = [o for o in _candidates(station, search, deps)
            if (search.status is None or o.status is search.status) and first <= o.created_at < last
            and (search.cursor is None or o.id < search.cursor)]
    page = kept[:search.limit]
    more = len(kept) > search.limit
    return {"orders": [summary(o) for o in page], "next_cursor": page[-1].id if more and page else None}


def scoped_order(owner: Owner, permission: Permission, order_id: str, deps: Deps) -> Order:
    """The order an owner names, if they may act on it; a missing one answers as another station's."""
    order = lookup.order_named(order_id, deps)
    check_found(owner, permission, order.station if order else None)
    return order


def order_detail(owner: Owner, order_id: str, deps: Deps) -> dict:
    return console_view(scoped_order(owner, Permission.VIEW_ORDERS, order_id, deps), deps)


def console_view(order: Order, deps: Deps) -> dict:
    """An order as the console shows it (its owner's scope checked already): the shopper's e-mail masked,
    keys masked, its ledger and which keys were refunded."""
    view = lookup.owner_view(order.id, deps)
    view["order"] |= {"email": mask_email(order.email), "refunded_key_ids": list(order.refunded_key_ids),
                      "partly_refunded": order.partly_refunded}
    return view


def reveal_key(owner: Owner, order_id: str, key_id: str, deps: Deps) -> dict:
    order = scoped_order(owner, Permission.AFTER_SALES, order_id, deps)
    sealed = next((k for k in deps.store.inventory.sealed_keys(order) if k.key_id == key_id), None)
    if sealed is None:
        raise NotFound("订单中没有这张卡密")
    card_key = lookup.open_key(sealed, deps)
    audit.record(deps, owner.email, order.station, "key.reveal", order.id, None, {"key_id": key_id})
    return {"key_id": key_id, "code": card_key.code, "password": card_key.password}


def resend_delivery(owner: Owner, order_id: str, deps: Deps) -> dict:
    order = scoped_order(owner, Permission.AFTER_SALES, order_id, deps)
    if order.status is not OrderStatus.DELIVERED:
        raise InvalidRequest("只有已发货的订单可以重发卡密邮件")
    if deps.store.counters.count_hit(f"resend:{order.id}", RESEND_WINDOW_SECONDS, deps.clock()) > RESENDS_PER_ORDER:
        raise RateLimited("这个订单的邮件重发过于频繁，请一小时后再试", retry_after=RESEND_WINDOW_SECONDS)
    sent = send_delivery_mail(order, deps)
    audit.record(deps, owner.email, order.station, "order.resend", order.id, None, {"sent": sent})
    return {"sent": sent}


def refund(owner: Owner, order_id: str, key_ids: list[str] | None, reason: str | None, deps: Deps) -> dict:
    order = scoped_order(owner, Permission.REFUND, order_id, deps)
    if key_ids is None:
        updated, _ = refunds.refund_order(order.id, reason, deps, actor=owner.email)
    else:
        updated = refunds.refund_keys(order.id, key_ids, reason, deps, actor=owner.email)
    return {"order": summary(updated), "refunded_key_ids": list(updated.refunded_key_ids)}
