"""The supplier simulator keeps the Supplier port's promises, and misbehaves exactly as configured."""
from __future__ import annotations

import json

import pytest

from kameng.adapters.supplier_simulator import SIGNATURE_HEADER, TIMESTAMP_HEADER, signed_headers
from kameng.domain.errors import InvalidCallback, SupplierRefused, SupplierUnavailable
from kameng.domain.supply import SupplyResult
from tests.supply.conftest import SECRET, card_keys, top_up

# In-process: the HTTP face has its own test file, with a real server.
pytestmark = pytest.mark.usefixtures("no_network")


class CallbackReceiver:
    """What a caller of the port must do with callbacks: verify each, apply a request's delivery once."""

    def __init__(self, supplier) -> None:
        self.supplier = supplier
        self.applied: dict[tuple[str, int], SupplyResult] = {}
        self.keys_received: list[str] = []

    def receive(self, body: bytes, headers: dict[str, str]) -> bool:
        result = self.supplier.verify_callback(body, headers)
        seen = (result.request_id, result.quantity_delivered)
        if seen in self.applied:
            return False
        already = max((n for rid, n in self.applied if rid == result.request_id), default=0)
        self.keys_received += [key.code for key in result.keys[already:]]
        self.applied[seen] = result
        return True


def test_placing_the_same_request_id_twice_buys_once(simulator_with):
    supplier = simulator_with(balance=100_000)
    first = supplier.place(card_keys("r-1", quantity=2))
    again = supplier.place(card_keys("r-1", quantity=2))

    assert again == first
    assert first.status == "delivered" and len(first.keys) == 2
    assert supplier.balance() == 100_000 - 2 * 9200
    assert supplier.catalogue()[0].stock == 48


def test_a_request_id_reused_for_another_order_is_refused(simulator_with):
    supplier = simulator_with()
    supplier.place(card_keys("r-1", quantity=1))

    with pytest.raises(SupplierRefused) as refused:
        supplier.place(card_keys("r-1", quantity=3))
    assert refused.value.reason == "request_id_reused"


def test_a_partial_fill_completes_when_queried_later(simulator_with, clock):
    supplier = simulator_with(partial_rate=1.0, completion_delay=30)
    placed = supplier.place(card_keys("r-1", quantity=4))

    assert placed.status == "pending" and len(placed.keys) == 2
    assert supplier.query("r-1").status == "pending"
    clock.advance(30)
    done = supplier.query("r-1")
    assert done.status == "delivered" and len(done.keys) == 4
    assert done.keys[:2] == placed.keys
    assert done.charged == 4 * 9200


def test_a_direct_top_up_completes_later_with_a_receipt(simulator_with, clock):
    supplier = simulator_with(completion_delay=10)
    assert supplier.place(top_up("t-1")).status == "pending"
    clock.advance(10)
    done = supplier.query("t-1")
    assert done.status == "delivered" and done.receipt and done.charged == 4950


def test_a_top_up_without_its_account_field_is_refused(simulator_with):
    supplier = simulator_with()
    with pytest.raises(SupplierRefused) as refused:
        supplier.place(top_up("t-1", phone=" "))
    assert refused.value.reason == "invalid_account"


def test_duplicate_callbacks_are_applied_once_by_a_caller_that_records_request_ids(simulator_with, clock):
    supplier = simulator_with(partial_rate=1.0, completion_delay=5, duplicate_callbacks=3)
    receiver = CallbackReceiver(supplier)
    supplier.place(card_keys("r-1", quantity=2))
    clock.advance(5)

    callbacks = supplier.take_callbacks()
    applied = [receiver.receive(c.body, c.headers) for c in callbacks]

    assert len(callbacks) == 6 and applied.count(True) == 2
    assert receiver.keys_received == [key.code for key in supplier.query("r-1").keys]


def test_an_unsigned_callback_is_refused(simulator_with):
    supplier = simulator_with()
    supplier.place(card_keys("r-1"))
    callback = supplier.take_callbacks()[0]
    with pytest.raises(InvalidCallback):
        supplier.verify_callback(callback.body, {})


def test_a_forged_callback_is_refused(simulator_with):
    supplier = simulator_with()
    supplier.place(card_keys("r-1"))
    callback = supplier.take_callbacks()[0]
    forged_body = callback.body.replace(b'"SIM-', b'"SIM-F')
    with pytest.raises(InvalidCallback):
        supplier.verify_callback(forged_body, callback.headers)
    with pytest.raises(InvalidCallback):
        supplier.verify_callback(callback.body, signed_headers(b"another secret", supplier.now(), callback.body))


def test_a_callback_older_than_five_minutes_is_refused(simulator_with, clock):
    supplier = simulator_with()
    supplier.place(card_keys("r-1"))
    callback = supplier.take_callbacks()[0]
    clock.advance(4 * 60)
    assert supplier.verify_callback(callback.body, callback.headers).status == "delivered"
    clock.advance(61 + 60)
    with pytest.raises(InvalidCallback):
        supplier.verify_callback(callback.body, callback.headers)


def _resigned(supplier, body: bytes, **changes) -> tuple[bytes, dict[str, str]]:
    data = {**json.loads(body), **changes}
    new_body = json.dumps(data).encode()
    return new_body, signed_headers(SECRET, supplier.now(), new_body)


def test_a_callback_for_a_request_never_placed_is_refused(simulator_with):
    supplier = simulator_with()
    supplier.place(card_keys("r-1"))
    body, headers = _resigned(supplier, supplier.take_callbacks()[0].body, request_id="r-never")
    with pytest.raises(InvalidCallback):
        supplier.verify_callback(body, headers)


@pytest.mark.parametrize("changes", [
    {"amount": 1},                                  # the total does not add up
    {"unit_cost": 100, "amount": 100},              # not what was charged per key
])
def test_a_callback_with_a_wrong_amount_is_refused(simulator_with, changes):
    supplier = simulator_with()
    supplier.place(card_keys("r-1"))
    body, headers = _resigned(supplier, supplier.take_callbacks()[0].body, **changes)
    with pytest.raises(InvalidCallback):
        supplier.verify_callback(body, headers)


def test_callbacks_name_their_signature_headers(simulator_with):
    supplier = simulator_with()
    supplier.place(card_keys("r-1"))
    headers = supplier.take_callbacks()[0].headers
    assert set(headers) == {TIMESTAMP_HEADER, SIGNATURE_HEADER}
    assert len(headers[SIGNATURE_HEADER]) == 64


def test_each_delivery_draws_the_balance_down_and_a_short_balance_is_refused(simulator_with):
    supplier = simulator_with(balance=30_000)
    supplier.place(card_keys("r-1", quantity=3))
    assert supplier.balance() == 30_000 - 3 * 9200

    with pytest.raises(SupplierRefused) as refused:
        supplier.place(card_keys("r-2", quantity=1))
    assert refused.value.reason == "insufficient_balance"
    assert supplier.balance() == 2_400 and supplier.catalogue()[0].stock == 47


def test_a_pending_partial_fill_holds_the_balance_it_will_draw(simulator_with):
    supplier = simulator_with(balance=40_000, partial_rate=1.0, completion_delay=60)
    supplier.place(card_keys("r-1", quantity=4))
    assert supplier.balance() == 40_000 - 2 * 9200
    with pytest.raises(SupplierRefused):
        supplier.place(card_keys("r-2", quantity=1))


def test_an_offer_dearer_than_the_callers_limit_is_refused(simulator_with):
    supplier = simulator_with()
    with pytest.raises(SupplierRefused) as refused:
        supplier.place(card_keys("r-1", max_unit_cost=9000))
    assert refused.value.reason == "price_above_limit"
    assert supplier.balance() == 1_000_000


def test_the_failure_rate_is_honoured_over_many_requests_and_repeats_under_a_seed(simulator_with):
    def outcomes(seed: int) -> list[bool]:
        supplier = simulator_with(products=[], failure_rate=0.3, seed=seed)
        answered = []
        for n in range(1000):
            try:
                supplier.place(card_keys(f"r-{n}"))
            except SupplierUnavailable:
                answered.append(False)
            except SupplierRefused:
                answered.append(True)
        return answered

    first = outcomes(seed=7)
    assert 250 <= first.count(False) <= 350
    assert outcomes(seed=7) == first
    assert outcomes(seed=8) != first


def test_a_timeout_takes_the_order_upstream_and_a_retry_gets_it(simulator_with, clock):
    supplier = simulator_with(timeout_rate=1.0, timeout=5, latency=0.2)
    with pytest.raises(SupplierUnavailable):
        supplier.place(card_keys("r-1", quantity=2))
    assert clock.slept == 5

    late = supplier.query("r-1")
    assert late.status == "delivered" and len(late.keys) == 2
    assert supplier.balance() == 1_000_000 - 2 * 9200


def test_latency_is_spent_on_the_clock_not_in_real_time(simulator_with, clock):
    supplier = simulator_with(latency=1.5)
    supplier.place(card_keys("r-1"))
    supplier.query("r-1")
    assert clock.slept == 3.0


def test_the_catalogue_stock_decreases_with_each_order(simulator_with):
    supplier = simulator_with()
    before = {offer.product_code: offer for offer in supplier.catalogue()}
    supplier.place(card_keys("r-1", quantity=5))
    supplier.place(top_up("t-1"))
    after = {offer.product_code: offer for offer in supplier.catalogue()}

    assert before["steam-100"].stock == 50 and after["steam-100"].stock == 45
    assert after["cmcc-50"].stock is None and after["cmcc-50"].kind == "direct"
    with pytest.raises(SupplierRefused) as refused:
        supplier.place(card_keys("r-2", quantity=46))
    assert refused.value.reason == "out_of_stock"


def test_the_same_seed_delivers_the_same_keys(simulator_with):
    keys = [simulator_with(seed=3).place(card_keys("r-1", quantity=3)).keys for _ in range(2)]
    assert keys[0] == keys[1]
