"""Orders that hold no stock at checkout (top-ups, manual and loop products, card keys bought after payment), on
every store: nothing reserved until their goods are in, a loop's sales counted under their cap, and the stock
equation intact throughout."""
from __future__ import annotations

from datetime import timedelta

import pytest

from kameng.domain.errors import SoldOut
from kameng.domain.fulfilment import Delivery
from kameng.domain.order import (
    Applied, OrderStatus, PaymentEvent, PaymentKind, decide_payment, deliver, lapse, supplied_keys,
)
from kameng.domain.quota import EVERYONE, Quota, QuotaKind

from .store_world import START, an_order

S = OrderStatus


def paid_event(order, event_id: str = "evt_1") -> PaymentEvent:
    return PaymentEvent(event_id, PaymentKind.COMPLETED, order.id, None, True, order.total, "cny", f"pi_{event_id}")


def loop_order(sku: str, cap: int = 2, **kwargs):
    quota = Quota(kind=QuotaKind.LOOP, counter=f"LOOP#{sku}", holder=EVERYONE, cap=cap)
    return an_order(sku, **kwargs).model_copy(update={"delivery": Delivery.LOOP, "quotas": (quota,)})


def test_an_order_bought_from_suppliers_reserves_nothing_and_waits_once_paid(store, inventory):
    sku = inventory.new_sku(3)
    placed = store.orders.place_order(an_order(sku, 2).model_copy(update={"delivery": Delivery.SUPPLIER}))

    assert placed.key_ids == () and inventory.count(sku).available == 3
    outcome, waiting = store.orders.apply(decide_payment(placed, paid_event(placed), START), START)
    assert outcome is Applied.DONE and waiting.status is S.AWAITING_DELIVERY
    assert waiting.deliver_by == START + timedelta(minutes=5)
    assert store.orders.due_orders(START + timedelta(minutes=2), 10)[0].id == placed.id
    assert inventory.count(sku).available == 3 and inventory.balanced(sku)


def test_keys_bought_for_a_waiting_order_are_taken_once_and_sold_with_the_supply_cost(store, inventory):
    sku = inventory.new_sku(0)
    placed = store.orders.place_order(an_order(sku, 2).model_copy(update={"delivery": Delivery.SUPPLIER}))
    _, waiting = store.orders.apply(decide_payment(placed, paid_event(placed), START), START)
    inventory.add(sku, 2)  # what the supplier delivered, kept as stock first

    outcome, paid = store.orders.apply(supplied_keys(waiting, (("sim-a", 18400),), START), START)
    assert outcome is Applied.DONE and len(paid.key_ids) == 2 and inventory.count(sku).reserved == 2
    again, _ = store.orders.apply(supplied_keys(waiting, (("sim-a", 18400),), START), START)
    assert again is Applied.CONFLICT  # it moved on: the keys are not taken twice

    _, delivered = store.orders.apply(deliver(paid, "main", START), START)
    assert delivered.status is S.DELIVERED and inventory.count(sku).sold == 2 and inventory.balanced(sku)
    ledger = store.orders.ledger(placed.id)
    assert sum(e.amount for e in ledger) == 0
    assert ("supplier:sim-a", 18400) in [(e.account, e.amount) for e in ledger]


def test_a_waiting_order_whose_keys_were_sold_first_stays_waiting(store, inventory):
    sku = inventory.new_sku(0)
    placed = store.orders.place_order(an_order(sku, 2).model_copy(update={"delivery": Delivery.SUPPLIER}))
    _, waiting = store.orders.apply(decide_payment(placed, paid_event(placed), START), START)
    inventory.add(sku, 1)

    with pytest.raises(SoldOut):
        store.orders.apply(supplied_keys(waiting, (), START), START)
    assert store.orders.order(placed.id).status is S.AWAITING_DELIVERY and inventory.count(sku).available == 1


def test_a_top_up_is_delivered_without_keys_and_its_receipt_kept(store, inventory):
    sku = inventory.new_sku(1)
    placed = store.orders.place_order(an_order(sku).model_copy(update={"delivery": Delivery.SUPPLIER}))
    _, waiting = store.orders.apply(decide_payment(placed, paid_event(placed), START), START)

    change = deliver(waiting.model_copy(update={"supply_charges": (("sim-b", 4900),)}), "main", START,
                     record=(("receipt", "sim-b R-1"), ("supply_charges", (("sim-b", 4900),))))
    outcome, delivered = store.orders.apply(change, START)
    assert outcome is Applied.DONE and delivered.receipt == "sim-b R-1"
    assert store.orders.order(placed.id).supply_charges == (("sim-b", 4900),)
    assert inventory.count(sku).available == 1 and inventory.balanced(sku)


def test_a_loop_products_sales_stop_at_its_cap_and_a_lapsed_one_is_given_back(store, inventory):
    sku = inventory.new_sku(1)
    first = store.orders.place_order(loop_order(sku))
    store.orders.place_order(loop_order(sku))
    with pytest.raises(SoldOut):
        store.orders.place_order(loop_order(sku))
    assert inventory.count(sku).available == 1  # the credential itself is never reserved

    store.orders.apply(lapse(first), START + timedelta(minutes=20))
    assert store.orders.place_order(loop_order(sku)).key_ids == ()


def test_a_late_payment_of_a_loop_order_takes_its_sale_again_but_no_key(store, inventory):
    sku = inventory.new_sku(1)
    placed = store.orders.place_order(loop_order(sku, cap=1))
    _, lapsed = store.orders.apply(lapse(placed), START + timedelta(minutes=20))

    outcome, paid = store.orders.apply(decide_payment(lapsed, paid_event(lapsed), START), START)
    assert outcome is Applied.DONE and paid.status is S.PAID and paid.key_ids == ()
    with pytest.raises(SoldOut):
        store.orders.place_order(loop_order(sku, cap=1))
    assert inventory.count(sku).available == 1


def test_the_shared_credential_is_one_available_key_and_stays_readable_by_its_id(store, inventory):
    sku = inventory.new_sku(0)
    assert store.inventory.shared_key(sku, None) is None
    [credential] = inventory.add(sku, 1)

    assert store.inventory.shared_key(sku, None).key_id == credential.key_id
    assert store.inventory.shared_key(sku, credential.key_id).ciphertext == credential.ciphertext
    assert store.inventory.void_keys(sku, [credential.key_id]).voided == (credential.key_id,)
    assert store.inventory.shared_key(sku, None) is None
    assert store.inventory.shared_key(sku, credential.key_id) is not None  # an order delivered with it still shows it
