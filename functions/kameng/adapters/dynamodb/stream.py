"""What the table's change stream says, decoded where the table's keys are known."""
from __future__ import annotations

from kameng.adapters.dynamodb import keys
from kameng.domain.order import OrderStatus


def paid_order_id(record: dict) -> str | None:
    """The id of the order a stream record shows paid; None for any other record."""
    image = (record.get("dynamodb") or {}).get("NewImage") or {}
    if (image.get("status") or {}).get("S") != OrderStatus.PAID.value:
        return None
    return keys.order_id_of(image)
