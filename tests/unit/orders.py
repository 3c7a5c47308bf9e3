"""Orders and payment events for the domain tests, built in one place."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kameng.domain.order import Order, OrderStatus, PaymentEvent, PaymentKind

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def an_order(status: OrderStatus = OrderStatus.PENDING, **fields) -> Order:
    quantity = fields.pop("quantity", 2)
    unit_price = fields.pop("unit_price", 10500)
    values = dict(
        id="01JNM8Z4Y6T3K2Q9W7E5R1V0XB", station="game-zone", sku="steam-100", title="Steam 100",
        quantity=quantity, unit_price=unit_price, unit_wholesale=9500, total=unit_price * quantity, currency="CNY",
        email="buyer@example.com", shopper_key="a" * 64, password_hash="b" * 64, token_hash="c" * 64,
        status=status, created_at=NOW, updated_at=NOW, expires_at=NOW + timedelta(minutes=15),
        due_at=NOW + timedelta(minutes=15), key_ids=("K1", "K2"),
        payment_session="cs_test_1",
    )
    values.update(fields)
    return Order(**values)


def a_payment(kind: PaymentKind, order: Order, paid: bool = True, **fields) -> PaymentEvent:
    values = dict(
        id="evt_1", kind=kind, order_id=order.id, session_id=order.payment_session, paid=paid,
        amount=order.total, currency=order.currency.lower(), payment_ref="pi_1" if paid else None,
    )
    values.update(fields)
    return PaymentEvent(**values)
