"""Orders a buyer chose to pay by bank transfer, placed straight in the store as checkout places them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kameng.deps import Deps
from kameng.domain.bank_transfer import check_invoice, transfer_reference
from kameng.domain.order import Order, OrderStatus


# The fixed order ids of the statements in tests/fixtures/rails/bank are ids made on this day (ULIDs carry
# their time): statements are matched against the orders placed in the weeks before the import.
PLACED = datetime(2024, 11, 23, 2, 0, tzinfo=timezone.utc)


def bank_order(deps: Deps, order_id: str, station: str, sku: str, total: int, window: timedelta) -> Order:
    now = deps.clock()
    expires = now + window
    reference = transfer_reference(order_id)
    return deps.store.orders.place_order(Order(
        id=order_id, station=station, sku=sku, title=sku, quantity=1, unit_price=total, unit_wholesale=total - 7000,
        total=total, currency="CNY", email="buyer@example.com", shopper_key="s" * 64, password_hash="x",
        token_hash="y", status=OrderStatus.PENDING, created_at=now, updated_at=now, expires_at=expires,
        due_at=expires, payment_session=reference, payment_url=reference, rail="bank",
        invoice=check_invoice("甲科技有限公司", "91350100M000100Y43")))
