"""An owner's delivery by hand of a paid order that went to needs_attention.

Such an order holds no keys (they went back, or were never there), so it takes them again from stock as
a late payment does (needs_attention → paid, reserving), and release then sells them. An order with
ledger entries was delivered or refunded once already: giving it keys again would book a second sale.
"""
from __future__ import annotations

from datetime import datetime

from kameng.domain.errors import NotDeliverable
from kameng.domain.order import RELEASE_RETRY_AFTER, KeyMove, Order, OrderChange, OrderStatus



def take_keys_again(order: Order, has_ledger: bool, now: datetime) -> OrderChange:
    if order.status is not OrderStatus.NEEDS_ATTENTION:
        raise NotDeliverable(f"只有待处理（needs_attention）的订单可以手动发货，这个订单为 {order.status.value}")
    if has_ledger or order.key_ids or order.credited or order.refund_id is not None:
        raise NotDeliverable("这个订单已发货或已发起退款，不能再发货：请在退款里处理")
    # Due soon, so the sweeper releases it if this process stops between the two steps.
    return OrderChange(order.id, OrderStatus.NEEDS_ATTENTION, OrderStatus.PAID, keys=KeyMove.RESERVE,
                       due_at=now + RELEASE_RETRY_AFTER)
