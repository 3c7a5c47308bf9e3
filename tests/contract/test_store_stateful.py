"""Any sequence of imports, orders, payments, lapses and deliveries keeps the stock equation.

For every SKU at every moment: available + reserved + sold + void = imported,
every reserved key belongs to a pending or paid order, every sold key to a
delivered one, and no key belongs to two orders.
"""
from __future__ import annotations

import tempfile
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from kameng.domain.errors import SoldOut
from kameng.domain.order import (
    Applied, KeyMove, OrderChange, OrderStatus, PaymentEvent, PaymentKind, decide_payment, deliver, lapse, paid_too_late,
)

from kameng.domain.refund import refund_delivered, refund_undelivered, wants_automatic_refund

from .store_world import START, STORES, Inventory, an_order

S = OrderStatus
SKU = "sku-hot"
HOLDS_KEYS = {S.PENDING: "reserved", S.PAID: "reserved", S.DELIVERED: "sold"}


def machine_for(kind: str):
    class StoreMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.exits = ExitStack()
            folder = Path(self.exits.enter_context(tempfile.TemporaryDirectory()))
            self.store = self.exits.enter_context(STORES[kind](folder))
            self.inventory = Inventory(self.store)
            self.order_ids: list[str] = []
            self.now = START
            self.events = 0
            # Refunded after delivery: their keys stay sold, flagged.
            self.refunded_sales: set[str] = set()

        def teardown(self):
            self.exits.close()

        def _order(self, pick: int):
            return self.store.orders.order(self.order_ids[pick % len(self.order_ids)])

        def _event(self, order, kind: PaymentKind, paid: bool, amount_off: int = 0) -> PaymentEvent:
            self.events += 1
            return PaymentEvent(f"evt_{self.events}", kind, order.id, "cs_test", paid, order.total + amount_off, "cny", "pi_1")

        def _apply(self, order, change, event: PaymentEvent | None = None) -> None:
            if change is None:
                return
            try:
                self.store.orders.apply(change, self.now)
            except SoldOut:
                # A late payment found no keys: nothing was written, and the payment is kept for review.
                assert self.store.orders.order(order.id) == order and not self.store.orders.event_seen(event.id)
                assert self.store.orders.apply(paid_too_late(order, event), self.now)[0] is Applied.DONE

        @rule(n=st.integers(min_value=0, max_value=4))
        def import_keys(self, n):
            self.inventory.add(SKU, n)

        @rule(quantity=st.integers(min_value=1, max_value=3))
        def place(self, quantity):
            self.now += timedelta(seconds=1)
            try:
                self.order_ids.append(self.store.orders.place_order(an_order(SKU, quantity, at=self.now)).id)
            except SoldOut:
                pass

        @precondition(lambda self: self.order_ids)
        @rule(pick=st.integers(min_value=0), kind=st.sampled_from(list(PaymentKind)), paid=st.booleans(),
              amount_off=st.sampled_from([0, 0, 0, 1]))
        def payment_event(self, pick, kind, paid, amount_off):
            order = self._order(pick)
            event = self._event(order, kind, paid, amount_off)
            self._apply(order, decide_payment(order, event, self.now), event)

        @precondition(lambda self: self.order_ids)
        @rule(pick=st.integers(min_value=0))
        def release(self, pick):
            order = self._order(pick)
            self._apply(order, deliver(order, "main", order.updated_at))

        @precondition(lambda self: self.order_ids)
        @rule(pick=st.integers(min_value=0))
        def reservation_lapses(self, pick):
            order = self._order(pick)
            if order.status is S.PENDING:
                self._apply(order, lapse(order))

        @precondition(lambda self: self.order_ids)
        @rule(pick=st.integers(min_value=0))
        def owner_refunds(self, pick):
            order = self._order(pick)
            if order.status is S.DELIVERED:
                change = refund_delivered(order, self.store.orders.ledger(order.id), f"re_{order.id}", "owner")
                assert self.store.orders.apply(change, self.now)[0] is Applied.DONE
                self.refunded_sales.add(order.id)

        @precondition(lambda self: self.order_ids)
        @rule(pick=st.integers(min_value=0))
        def undeliverable_payment_is_refunded(self, pick):
            order = self._order(pick)
            if wants_automatic_refund(order):
                change = refund_undelivered(order, f"re_{order.id}", ledger_from=len(self.store.orders.ledger(order.id)))
                assert self.store.orders.apply(change, self.now)[0] is Applied.DONE

        @precondition(lambda self: self.order_ids)
        @rule(pick=st.integers(min_value=0))
        def stale_change_conflicts(self, pick):
            order = self._order(pick)
            if order.status is not S.PENDING:
                assert self.store.orders.apply(OrderChange(order.id, S.PENDING, S.FAILED, keys=KeyMove.RETURN), self.now) == (
                    Applied.CONFLICT, None)

        @invariant()
        def stock_equation_holds(self):
            assert self.inventory.balanced(SKU)

        @invariant()
        def every_held_key_belongs_to_one_order_in_a_holding_state(self):
            counted = self.inventory.count(SKU)
            held = {"reserved": [], "sold": []}
            for order_id in self.order_ids:
                order = self.store.orders.order(order_id)
                keys = [k.key_id for k in self.store.inventory.sealed_keys(order)]
                if order.status in HOLDS_KEYS or order.id in self.refunded_sales:
                    assert len(keys) == order.quantity, order
                    held[HOLDS_KEYS.get(order.status, "sold")] += keys
                else:
                    assert keys == [], order
            every = held["reserved"] + held["sold"]
            assert len(every) == len(set(every))
            assert (len(held["reserved"]), len(held["sold"])) == (counted.reserved, counted.sold)

        @invariant()
        def every_orders_ledger_balances_and_only_refunded_sales_keys_are_flagged(self):
            for order_id in self.order_ids:
                order = self.store.orders.order(order_id)
                assert sum(entry.amount for entry in self.store.orders.ledger(order_id)) == 0, order
                flags = {k.refunded for k in self.store.inventory.sealed_keys(order)}
                assert flags <= ({True} if order_id in self.refunded_sales else {False}), order

    return StoreMachine


@pytest.mark.parametrize("kind", list(STORES))
def test_the_stock_equation_survives_any_sequence_of_operations(kind):
    run_state_machine_as_test(machine_for(kind), settings=settings(
        max_examples=40, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]))
