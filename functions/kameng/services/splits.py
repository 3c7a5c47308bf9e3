"""分账 on Alipay and WeChat Pay: after a payment, the station's share goes to its own account there.

Stripe moves the share with the payment (a destination charge); these rails split a payment already
taken. A split the rail refuses or cannot take now is not lost: the share stays in the station's balance
due (domain/settlement.py counts only what was split), and the platform pays it out as any other.
"""
from __future__ import annotations

import logging

from kameng.deps import Deps
from kameng.domain.order import Order

log = logging.getLogger(__name__)


def share_of(order: Order, max_share_percent: int = 100) -> int:
    """What the station's account gets: the total less what the platform keeps (Order.application_fee), but no
    more than the rail lets be split away; the rest of it stays in the station's balance due."""
    return max(min(order.total - order.application_fee, order.total * max_share_percent // 100), 0)


def send_split(order: Order, deps: Deps) -> None:
    if not order.payout_account or order.split_ref or order.rail == "stripe" or not order.payment_ref:
        return
    gateway = deps.rail(order.rail)
    split = getattr(gateway, "split", None)
    amount = share_of(order, getattr(gateway, "max_share_percent", 100))
    if split is None or amount <= 0:
        return
    try:
        ref = split(order.payment_ref, order.id, order.payout_account, amount)
    except Exception:
        log.exception("split refused or failed; the share stays in the station's balance due",
                      extra={"order_id": order.id, "rail": order.rail, "amount": amount})
        return
    deps.store.orders.record_split(order.id, amount, ref)
    log.info("split sent", extra={"order_id": order.id, "rail": order.rail, "amount": amount, "split_ref": ref})
