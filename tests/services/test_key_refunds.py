"""Refunding some keys of a delivered order through the sandbox gateway: exact shares, once each."""
from __future__ import annotations

from collections import defaultdict

import pytest

from kameng.domain.order import OrderStatus
from kameng.domain.errors import NotRefundable
from kameng.services.refunds import refund_keys

from .test_owner_views import paid, placed


@pytest.fixture
def gateway_refunds(deps):
    asked = []
    refund = deps.gateway.refund

    def recording(payment_ref, amount, order_id, attempt=0, take_back=None):
        refund_id = refund(payment_ref, amount, order_id, attempt)
        if refund_id not in {r for *_, r in asked}:
            asked.append((amount, refund_id))
        return refund_id

    deps.gateway.refund = recording
    return asked


def delivered_order(deps, stations, sku_with_keys, quantity=3, price=10001):
    sku = sku_with_keys(quantity + 1, price=price, substation_price=None, max_quantity=5).sku
    order = paid(deps, placed(deps, stations.main, sku, quantity=quantity))
    assert order.status is OrderStatus.DELIVERED
    return order


def test_refunding_one_key_gives_back_its_share_and_keeps_the_order_delivered(deps, stations, sku_with_keys, gateway_refunds):
    order = delivered_order(deps, stations, sku_with_keys)

    after = refund_keys(order.id, [order.key_ids[2]], "key did not work", deps, actor="owner@example.com")

    flagged = {k.key_id: k.refunded for k in deps.store.inventory.sealed_keys(order)}
    assert after.status is OrderStatus.DELIVERED and after.refunded_key_ids == (order.key_ids[2],)
    assert [amount for amount, _ in gateway_refunds] == [order.total // 3]
    assert flagged == {order.key_ids[0]: False, order.key_ids[1]: False, order.key_ids[2]: True}
    assert sum(e.amount for e in deps.store.orders.ledger(order.id)) == 0


def test_refunding_every_key_one_by_one_gives_back_exactly_the_total(deps, stations, sku_with_keys, gateway_refunds):
    order = delivered_order(deps, stations, sku_with_keys)
    spend_before = deps.store.members.member(order.station, order.shopper_key).spend

    for key_id in reversed(order.key_ids):
        refund_keys(order.id, [key_id], None, deps)

    per_account = defaultdict(int)
    for entry in deps.store.orders.ledger(order.id):
        per_account[entry.account] += entry.amount
    stored = deps.store.orders.order(order.id)
    assert sum(amount for amount, _ in gateway_refunds) == order.total
    assert stored.status is OrderStatus.REFUNDED
    assert set(per_account.values()) == {0}
    assert deps.store.members.member(order.station, order.shopper_key).spend == spend_before - order.total


def test_the_same_key_refund_asked_twice_refunds_once(deps, stations, sku_with_keys, gateway_refunds):
    order = delivered_order(deps, stations, sku_with_keys)

    refund_keys(order.id, [order.key_ids[0]], None, deps)
    again = refund_keys(order.id, [order.key_ids[0]], None, deps)

    assert len(gateway_refunds) == 1 and again.refunded_key_ids == (order.key_ids[0],)


def test_two_keys_of_equal_share_are_two_refunds_at_the_gateway(deps, stations, sku_with_keys, gateway_refunds):
    order = delivered_order(deps, stations, sku_with_keys, price=10000)

    refund_keys(order.id, [order.key_ids[0]], None, deps)
    refund_keys(order.id, [order.key_ids[1]], None, deps)

    assert [amount for amount, _ in gateway_refunds] == [10000, 10000]


def test_a_key_the_order_does_not_hold_is_refused(deps, stations, sku_with_keys):
    order = delivered_order(deps, stations, sku_with_keys)
    with pytest.raises(NotRefundable):
        refund_keys(order.id, ["01NOTAKEY"], None, deps)
    assert deps.store.orders.order(order.id).refunded_key_ids == ()


def test_refunding_all_keys_at_once_is_the_whole_refund(deps, stations, sku_with_keys, gateway_refunds):
    order = delivered_order(deps, stations, sku_with_keys)

    after = refund_keys(order.id, list(order.key_ids), None, deps)

    assert after.status is OrderStatus.REFUNDED and [a for a, _ in gateway_refunds] == [order.total]
