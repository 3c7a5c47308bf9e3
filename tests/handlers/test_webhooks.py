"""POST /api/webhooks/stripe: verified before it is read, applied once per event, in any order."""
from __future__ import annotations

import time

import pytest

COMPLETED_PAID = "stripe_checkout_session_completed_paid"
COMPLETED_UNPAID = "stripe_checkout_session_completed_unpaid"
ASYNC_SUCCEEDED = "stripe_checkout_session_async_payment_succeeded"
ASYNC_FAILED = "stripe_checkout_session_async_payment_failed"
EXPIRED = "stripe_checkout_session_expired"


@pytest.fixture
def stocked(sku_with_keys):
    return sku_with_keys(5)


@pytest.fixture
def pending(stations, stocked, place):
    return place(stations.substation, stocked.sku, 2)


def state(deps, placed, stocked, event_id: str):
    """Everything a webhook may change: the order, the stock, the ledger, the record of processed events."""
    return (deps.store.orders.order(placed.order_id), stocked.stock(), deps.store.orders.ledger(placed.order_id), deps.store.orders.event_seen(event_id))


# ---------------------------------------------------------------- the same event again and again


def test_a_signed_payment_event_delivers_the_order(pending, payment_event, deliver_webhook, order_view):
    response = deliver_webhook(payment_event(pending, COMPLETED_PAID))
    assert (response.status, order_view(pending)["status"]) == (200, "delivered")


def test_the_same_event_three_times_delivers_once(pending, stocked, payment_event, deliver_webhook, deps):
    event = payment_event(pending, COMPLETED_PAID)
    statuses = [deliver_webhook(event).status for _ in range(3)]
    accounts = [entry.account for entry in deps.store.orders.ledger(pending.order_id)]
    assert statuses == [200] * 3 and stocked.stock().sold == 2 and len(accounts) == len(set(accounts))


def test_a_repeated_event_is_acknowledged_as_a_duplicate(pending, payment_event, deliver_webhook):
    event = payment_event(pending, COMPLETED_PAID)
    deliver_webhook(event)
    assert deliver_webhook(event).json["outcome"] == "duplicate"


def test_the_stock_equation_holds_after_repeated_events(pending, stocked, payment_event, deliver_webhook):
    event = payment_event(pending, COMPLETED_PAID)
    for _ in range(3):
        deliver_webhook(event)
    counted = stocked.stock()
    assert counted.available + counted.reserved + counted.sold + counted.void == stocked.imported


def test_a_repeat_shows_the_same_keys_as_the_first_delivery(pending, payment_event, deliver_webhook, order_view):
    event = payment_event(pending, COMPLETED_PAID)
    deliver_webhook(event)
    first = order_view(pending)["keys"]
    deliver_webhook(event)
    assert order_view(pending)["keys"] == first


def test_the_same_event_delivered_concurrently_delivers_once(pending, stocked, payment_event, deliver_webhook):
    from concurrent.futures import ThreadPoolExecutor

    event = payment_event(pending, COMPLETED_PAID)
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: deliver_webhook(event).status, range(8)))
    assert statuses == [200] * 8 and (stocked.stock().sold, stocked.stock().reserved) == (2, 0)


def test_a_second_success_event_for_a_paid_order_changes_nothing(pending, stocked, payment_event, deliver_webhook, deps):
    deliver_webhook(payment_event(pending, COMPLETED_PAID))
    second = payment_event(pending, ASYNC_SUCCEEDED)
    before = state(deps, pending, stocked, second["id"])
    deliver_webhook(second)
    assert state(deps, pending, stocked, second["id"])[:3] == before[:3]


# ---------------------------------------------------------------- out of order


def test_async_success_before_the_unpaid_completion_delivers(pending, payment_event, deliver_webhook, order_view):
    deliver_webhook(payment_event(pending, ASYNC_SUCCEEDED))
    deliver_webhook(payment_event(pending, COMPLETED_UNPAID))
    assert order_view(pending)["status"] == "delivered"


def test_the_unpaid_completion_arriving_late_keeps_the_delivered_keys(pending, payment_event, deliver_webhook, order_view):
    deliver_webhook(payment_event(pending, ASYNC_SUCCEEDED))
    keys = order_view(pending)["keys"]
    deliver_webhook(payment_event(pending, COMPLETED_UNPAID))
    assert order_view(pending)["keys"] == keys


def test_the_unpaid_completion_alone_leaves_the_order_pending(pending, stocked, payment_event, deliver_webhook, order_view):
    deliver_webhook(payment_event(pending, COMPLETED_UNPAID))
    assert (order_view(pending)["status"], stocked.stock().reserved) == ("pending", 2)


def test_an_expiry_arriving_after_payment_does_not_take_the_keys_back(pending, stocked, payment_event, deliver_webhook, order_view):
    deliver_webhook(payment_event(pending, COMPLETED_PAID))
    deliver_webhook(payment_event(pending, EXPIRED))
    assert (order_view(pending)["status"], len(order_view(pending)["keys"]), stocked.stock().sold) == ("delivered", 2, 2)


def test_a_failure_arriving_after_payment_does_not_take_the_keys_back(pending, stocked, payment_event, deliver_webhook, order_view):
    deliver_webhook(payment_event(pending, ASYNC_SUCCEEDED))
    deliver_webhook(payment_event(pending, ASYNC_FAILED))
    assert (order_view(pending)["status"], stocked.stock().sold) == ("delivered", 2)


def test_an_expiry_event_returns_a_pending_orders_keys(pending, stocked, payment_event, deliver_webhook):
    deliver_webhook(payment_event(pending, EXPIRED))
    assert (stocked.stock().available, stocked.stock().reserved) == (5, 0)


def test_an_async_failure_returns_a_pending_orders_keys(pending, stocked, payment_event, deliver_webhook, order_view):
    deliver_webhook(payment_event(pending, COMPLETED_UNPAID))
    deliver_webhook(payment_event(pending, ASYNC_FAILED))
    assert (order_view(pending)["status"], stocked.stock().available) == ("failed", 5)


def test_an_event_for_an_unknown_order_is_acknowledged_and_changes_nothing(stocked, deliver_webhook, events):
    event = events.stripe(COMPLETED_PAID, order_id="01JNM8Z4Y6T3K2Q9W7E5R1V0XB", amount=10500)
    response = deliver_webhook(event)
    assert (response.status, stocked.stock().available) == (200, 5)


def test_an_event_of_a_type_the_shop_does_not_use_is_acknowledged(pending, payment_event, deliver_webhook, order_view):
    event = payment_event(pending, COMPLETED_PAID)
    event["type"] = "payment_intent.succeeded"
    assert (deliver_webhook(event).status, order_view(pending)["status"]) == (200, "pending")


# ---------------------------------------------------------------- verified before it is read


@pytest.fixture
def unverifiable(deliver_webhook, events, deps):
    """Ways a webhook fails verification, by name; each posts the given event."""
    secret = deps.gateway.webhook_secret

    def altered_after_signing(event):
        # An attacker replays a real "unpaid" event with the status flipped to "paid".
        event["data"]["object"]["payment_status"] = "unpaid"
        payload = events.encode(event)
        altered = payload.replace(b'"payment_status":"unpaid"', b'"payment_status":"paid"')
        assert altered != payload
        return deliver_webhook(altered, signature=events.sign(payload, secret))

    return {
        "forged": lambda event: deliver_webhook(event, secret="whsec_" + "0" * 48),
        "stale": lambda event: deliver_webhook(event, timestamp=int(time.time()) - 301),
        "missing_header": lambda event: deliver_webhook(event, signature=False),
        "empty_header": lambda event: deliver_webhook(event, signature=""),
        "garbage_header": lambda event: deliver_webhook(event, signature="t=abc,v1=zz"),
        "altered_after_signing": altered_after_signing,
        "signed_for_another_body": lambda event: deliver_webhook(
            event, signature=events.sign(events.encode({**event, "id": "evt_other"}), secret)),
    }


UNVERIFIABLE = ["forged", "stale", "missing_header", "empty_header", "garbage_header", "altered_after_signing",
                "signed_for_another_body"]


@pytest.mark.parametrize("way", UNVERIFIABLE)
def test_an_unverifiable_webhook_is_refused_as_invalid_signature(pending, payment_event, unverifiable, way):
    response = unverifiable[way](payment_event(pending, COMPLETED_PAID))
    assert (response.status, response.error["code"]) == (400, "invalid_signature")


@pytest.mark.parametrize("way", UNVERIFIABLE)
def test_an_unverifiable_webhook_changes_nothing(pending, stocked, payment_event, unverifiable, deps, way):
    event = payment_event(pending, COMPLETED_PAID)
    before = state(deps, pending, stocked, event["id"])
    unverifiable[way](event)
    assert state(deps, pending, stocked, event["id"]) == before


def test_a_signature_within_the_tolerance_is_accepted(pending, payment_event, deliver_webhook):
    assert deliver_webhook(payment_event(pending, COMPLETED_PAID), timestamp=int(time.time()) - 240).status == 200


def test_a_signed_body_that_is_not_an_event_is_a_bad_request_not_a_crash(deliver_webhook):
    response = deliver_webhook(b'{"object":"event","data":[]}')
    assert (response.status, response.error["code"]) == (400, "invalid_request")


# ---------------------------------------------------------------- the money must match


def test_a_payment_of_the_wrong_amount_is_not_delivered_but_refunded(pending, payment_event, deliver_webhook, order_view):
    deliver_webhook(payment_event(pending, COMPLETED_PAID, amount=pending.total - 1))
    view = order_view(pending)
    assert (view["status"], view["keys"]) == ("refunded", [])


def test_a_payment_of_the_wrong_amount_needs_attention_while_the_gateway_cannot_refund(
        pending, payment_event, deliver_webhook, order_view, deps, monkeypatch):
    def down(*args):
        raise ConnectionError("gateway unreachable")

    monkeypatch.setattr(deps.gateway, "refund", down)
    deliver_webhook(payment_event(pending, COMPLETED_PAID, amount=pending.total - 1))
    view = order_view(pending)
    assert (view["status"], view["keys"]) == ("needs_attention", [])


def test_a_payment_in_the_wrong_currency_is_not_delivered_but_refunded(pending, payment_event, deliver_webhook, order_view):
    deliver_webhook(payment_event(pending, COMPLETED_PAID, currency="usd"))
    assert order_view(pending)["status"] == "refunded"


def test_a_payment_of_the_wrong_amount_returns_the_keys_to_stock(pending, stocked, payment_event, deliver_webhook):
    deliver_webhook(payment_event(pending, COMPLETED_PAID, amount=1))
    assert (stocked.stock().available, stocked.stock().sold) == (5, 0)


def test_a_payment_of_the_wrong_amount_is_kept_for_review(pending, payment_event, deliver_webhook, deps):
    event = payment_event(pending, COMPLETED_PAID, amount=1)
    deliver_webhook(event)
    order = deps.store.orders.order(pending.order_id)
    assert order.payment_ref == event["data"]["object"]["payment_intent"] and order.attention_reason
