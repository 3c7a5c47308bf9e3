"""An owner delivers a needs_attention order by hand: its keys are taken from stock now, then released."""
from __future__ import annotations

from kameng.deps import Deps
from kameng.domain.errors import NotDeliverable, SoldOut
from kameng.domain.hand_delivery import take_keys_again
from kameng.domain.order import Applied, OrderStatus
from kameng.domain.owners import Owner, Permission
from kameng.services import audit
from kameng.services.notify import check_low_stock_of
from kameng.services.owner_orders import scoped_order, summary
from kameng.services.release import release


def deliver(owner: Owner, order_id: str, deps: Deps) -> dict:
    order = scoped_order(owner, Permission.DELIVER, order_id, deps)
    now = deps.clock()
    change = take_keys_again(order, bool(deps.store.orders.ledger(order.id)), now)
    try:
        outcome, _ = deps.store.orders.apply(change, now)
    except SoldOut:
        raise SoldOut(f"库存不足，无法发货：这个订单需要 {order.quantity} 张卡密，请先补货再试") from None
    if outcome is not Applied.DONE:
        raise NotDeliverable("订单刚被其他操作改变（可能已自动退款），请刷新后再看")
    check_low_stock_of(deps.store.orders.order(order.id), deps)
    delivered = release(order.id, deps)
    after = {"status": delivered.status.value if delivered else OrderStatus.PAID.value,
             "key_ids": list(delivered.key_ids) if delivered else []}
    audit.record(deps, owner.email, order.station, "order.deliver", order.id,
                 {"status": order.status.value, "attention_reason": order.attention_reason}, after)
    return {"order": summary(delivered or order)}
