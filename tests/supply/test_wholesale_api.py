"""The wholesale API (货源对接) at the handlers: a reseller's signed requests buy the main station's keys
from its prepaid balance, once per request id; anything unsigned, forged, stale or replayed is refused."""
from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest

from kameng.domain.wholesale import answer_is_genuine, request_headers
from kameng.handlers import wholesale as handlers
from kameng.services import resellers
from tests.conftest import build_api_event

ORDERS = "/api/wholesale/orders"


@pytest.fixture(autouse=True)
def _in_process(no_network):
    yield


class Reseller:
    def __init__(self, deps, clock, name: str = "下游平台", credit_limit: int = 0, balance: int = 100_000):
        record, secret = resellers.add_reseller(deps, "test", name, credit_limit)
        self.id, self.secret, self.deps, self.clock = record.id, secret.encode(), deps, clock
        if balance:
            resellers.top_up(deps, "test", self.id, balance, "opening")

    def event(self, method: str, path: str, body: dict | None = None, *, secret: bytes | None = None,
              nonce: str | None = None, skew: float = 0, reseller_id: str | None = None,
              params: dict | None = None) -> dict:
        data = b"" if body is None else json.dumps(body).encode()
        headers = request_headers(reseller_id or self.id, secret or self.secret, method, path, data,
                                  self.clock() + timedelta(seconds=skew), nonce)
        if body is not None:
            headers["content-type"] = "application/json"
        return build_api_event(method, path, body=data.decode() if body is not None else None, headers=headers,
                               path_params=params)

    def order(self, request_id: str, sku: str, quantity: int = 1, max_unit_cost: int = 100_000, **signing) -> dict:
        body = {"request_id": request_id, "sku": sku, "quantity": quantity, "max_unit_cost": max_unit_cost}
        return handlers.place_order(self.event("POST", ORDERS, body, **signing))

    def lookup(self, request_id: str) -> dict:
        path = f"{ORDERS}/{request_id}"
        return handlers.get_order(self.event("GET", path, params={"request_id": request_id}))

    def balance(self) -> int:
        return self.deps.store.resellers.balance(self.id)[0]


def answer(response: dict) -> dict:
    return json.loads(response["body"])


def reason(response: dict) -> tuple[int, str, str | None]:
    error = answer(response)["error"]
    return response["statusCode"], error["code"], error.get("reason")


def orders_of(deps, reseller: Reseller) -> list:
    return [order for order in deps.store.orders.recent_orders(100) if reseller.id in order.email]


@pytest.fixture
def reseller(deps, clock, stations):
    return Reseller(deps, clock)


def test_an_order_is_delivered_with_its_keys_and_charged_at_the_wholesale_price(deps, reseller, sku_with_keys):
    stocked = sku_with_keys(5, wholesale=9500)

    response = reseller.order("req-1", stocked.sku, quantity=2)

    assert response["statusCode"] == 200
    placed = answer(response)
    assert placed["status"] == "delivered"
    assert {key["code"] for key in placed["keys"]} <= set(stocked.codes) and len(placed["keys"]) == 2
    assert (placed["unit_cost"], placed["amount"]) == (9500, 19000)
    assert reseller.balance() == 100_000 - 19000
    assert stocked.stock().sold == 2


def test_the_answer_is_signed_for_the_request_that_asked(deps, clock, reseller, sku_with_keys):
    stocked = sku_with_keys(2)
    response = reseller.order("req-1", stocked.sku, nonce="nonce-of-this-request-1")

    body = response["body"].encode()
    assert answer_is_genuine(reseller.secret, 200, ORDERS, "nonce-of-this-request-1", body, response["headers"], clock())
    assert not answer_is_genuine(reseller.secret, 200, ORDERS, "another-request-nonce", body, response["headers"], clock())
    assert not answer_is_genuine(b"another secret", 200, ORDERS, "nonce-of-this-request-1", body, response["headers"],
                                 clock())


def test_the_same_request_id_again_gives_the_same_keys_and_charges_once(deps, reseller, sku_with_keys):
    stocked = sku_with_keys(5)
    first = answer(reseller.order("req-1", stocked.sku))
    again = answer(reseller.order("req-1", stocked.sku))
    looked_up = answer(reseller.lookup("req-1"))

    assert first["keys"] == again["keys"] == looked_up["keys"]
    assert first["order_id"] == again["order_id"] == looked_up["order_id"]
    assert reseller.balance() == 100_000 - stocked.wholesale
    assert len(orders_of(deps, reseller)) == 1


def test_eight_racing_requests_of_one_id_buy_one_order_with_one_debit(deps, reseller, sku_with_keys):
    stocked = sku_with_keys(10)
    barrier = threading.Barrier(8)
    answers = []

    def send() -> None:
        event = reseller.event("POST", ORDERS, {"request_id": "race", "sku": stocked.sku, "quantity": 1,
                                                "max_unit_cost": 100_000})
        barrier.wait()
        answers.append(handlers.place_order(event))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {response["statusCode"] for response in answers} == {200}
    assert len({answer(response)["order_id"] for response in answers}) == 1
    assert len(orders_of(deps, reseller)) == 1
    assert reseller.balance() == 100_000 - stocked.wholesale
    assert stocked.stock().available == 9
    assert answer(reseller.lookup("race"))["status"] == "delivered"


def test_a_request_with_another_secret_is_refused_and_charges_nothing(deps, reseller, sku_with_keys):
    stocked = sku_with_keys(2)

    response = reseller.order("req-1", stocked.sku, secret=b"kws_guessed")

    assert reason(response) == (401, "reseller_unauthorized", "bad_signature")
    assert reseller.balance() == 100_000
    assert orders_of(deps, reseller) == []


def test_an_unknown_reseller_and_an_unsigned_request_are_refused(reseller, sku_with_keys):
    stocked = sku_with_keys(1)
    assert reason(reseller.order("req-1", stocked.sku, reseller_id="rnobody"))[:2] == (401, "reseller_unauthorized")
    unsigned = build_api_event("GET", "/api/wholesale/balance")
    assert reason(handlers.get_balance(unsigned)) == (401, "reseller_unauthorized", "unsigned")


def test_a_replayed_request_is_refused(reseller, sku_with_keys):
    event = reseller.event("GET", "/api/wholesale/balance")
    assert handlers.get_balance(event)["statusCode"] == 200
    assert reason(handlers.get_balance(event)) == (401, "reseller_unauthorized", "replayed_nonce")


def test_a_request_signed_more_than_five_minutes_off_is_refused(reseller):
    stale = reseller.event("GET", "/api/wholesale/balance", skew=-301)
    early = reseller.event("GET", "/api/wholesale/balance", skew=301)
    assert reason(handlers.get_balance(stale)) == (401, "reseller_unauthorized", "stale_timestamp")
    assert reason(handlers.get_balance(early)) == (401, "reseller_unauthorized", "stale_timestamp")
    assert handlers.get_balance(reseller.event("GET", "/api/wholesale/balance", skew=-290))["statusCode"] == 200


def test_an_order_past_balance_and_credit_is_refused_without_an_order(deps, clock, stations, sku_with_keys):
    stocked = sku_with_keys(3, wholesale=9500)
    poor = Reseller(deps, clock, credit_limit=5000, balance=4000)

    response = poor.order("req-1", stocked.sku)

    assert reason(response)[:2] == (402, "insufficient_balance")
    assert poor.balance() == 4000
    assert orders_of(deps, poor) == []
    assert stocked.stock().available == 3


def test_credit_lets_the_balance_go_below_zero_as_far_as_the_limit(deps, clock, stations, sku_with_keys):
    stocked = sku_with_keys(3, wholesale=9500)
    trusted = Reseller(deps, clock, credit_limit=5500, balance=4000)

    assert answer(trusted.order("req-1", stocked.sku))["status"] == "delivered"
    assert trusted.balance() == -5500


@pytest.mark.parametrize("change, expected", [
    ({"sku": "no-such-sku"}, "unknown_sku"),
    ({"max_unit_cost": 9499}, "price_above_max"),
    ({"quantity": 6}, "quantity_out_of_range"),
])
def test_an_order_the_upstream_will_not_take_is_refused_with_its_reason(reseller, sku_with_keys, change, expected):
    stocked = sku_with_keys(10, wholesale=9500, max_quantity=5)
    fields = {"sku": stocked.sku, "quantity": 1, "max_unit_cost": 9500} | change

    response = reseller.order("req-1", **fields)

    assert reason(response) == (422, "wholesale_refused", expected)
    assert reseller.balance() == 100_000
    assert reseller.deps.store.resellers.charge_of(reseller.id, "req-1") is None


def test_out_of_stock_gives_the_charge_back(deps, reseller, sku_with_keys):
    stocked = sku_with_keys(1)

    response = reseller.order("req-1", stocked.sku, quantity=2)

    assert reason(response) == (422, "wholesale_refused", "out_of_stock")
    assert reseller.balance() == 100_000
    assert reason(reseller.lookup("req-1")) == (422, "wholesale_refused", "out_of_stock")
    assert stocked.stock().available == 1


def test_another_resellers_request_id_is_not_found(deps, clock, reseller, sku_with_keys):
    stocked = sku_with_keys(2)
    reseller.order("req-1", stocked.sku)
    other = Reseller(deps, clock, name="另一个平台")

    response = other.lookup("req-1")

    assert reason(response)[:2] == (404, "not_found")
    assert response["headers"].get("x-kameng-signature")


def test_the_catalogue_and_balance_feeds(reseller, sku_with_keys):
    stocked = sku_with_keys(4, wholesale=9300)
    catalogue = answer(handlers.get_catalogue(reseller.event("GET", "/api/wholesale/catalogue")))
    offer = next(offer for offer in catalogue["offers"] if offer["sku"] == stocked.sku)
    assert (offer["unit_cost"], offer["stock"], offer["currency"]) == (9300, 4, "CNY")

    balance = answer(handlers.get_balance(reseller.event("GET", "/api/wholesale/balance")))
    assert balance == {"balance": 100_000, "credit_limit": 0, "available": 100_000, "currency": "CNY"}


def test_a_request_id_used_for_another_sku_is_refused(reseller, sku_with_keys):
    first, second = sku_with_keys(2), sku_with_keys(2)
    reseller.order("req-1", first.sku)

    assert reason(reseller.order("req-1", second.sku)) == (422, "wholesale_refused", "request_id_reused")
    assert reason(reseller.order("req-1", first.sku, quantity=2)) == (422, "wholesale_refused", "request_id_reused")
    assert second.stock().available == 2
    assert reseller.balance() == 100_000 - first.wholesale


def test_a_charge_whose_order_was_never_placed_is_finished_by_the_retry(deps, clock, reseller, sku_with_keys):
    """As if the process died between the charge and placing the order."""
    from kameng.domain.ids import new_id
    from kameng.domain.wholesale import ResellerCharge

    stocked = sku_with_keys(3)
    deps.store.resellers.charge(ResellerCharge(reseller.id, "req-1", stocked.sku, 2, 2 * stocked.wholesale,
                                               new_id(clock()), clock()))

    looked_up = answer(reseller.lookup("req-1"))
    retried = answer(reseller.order("req-1", stocked.sku, quantity=2))

    assert looked_up["status"] == retried["status"] == "delivered"
    assert looked_up["keys"] == retried["keys"] and len(retried["keys"]) == 2
    assert reseller.balance() == 100_000 - 2 * stocked.wholesale
    assert len(orders_of(deps, reseller)) == 1
