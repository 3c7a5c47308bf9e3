"""A supplier's callback: verified before it is read, matched to an attempt this shop made to that supplier,
checked against what the attempt allowed, then applied like any other answer (supply_outcome.py). A callback
that fails any check changes nothing and is logged; one that comes twice is applied once."""
from __future__ import annotations

import logging
from typing import Mapping

from kameng.deps import Deps
from kameng.domain.errors import InvalidCallback, NotFound, SupplierUnavailable
from kameng.domain.order import OrderStatus
from kameng.domain.supply import SupplyResult
from kameng.services.supply_outcome import apply_result
from kameng.services.supply_routing import fulfil

log = logging.getLogger(__name__)
DEFAULT_REPLY = "success"


def receive(supplier_name: str, body: bytes, headers: Mapping[str, str], deps: Deps) -> str:
    """Apply the callback; the text the supplier waits for in the answer."""
    if deps.suppliers is None:
        raise NotFound("没有这个供货商")
    try:
        supplier = deps.suppliers.supplier(supplier_name)
    except SupplierUnavailable:
        raise NotFound("没有这个供货商") from None
    try:
        result = supplier.verify_callback(body, headers)
        attempt = _attempt_of(supplier_name, result, deps)
    except InvalidCallback as refused:
        log.warning("supplier callback refused", extra={"supplier": supplier_name, "reason": refused.message})
        raise
    order = deps.store.orders.order(attempt.order_id)
    if order is not None:
        applied = apply_result(order, attempt, result, deps)
        if applied is None and order.status is OrderStatus.AWAITING_DELIVERY:
            fulfil(order.id, deps)  # this supplier failed it after all: the next one is tried
    return getattr(supplier, "callback_reply", DEFAULT_REPLY)


def _attempt_of(supplier_name: str, result: SupplyResult, deps: Deps):
    attempt = deps.store.supply_attempts.attempt(result.request_id)
    if attempt is None or attempt.supplier != supplier_name:
        raise InvalidCallback(f"没有向该供货商发出过这个请求：{result.request_id[:64]}")
    if result.quantity_delivered > attempt.quantity or result.unit_cost > attempt.max_unit_cost:
        raise InvalidCallback(
            f"回调的数量或单价不符：请求 {attempt.quantity} 件、单价至多 {attempt.max_unit_cost}，"
            f"回调 {result.quantity_delivered} 件、单价 {result.unit_cost}")
    if attempt.unit_cost and result.unit_cost != attempt.unit_cost:
        raise InvalidCallback(f"回调的单价 {result.unit_cost} 与下单时的 {attempt.unit_cost} 不符")
    return attempt
