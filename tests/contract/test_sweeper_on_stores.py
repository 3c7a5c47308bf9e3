"""The sweeper's promises on every store adapter: lapsed orders give their keys back once unless the gateway says
they were paid, failed refunds are retried."""
from __future__ import annotations

from datetime import timedelta

import pytest

from kameng.adapters.cipher_local import LocalCipher
from kameng.adapters.mail_outbox import OutboxMail
from kameng.deps import Deps, Settings
from kameng.domain.order import Applied, KeyMove, OrderChange, OrderStatus, PaymentEvent, PaymentKind
from kameng.services.order_link import pay_proof
from kameng.services.pay_step import open_pay_page
from kameng.services.refunds import refund_event
from kameng.services.sweeper import sweep

from .store_world import START, an_order

S = OrderStatus


class Gateway:
    """Only what the sweeper asks of a payment gateway, remembered; refunds fail while `down`."""

    rail = "stripe"
    window = None

    def __init__(self):
        self.expired: list[str] = []
        self.refunds: list[tuple] = []
        self.down = False
        self.asked: list[str] = []
        # What each session was paid, as the gateway would tell it when asked.
        self.paid: dict[str, PaymentEvent] = {}

    def expire_session(self, session_id: str) -> None:
        self.expired.append(session_id)

    def refund(self, payment_ref: str, amount: int | None, order_id: str, attempt: int = 0, take_back=None) -> str:
        self.refunds.append((payment_ref, amount, order_id))
        if self.down:
            raise ConnectionError("gateway unreachable")
        return f"re_{order_id}" if not attempt else f"re_{order_id}_{attempt}"

    def session_payment(self, session_id: str) -> PaymentEvent | None:
        self.asked.append(session_id)
        return self.paid.get(session_id)


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
    deps.store.orders.set_payment_session(placed.id, "cs_test_lapsed", "https://pay.example/cs_test_lapsed")
    clock.now = START + timedelta(minutes=16)
    done = sweep(deps)
    counted = inventory.count(sku)
    assert (done["expired"], deps.store.orders.order(placed.id).status, counted.available, counted.reserved) == (1, S.EXPIRED, 3, 0)
    assert gateway.expired == ["cs_test_lapsed"] and inventory.balanced(sku)


def brief_order(deps, inventory, session: str):
    """An order as checkout places it: held briefly, its gateway session and pay page kept."""
    placed = deps.store.orders.place_order(an_order(inventory.new_sku(2), ttl=deps.settings.unopened_hold))
    deps.store.orders.set_payment_session(placed.id, session, f"https://pay.example/{session}")
    return placed


def test_an_order_whose_pay_page_is_never_opened_lapses_when_its_brief_hold_ends(world, inventory):
    deps, gateway, clock = world
    placed = brief_order(deps, inventory, "cs_test_unopened")
    clock.now = START + deps.settings.unopened_hold + timedelta(seconds=1)
    done = sweep(deps)
    counted = inventory.count(placed.sku)
    assert (done["expired"], deps.store.orders.order(placed.id).status, counted.available, counted.reserved) == (1, S.EXPIRED, 2, 0)
    assert gateway.expired == ["cs_test_unopened"]


def test_an_order_whose_pay_page_was_opened_is_held_for_the_whole_reservation(world, inventory):
    deps, _, clock = world
    placed = brief_order(deps, inventory, "cs_test_opened")
    clock.now = START + timedelta(minutes=1)
    assert open_pay_page(placed.id, pay_proof(placed, deps), deps) == "https://pay.example/cs_test_opened"
    clock.now = START + deps.settings.unopened_hold + timedelta(seconds=1)
    assert (sweep(deps).get("expired", 0), inventory.count(placed.sku).reserved) == (0, 1)
    clock.now = START + deps.settings.reservation_ttl + timedelta(seconds=1)
    assert (sweep(deps)["expired"], deps.store.orders.order(placed.id).status) == (1, S.EXPIRED)


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


def paid_at_the_gateway(order, session_id: str, amount: int | None = None) -> PaymentEvent:
    return PaymentEvent(id=f"session_paid:{session_id}", kind=PaymentKind.COMPLETED, order_id=order.id,
                        session_id=session_id, paid=True, amount=order.total if amount is None else amount,
                        currency=order.currency, payment_ref="pi_found")


def test_a_lapsed_order_whose_session_was_paid_is_delivered_not_expired(world, inventory):
    deps, gateway, clock = world
    sku = inventory.new_sku(3)
    placed = deps.store.orders.place_order(an_order(sku, quantity=2))
    deps.store.orders.set_payment_session(placed.id, "cs_test_paid", "https://pay.example/cs_test_paid")
    gateway.paid["cs_test_paid"] = paid_at_the_gateway(placed, "cs_test_paid")
    clock.now = START + timedelta(minutes=16)
    done = sweep(deps)
    delivered = deps.store.orders.order(placed.id)
    counted = inventory.count(sku)
    assert (done, delivered.status, delivered.payment_ref, counted.sold, counted.reserved) == (
        {"recovered": 1, "delivered": 1}, S.DELIVERED, "pi_found", 2, 0)
    assert gateway.expired == [] and inventory.balanced(sku)


def test_a_payment_found_at_the_gateway_is_applied_once(world, inventory):
    deps, gateway, clock = world
    sku = inventory.new_sku(1)
    placed = deps.store.orders.place_order(an_order(sku))
    deps.store.orders.set_payment_session(placed.id, "cs_test_paid", "https://pay.example/cs_test_paid")
    gateway.paid["cs_test_paid"] = paid_at_the_gateway(placed, "cs_test_paid")
    clock.now = START + timedelta(minutes=16)
    sweep(deps)
    assert (sweep(deps), deps.store.orders.event_seen("session_paid:cs_test_paid"), inventory.count(sku).sold) == (
        {}, True, 1)


def test_a_wrong_amount_found_at_the_gateway_is_refunded_not_delivered(world, inventory):
    deps, gateway, clock = world
    sku = inventory.new_sku(1)
    placed = deps.store.orders.place_order(an_order(sku))
    deps.store.orders.set_payment_session(placed.id, "cs_test_short", "https://pay.example/cs_test_short")
    gateway.paid["cs_test_short"] = paid_at_the_gateway(placed, "cs_test_short", amount=1)
    clock.now = START + timedelta(minutes=16)
    done = sweep(deps)
    refunded = deps.store.orders.order(placed.id)
    assert (done, refunded.status, gateway.refunds, inventory.count(sku).available) == (
        {"recovered": 1, "refunded": 1}, S.REFUNDED, [("pi_found", None, placed.id)], 1)


def test_an_order_whose_gateway_cannot_be_asked_lapses_as_before(world, inventory):
    deps, gateway, clock = world
    sku = inventory.new_sku(1)
    placed = deps.store.orders.place_order(an_order(sku))
    deps.store.orders.set_payment_session(placed.id, "cs_test_unknown", "https://pay.example/cs_test_unknown")

    def unreachable(session_id):
        raise ConnectionError("gateway unreachable")

    gateway.session_payment = unreachable
    clock.now = START + timedelta(minutes=16)
    assert (sweep(deps), deps.store.orders.order(placed.id).status) == ({"expired": 1}, S.EXPIRED)


def refund_failure(order, event_id: str = "evt_refund_failed") -> PaymentEvent:
    return PaymentEvent(id=event_id, kind=PaymentKind.REFUND_FAILED, order_id=order.id, session_id=None, paid=False,
                        amount=order.paid_amount, currency=order.currency, payment_ref=order.payment_ref,
                        refund_id=order.refund_id, refund_status="failed", refund_failure="declined")


def test_a_refund_the_gateway_reports_failed_is_asked_for_again_an_hour_later(world, inventory):
    deps, gateway, clock = world
    held = held_payment(deps, inventory)
    clock.now = START + timedelta(minutes=2)
    sweep(deps)
    refunded = deps.store.orders.order(held.id)
    assert refund_event(refund_failure(refunded), deps) is Applied.DONE
    failed = deps.store.orders.order(held.id)
    assert (failed.status, failed.refund_id, failed.refund_failures) == (S.NEEDS_ATTENTION, None, 1)
    assert sweep(deps).get("refunded", 0) == 0
    clock.now += timedelta(hours=1)
    assert sweep(deps)["refunded"] == 1
    again = deps.store.orders.order(held.id)
    assert (again.status, again.refund_id, gateway.refunds[-1]) == (S.REFUNDED, f"re_{held.id}_1", ("pi_held", None, held.id))
    assert sum(entry.amount for entry in deps.store.orders.ledger(held.id)) == 0


def test_the_same_refund_failure_told_twice_moves_the_order_once(world, inventory):
    deps, _, clock = world
    held = held_payment(deps, inventory)
    clock.now = START + timedelta(minutes=2)
    sweep(deps)
    refunded = deps.store.orders.order(held.id)
    first = refund_event(refund_failure(refunded, "evt_refund_updated"), deps)
    second = refund_event(refund_failure(refunded, "evt_refund_failed"), deps)
    assert (first, second, deps.store.orders.order(held.id).refund_failures) == (Applied.DONE, None, 1)
