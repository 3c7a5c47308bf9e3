"""The stream also wakes Release for orders that became delivered or refunded, which it counts."""
from __future__ import annotations

from kameng.adapters.dynamodb.stream import counted_change, paid_order_id
from kameng.domain.order import OrderStatus

from .test_stream import accepted, record, stream  # noqa: F401 - the stream fixture

BECAME_COUNTED = [record("MODIFY", "ORDER#01J0E", "ORDER", OrderStatus.DELIVERED.value, OrderStatus.PAID.value),
                  record("MODIFY", "ORDER#01J0F", "ORDER", OrderStatus.REFUNDED.value, OrderStatus.DELIVERED.value)]
NOT_COUNTED = [record("MODIFY", "ORDER#01J0G", "ORDER", OrderStatus.REFUNDED.value, OrderStatus.REFUNDED.value),
               record("MODIFY", "ORDER#01J0H", "LEDGER#001", OrderStatus.DELIVERED.value, OrderStatus.PAID.value)]


def test_orders_that_became_delivered_or_refunded_reach_release(stream):
    for rec in BECAME_COUNTED:
        assert accepted(stream, rec) and paid_order_id(rec) is None, rec


def test_a_status_written_again_is_neither_sent_nor_counted(stream):
    for rec in NOT_COUNTED:
        assert counted_change(rec) is None, rec
    assert not accepted(stream, NOT_COUNTED[0])
