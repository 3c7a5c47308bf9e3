"""Which of an order's quotas a change takes and gives back.

Most quotas (a flash sale's, a day's, a coupon's) go with the keys: taken when
keys are reserved, given back when they return. The unpaid-hold quotas go with
the wait for payment instead: taken when the order is placed and given back
when it leaves PENDING, whichever way (paid, lapsed, failed), and never taken
again by a late payment, which is paid already. Orders are created PENDING and
never return to it, so each unpaid hold is given back exactly once.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable

from kameng.domain.order import KeyMove, Order, OrderChange, OrderStatus
from kameng.domain.price_book import UnpaidLimits
from kameng.domain.quota import Quota, QuotaKind
from kameng.domain.risk import Rule, Velocity


def quota_moves(order: Order, change: OrderChange) -> tuple[tuple[Quota, ...], tuple[Quota, ...]]:
    """(the quotas the change takes, the quotas it gives back), each in the order's own order."""
    with_keys = tuple(quota for quota in order.quotas if not quota.while_unpaid and not quota.kept)
    unpaid = tuple(quota for quota in order.quotas if quota.while_unpaid)
    leaves_pending = change.from_status is OrderStatus.PENDING and change.to_status is not OrderStatus.PENDING
    # An order that waited for its goods kept its quotas all along: taking its keys takes no quota again.
    taken = with_keys if change.keys is KeyMove.RESERVE and change.from_status is not OrderStatus.AWAITING_DELIVERY else ()
    given = (with_keys if change.keys is KeyMove.RETURN else ()) + (unpaid if leaves_pending else ())
    return taken, given


def unpaid_quotas(station: str, limits: UnpaidLimits | None, quantity: int, clients: Iterable[str],
                  address: str | None = None) -> tuple[Quota, ...]:
    """The unpaid-hold caps of each name the client goes by (keyed hashes of its e-mail, its device and
    its address), each on its own; none for a book published without limits.

    Each name gets a partition of its own (the counter), so a busy station's holds never
    meet on one hot item; the order count and the key count are two items in it.
    """
    if limits is None:
        return ()
    # One order the SKU allows always fits while the client holds nothing else: the key cap
    # bounds what is held across orders, never the size of a single purchase.
    keys = max(limits.keys, quantity)
    quotas: list[Quota] = []
    for client in dict.fromkeys([*clients, *([address] if address else [])]):
        counter = f"UNPAID#{station}#{client}"
        quotas.append(Quota(kind=QuotaKind.UNPAID_ORDERS, counter=counter, holder="orders", cap=limits.orders))
        quotas.append(Quota(kind=QuotaKind.UNPAID_KEYS, counter=counter, holder="keys", cap=keys))
    return tuple(quotas)


# The prefixes checkout's client names carry (services/checkout.client_names): each kind has its own cap.
_NAME_KINDS = {"e.": ("per_email", Rule.VELOCITY_EMAIL), "a.": ("per_address", Rule.VELOCITY_ADDRESS),
               "d.": ("per_device", Rule.VELOCITY_DEVICE)}


def velocity_quotas(station: str, velocity: Velocity, names: list[str], now: datetime) -> tuple[Quota, ...]:
    """One counter per name and clock hour, taken when the order is placed and never given back: a lapsed
    order was still an attempt. A counter per client keeps every count in a partition of its own."""
    hour = now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H")
    quotas = []
    for name in dict.fromkeys(names):
        field, rule = _NAME_KINDS.get(name[:2], (None, None))
        cap = getattr(velocity, field) if field else None
        if cap is not None:
            quotas.append(Quota(kind=QuotaKind.RISK_VELOCITY, counter=f"RISK#{station}#{name}#{hour}",
                                holder=str(rule), cap=cap))
    return tuple(quotas)
