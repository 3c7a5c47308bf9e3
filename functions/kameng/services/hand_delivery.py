"""An owner delivers a needs_attention order by hand: its keys are taken from stock now, then released."""
from __future__ import annotations

import base64

from kameng.deps import Deps
from kameng.domain.errors import InvalidRequest, NotDeliverable, SoldOut
from kameng.domain.fulfilment import Delivery
from kameng.domain.hand_delivery import take_keys_again
from kameng.domain.order import Applied, Order, OrderStatus
from kameng.domain.order import deliver as deliver_change
from kameng.domain.owners import Owner, Permission
from kameng.services import audit
from kameng.services.notify import check_low_stock_of
from kameng.services.owner_orders import scoped_order, summary
from kameng.services.lookup import message_context
from kameng.services.release import after_delivery, release


MAX_MESSAGE = 4000


def deliver(owner: Owner, order_id: str, deps: Deps, message: str | None = None) -> dict:
    """Deliver a manual product's order with the owner's message (the account, the code, what was done), or
    a needs_attention order from stock."""
    order = scoped_order(owner, Permission.DELIVER, order_id, deps)
    if order.status is OrderStatus.AWAITING_DELIVERY:
        return _deliver_message(owner, order, message, deps)
    if order.delivery in (Delivery.SUPPLIER, Delivery.MANUAL):
        # Its goods never came from stock: taking it to delivered would deliver nothing, and stop its refund.
        raise NotDeliverable("这个订单的货由供货商或店主提供，未能发货时会自动退款，不能从库存补发")
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


def _deliver_message(owner: Owner, order: Order, message: str | None, deps: Deps) -> dict:
    if order.delivery is not Delivery.MANUAL:
        raise NotDeliverable("这个订单正由供货商发货，不能手动发货；供货失败时会自动退款")
    text = (message or "").strip()
    if not text or len(text) > MAX_MESSAGE:
        raise InvalidRequest(f"请填写发货内容（1–{MAX_MESSAGE} 字）：卡密、账号或办理结果",
                             [{"loc": "message", "msg": "expected the delivery's text"}])
    sealed = base64.b64encode(deps.cipher.seal(text.encode(), message_context(order.id))).decode()
    change = deliver_change(order, deps.settings.main_station, deps.clock(), record=(("message_sealed", sealed),))
    delivered = after_delivery(order, change, deps)
    if delivered is None:
        raise NotDeliverable("订单刚被其他操作改变（可能已超时退款），请刷新后再看")
    # The message is the goods: the log keeps that it was sent, never what it says.
    audit.record(deps, owner.email, order.station, "order.deliver", order.id,
                 {"status": order.status.value}, {"status": delivered.status.value, "message_chars": len(text)})
    return {"order": summary(delivered)}
