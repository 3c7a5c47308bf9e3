"""The sweeper's promises on every store adapter: lapsed orders give their keys back once, failed refunds are retried."""
from __future__ import annotations

from datetime import timedelta

import pytest

from kameng.adapters.cipher_local import LocalCipher
from kameng.adapters.mail_outbox import OutboxMail
from kameng.deps import Deps, Settings
from kameng.domain.order import KeyMove, OrderChange, OrderStatus
from kameng.services.sweeper import sweep

from .store_world import START, an_order

S = OrderStatus


class Gateway:
    """Only what the sweeper asks of a payment gateway, remembered; refunds fail while `down`."""

    def __init__(self):
        self.expired: list[str] = []
        self.refunds: list[tuple] = []
        self.down = False

    def expire_session(self, session_id: str) -> None:
        self.expired.append(session_id)

    def refund(self, payment_ref: str, amount: int | None, order_id: str) -> str:
        self.refunds.append((payment_ref, amount, order_id))
        if self.down:
            raise ConnectionError("gateway unreachable")
        return f"re_{order_id}"


class Clock:
    def __init__(self):
        self.now = START

    def __call__(self):
        return self.now


@pytest.fixture
def world(store, tmp_path):
    gateway, clock = Gateway(), Clock()
    deps = Deps(store=store, gateway=gateway, cipher=LocalCipher(b"\x01" * 32), mail=OutboxMail(tmp_path / "outbox"),
                settings=Settings(), clock=clock)
    return deps, gateway, clock


def test_a_lapsed_order_expires_and_its_keys_come_back(world, inventory):
    deps, gateway, clock = world
    sku = inventory.new_sku(3)
    placed = deps.store.orders.place_order(an_order(sku, quantity=2))
    deps.store.orders.set_payment_session(placed.id, "cs_test_lapsed")
    clock.now = START + timedelta(minutes=16)
    done = sweep(deps)
    counted = inventory.count(sku)
    assert (done["expired"], deps.store.orders.order(placed.id).status, counted.available, counted.reserved) == (1, S.EXPIRED, 3, 0)
    assert gateway.expired == ["cs_test_lapsed"] and inventory.balanced(sku)


def test_a_reservation_still_running_is_left_alone(world, inventory):
    deps, _, clock = world
    sku = inventory.new_sku(1)
    placed = deps.store.orders.place_order(an_order(sku))
    clock.now = START + timedelta(minutes=14)
    assert (sweep(deps).get("expired", 0), deps.store.orders.order(placed.id).status) == (0, S.PENDING)


def test_a_second_sweep_returns_nothing_more(world, inventory):
    deps, gateway, clock = world
    sku = inventory.new_sku(2)
    deps.store.orders.place_order(an_order(sku, quantity=2))
    clock.now = START + timedelta(minutes=16)
    sweep(deps)
    assert (sweep(deps).get("expired", 0), inventory.count(sku).available) == (0, 2)


def held_payment(deps, inventory):
    """An order whose payment did not match: keys back, money held, due for its refund."""
    placed = deps.store.orders.place_order(an_order(inventory.new_sku(1)))
    change = OrderChange(placed.id, S.PENDING, S.NEEDS_ATTENTION, keys=KeyMove.RETURN, payment_ref="pi_held",
                         reason="amount_mismatch: paid 1 cny, order total 10200 CNY",
                         record=(("paid_amount", 1), ("paid_currency", "CNY")), due_at=START + timedelta(minutes=1))
    return deps.store.orders.apply(change, START)[1]


def test_the_sweeper_refunds_a_held_payment_once(world, inventory):
    deps, gateway, clock = world
    held = held_payment(deps, inventory)
    clock.now = START + timedelta(minutes=2)
    first, second = sweep(deps), sweep(deps)
    refunded = deps.store.orders.order(held.id)
    assert (first["refunded"], second.get("refunded", 0), refunded.status, refunded.refund_id) == (
        1, 0, S.REFUNDED, f"re_{held.id}")
    assert gateway.refunds == [("pi_held", None, held.id)] and sum(entry.amount for entry in deps.store.orders.ledger(held.id)) == 0


def test_a_refund_that_fails_stays_due_and_is_retried(world, inventory):
    deps, gateway, clock = world
    held = held_payment(deps, inventory)
    gateway.down = True
    clock.now = START + timedelta(minutes=2)
    sweep(deps)
    assert (deps.store.orders.order(held.id).status, [o.id for o in deps.store.orders.due_orders(clock.now, 10)]) == (
        S.NEEDS_ATTENTION, [held.id])
    gateway.down = False
    clock.now += timedelta(minutes=1)
    assert (sweep(deps)["refunded"], len(gateway.refunds), deps.store.orders.order(held.id).status) == (1, 2, S.REFUNDED)
