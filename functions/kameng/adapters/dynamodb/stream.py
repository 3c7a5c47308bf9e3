"""What the table's change stream says, decoded where the table's keys are known."""
from __future__ import annotations

from kameng.adapters.dynamodb import keys
from kameng.domain.order import Order, OrderStatus
from kameng.domain.stats import Counted


# Paid orders are delivered; orders awaiting delivery are sent to their suppliers (or wait for the owner).
_RELEASED = (OrderStatus.PAID.value, OrderStatus.AWAITING_DELIVERY.value)


def paid_order_id(record: dict) -> str | None:
    """The id of the order a stream record shows paid (or awaiting delivery); None for any other record."""
    image = (record.get("dynamodb") or {}).get("NewImage") or {}
    if (image.get("status") or {}).get("S") not in _RELEASED:
        return None
    return keys.order_id_of(image)


_COUNTED = {OrderStatus.DELIVERED.value: Counted.DELIVERED, OrderStatus.REFUNDED.value: Counted.REFUNDED}


def counted_change(record: dict) -> tuple[Order, Counted] | None:
    """The order a stream record shows turned delivered or refunded, as its new image holds it; None for
    any other record (a repeat write that left the status as it was included)."""
    change = record.get("dynamodb") or {}
    image, old = change.get("NewImage") or {}, change.get("OldImage") or {}
    status = (image.get("status") or {}).get("S")
    kind = _COUNTED.get(status or "")
    if kind is None or (old.get("status") or {}).get("S") == status or keys.order_id_of(image) is None:
        return None
    return Order.model_validate_json(image["body"]["S"]), kind
