"""Orders bought from suppliers where things go wrong between two steps: a process dying after an answer was
kept, a supplier failing part of a top-up, fresh keys taken by another buyer, an owner delivering an order
that is being refunded, a callback body no parser can read. Each ends delivered once or refunded in full."""
from __future__ import annotations

from dataclasses import replace

import pytest

from kameng.domain.errors import InvalidCallback, NotDeliverable
from kameng.domain.order import OrderStatus
from kameng.domain.owners import Owner, Role
from kameng.services import hand_delivery, supply_callbacks, supply_outcome
from kameng.services.supply_outcome import apply_result
from kameng.services.supply_routing import fulfil
from kameng.services.sweeper import sweep
from tests.conftest import WebhookRefused
from tests.supply.fulfilment_world import CARD, TOP_UP, build_world

S = OrderStatus
PHONE = "13800138000"
OWNER = Owner(id="owner-1", email="boss@example.com", role=Role.PLATFORM_OWNER, station=None)
UNTOUCHED = 10**8


@pytest.fixture
def world(deps, stations, clock):
    def make(**kwargs):
        return build_world(deps, stations, clock, **kwargs)
    return make


def test_a_top_up_whose_process_died_after_its_supplier_delivered_is_never_sent_to_another(world, monkeypatch):
    shop = world()

    def dies(*args, **kwargs):
        raise RuntimeError("process killed")

    monkeypatch.setattr(supply_outcome, "finish", dies)
    order = shop.place(TOP_UP, phone=PHONE)
    with pytest.raises(WebhookRefused):
        shop.pay(order)  # sim-a topped the phone up; the process died before the order was marked delivered
    order = shop.order(order.id)
    assert order.status is S.AWAITING_DELIVERY
    assert [(a.supplier, a.status) for a in shop.attempts(order)] == [("sim-a", "delivered")]

    monkeypatch.undo()
    shop.later(seconds=61)
    sweep(shop.deps)
    delivered = shop.order(order.id)
    assert delivered.status is S.DELIVERED and delivered.supply_charges == (("sim-a", 4900),)
    assert [a.supplier for a in shop.attempts(order)] == ["sim-a"]
    assert shop.simulator("sim-b").balance() == UNTOUCHED  # the phone was not topped up a second time
    assert shop.ledger_sum(delivered) == 0


def test_a_top_up_its_supplier_did_in_part_then_failed_is_not_sent_again_in_full(world):
    shop = world(knobs={"sim-a": {"completion_delay": 600}})
    order = shop.buy(TOP_UP, quantity=2, phone=PHONE)
    [attempt] = shop.attempts(order)
    answer = shop.simulator("sim-a").query(attempt.request_id)
    apply_result(order, attempt, replace(answer, quantity_delivered=1, receipt="R-1"), shop.deps)
    [attempt] = shop.attempts(order)
    # The supplier then gives up on the second top-up: one of the two reached the phone.
    assert apply_result(order, attempt, replace(answer, status="failed", quantity_delivered=1), shop.deps) is None
    fulfil(order.id, shop.deps)

    done = shop.order(order.id)
    assert [a.supplier for a in shop.attempts(order)] == ["sim-a"]
    assert shop.simulator("sim-b").balance() == UNTOUCHED
    assert (done.status, done.units_held, done.short, done.short_refunded) == (S.DELIVERED, 1, 1, True)
    assert done.supply_charges == (("sim-a", 4900),) and shop.ledger_sum(done) == 0


def test_a_card_key_order_whose_fresh_keys_another_buyer_took_is_refunded_not_left_waiting(world, monkeypatch):
    shop = world(offers=("sim-a",))
    real_stock = supply_outcome._stock_keys
    taken = []

    def stock_then_sold(*args, **kwargs):
        real_stock(*args, **kwargs)
        taken.append(shop.place(CARD))  # a buyer from stock reserves the key first

    monkeypatch.setattr(supply_outcome, "_stock_keys", stock_then_sold)
    order = shop.buy(CARD)
    monkeypatch.undo()
    assert order.status is S.AWAITING_DELIVERY and taken and taken[0].key_ids
    assert shop.pay(taken[0]).status is S.DELIVERED  # that buyer paid: the key is sold

    shop.later(minutes=6)
    sweep(shop.deps)
    sweep(shop.deps)
    refunded = shop.order(order.id)
    assert refunded.status is S.REFUNDED and refunded.attention_reason.startswith("not_supplied")
    assert shop.ledger_sum(refunded) == 0


def test_an_owner_cannot_mark_delivered_a_supplier_order_waiting_for_its_refund(world, monkeypatch):
    shop = world(knobs={name: {"failure_rate": 1.0} for name in ("sim-a", "sim-b", "sim-c")})

    def down(*args, **kwargs):
        raise ConnectionError("gateway down")

    monkeypatch.setattr(shop.deps.gateway, "refund", down)
    order = shop.buy(TOP_UP, phone=PHONE)
    assert shop.order(order.id).status is S.NEEDS_ATTENTION  # nothing supplied, the refund not taken yet

    with pytest.raises(NotDeliverable):
        hand_delivery.deliver(OWNER, order.id, shop.deps)
    assert shop.order(order.id).status is S.NEEDS_ATTENTION

    monkeypatch.undo()
    shop.later(minutes=2)
    sweep(shop.deps)
    assert shop.order(order.id).status is S.REFUNDED and shop.ledger_sum(shop.order(order.id)) == 0


def test_a_failed_answer_after_a_delivered_one_does_not_undo_the_delivery(world):
    shop = world(knobs={"sim-a": {"completion_delay": 20}})
    order = shop.buy(TOP_UP, phone=PHONE)
    shop.later(seconds=21)
    simulator = shop.simulator("sim-a")
    simulator.settle_all()
    [callback] = simulator.take_callbacks()
    supply_callbacks.receive("sim-a", callback.body, callback.headers, shop.deps)
    [attempt] = shop.attempts(order)

    late = replace(simulator.query(attempt.request_id), status="failed")
    apply_result(shop.order(order.id), attempt, late, shop.deps)
    [kept] = shop.attempts(order)
    assert (kept.status, kept.quantity_applied) == ("delivered", 1)
    assert shop.order(order.id).status is S.DELIVERED


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 50_000], ids=["arrays", "objects"])
def test_a_callback_nested_deeper_than_any_parser_goes_is_refused_not_a_server_error(body):
    from datetime import datetime, timezone

    from kameng.adapters.supplier_http import HttpSupplier
    from kameng.domain.http_supplier import HttpSupplierSpec
    from tests.supply.test_http_supplier import spec_data

    spec = HttpSupplierSpec.model_validate(spec_data("nebula"))
    supplier = HttpSupplier("nebula", spec, b"s3", clock=lambda: datetime(2026, 1, 1, tzinfo=timezone.utc))
    with pytest.raises(InvalidCallback):
        supplier.verify_callback(body, {})


def test_a_reseller_is_told_only_the_top_ups_that_were_done_when_the_rest_came_back_to_its_balance(world):
    from kameng.services import resellers
    from tests.supply.test_wholesale_supply import ORDERS, call

    shop = world(knobs={"sim-a": {"completion_delay": 600}})
    record, secret = resellers.add_reseller(shop.deps, "test", "下游平台", 0)
    resellers.top_up(shop.deps, "test", record.id, 1_000_000, "opening")
    reseller = (record.id, secret.encode())
    body = {"request_id": "r-short", "sku": TOP_UP, "quantity": 2, "max_unit_cost": 10_000,
            "buyer_fields": {"phone": PHONE}}
    placed = call(shop, reseller, "POST", ORDERS, body)
    assert placed["status"] == "pending"
    order = shop.order(placed["order_id"])
    [attempt] = shop.attempts(order)
    half = replace(shop.simulator("sim-a").query(attempt.request_id), quantity_delivered=1, receipt="R-1")
    apply_result(order, attempt, half, shop.deps)
    shop.later(minutes=6)
    sweep(shop.deps)  # one top-up done, the other's share back on the reseller's balance

    told = call(shop, reseller, "POST", ORDERS, body)
    assert told["status"] == "delivered" and told["quantity_delivered"] == 1
    assert shop.deps.store.resellers.balance(record.id)[0] == 1_000_000 - placed["amount"] // 2


def test_callbacks_told_three_times_racing_the_sweeper_deliver_the_keys_once(world):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    shop = world(knobs={"sim-a": {"partial_rate": 1.0, "completion_delay": 20, "duplicate_callbacks": 3}})
    order = shop.buy(CARD, quantity=2)
    assert order.status is S.AWAITING_DELIVERY  # one key came, the other comes later
    shop.later(seconds=91)
    simulator = shop.simulator("sim-a")
    callbacks = simulator.take_callbacks()
    assert len(callbacks) >= 3
    jobs = [lambda c=c: supply_callbacks.receive("sim-a", c.body, c.headers, shop.deps) for c in callbacks]
    jobs += [lambda: sweep(shop.deps), lambda: fulfil(order.id, shop.deps)]
    gate = threading.Barrier(len(jobs))

    def run(job):
        gate.wait()
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        list(pool.map(run, jobs))  # none raises

    delivered = shop.order(order.id)
    assert delivered.status is S.DELIVERED and len(delivered.key_ids) == 2
    stock = shop.deps.store.inventory.stock([CARD])[CARD]
    assert (stock.imported, stock.sold, stock.available, stock.reserved) == (2, 2, 0, 0)
    assert delivered.supply_charges == (("sim-a", 18400),)
    assert [e.memo for e in shop.deps.store.orders.ledger(order.id)].count("supply cost") == 1
    assert shop.ledger_sum(delivered) == 0
