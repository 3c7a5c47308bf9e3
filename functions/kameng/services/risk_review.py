"""The owner's review of orders the risk rules hold (风控): staff list them, only owners approve (delivered as
usual) or reject (keys back to stock, payment refunded through its rail). Each decision is audited."""
from __future__ import annotations

import logging

from kameng.deps import Deps
from kameng.domain.order import Applied, Order, OrderChange, OrderStatus, approve as approve_change
from kameng.domain.order import reject as reject_change
from kameng.domain.owners import Owner, Permission, check
from kameng.domain.stats import Tally, station_day
from kameng.services import audit
from kameng.services.lookup import find_order, order_summary
from kameng.services.owner_orders import scoped_order
from kameng.services.refunds import refund_undeliverable
from kameng.services.release import release
from kameng.services.stats import station_zone

log = logging.getLogger(__name__)

# How many held orders the review lists at most: a station with more has a rule to loosen.
REVIEW_LIMIT = 200


def held_orders(owner: Owner, station: str | None, deps: Deps) -> list[dict]:
    """Orders waiting for review, newest first, with the rule that holds each (staff may look)."""
    check(owner, Permission.VIEW_ORDERS, station if station is not None else owner.station)
    station = station if station is not None else owner.station
    orders = deps.store.orders.recent_orders(REVIEW_LIMIT, station=station, status=OrderStatus.NEEDS_REVIEW)
    return [order_summary(order) | {"review": order.review} for order in orders]


def approve(owner: Owner, order_id: str, deps: Deps) -> Order:
    """Deliver a held order as usual; approving one that is no longer held changes nothing."""
    before = _held(owner, order_id, deps)
    change = approve_change(before, owner.email, deps.clock())
    if change is None:
        return before
    if not _decided(owner, before, change, "approve", {"status": OrderStatus.PAID.value}, deps):
        return find_order(before.id, deps)
    return release(before.id, deps) or find_order(before.id, deps)


def reject(owner: Owner, order_id: str, reason: str | None, deps: Deps) -> Order:
    """Return a held order's keys to stock and refund its payment through its rail (the sweeper asks again if
    the gateway fails); rejecting one that is no longer held changes nothing."""
    before = _held(owner, order_id, deps)
    reason = " ".join((reason or "").split())[:200] or "rejected in review"
    change = reject_change(before, owner.email, reason, deps.clock())
    if change is None:
        return before
    if not _decided(owner, before, change, "reject", {"status": OrderStatus.NEEDS_ATTENTION.value, "reason": reason},
                    deps):
        return find_order(before.id, deps)
    return refund_undeliverable(before.id, deps) or find_order(before.id, deps)


def _decided(owner: Owner, before: Order, change: OrderChange, decision: str, after: dict, deps: Deps) -> bool:
    """Apply an owner's decision on a held order; audited and logged with its rule when it took (another
    decision may have come first)."""
    outcome, _ = deps.store.orders.apply(change, deps.clock())
    if outcome is not Applied.DONE:
        return False
    audit.record(deps, owner.email, before.station, f"order.risk_{decision}", before.id,
                 {"status": before.status.value, "rule": before.review}, after)
    log.info("held order %sd", decision, extra={"order_id": before.id, "rule": before.review})
    return True


def _held(owner: Owner, order_id: str, deps: Deps) -> Order:
    # Another station's order answers exactly as a missing one.
    return scoped_order(owner, Permission.REVIEW_ORDERS, order_id, deps)


def refusals_today(owner: Owner, station: str, deps: Deps) -> dict[str, int]:
    """Checkouts the station's rules refused on its day so far: by a blocklist, and over a velocity cap."""
    check(owner, Permission.VIEW_ORDERS, station)
    today = station_day(deps.clock(), station_zone(station, deps))
    counted = deps.store.statistics.tallies(station, today, today).get(today, {})
    return {"blocked": counted.get(Tally.RISK_BLOCKED, 0), "throttled": counted.get(Tally.RISK_THROTTLED, 0)}
