"""A payment the gateway took is never lost: its webhook is sent until the shop takes it, and the sweeper
asks the gateway about a session before its order lapses."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from kameng.adapters import sandbox_outbox
from kameng.adapters.gateway_sandbox import SandboxGateway

NO_ANSWER = 0


class Killed(BaseException):
    """The process stopped here: no except clause of the code under test runs."""


class Shop:
    """The shop's webhook endpoint as the sandbox reaches it: the scripted answers first (NO_ANSWER: the
    connection is refused), then 200 from the real webhook function for good."""

    def __init__(self, webhook, answers):
        self.webhook = webhook
        self.answers = list(answers)
        self.hits = 0

    def __call__(self, payload: bytes, headers: dict[str, str]) -> None:
        self.hits += 1
        answer = self.answers.pop(0) if self.answers else 200
        if answer == NO_ANSWER:
            raise ConnectionError("connection refused")
        if answer != 200:
            raise RuntimeError(f"the webhook answered {answer}")
        self.webhook(payload, headers)


@pytest.fixture
def shop(deps):
    """Put the shop behind scripted answers: shop(500, 200) answers 500 once, then takes every event."""
    webhook = deps.gateway.send

    def answering(*answers: int) -> Shop:
        endpoint = Shop(webhook, answers)
        deps.gateway.send = endpoint
        return endpoint

    answering.webhook = webhook
    return answering


@pytest.fixture
def lapse(deps, clock, sweep):
    """Let the reservation run out and the scheduled sweeper run."""

    def run_out() -> dict:
        clock.advance(seconds=deps.settings.reservation_ttl.total_seconds() + 1)
        return sweep()

    return run_out


@pytest.fixture
def paid_unheard(stations, sku_with_keys, place, pay, shop):
    """An order paid on the pay page whose webhook could not reach the shop."""

    def run(method: str = "card", quantity: int = 1):
        stocked = sku_with_keys(3)
        placed = place(stations.substation, stocked.sku, quantity)
        shop(NO_ANSWER)
        with pytest.raises(ConnectionError):
            pay(placed, method)
        return placed, stocked

    return run


def state(deps, placed, stocked):
    return deps.store.orders.order(placed.order_id), stocked.stock(), deps.store.orders.ledger(placed.order_id)


def after_every_wait() -> float:
    """A moment past any wait the outbox can have set."""
    return time.time() + sandbox_outbox.LONGEST_WAIT_SECONDS + sandbox_outbox.CLAIM_SECONDS + 1


# ---------------------------------------------------------------- the sweeper asks the gateway


@pytest.mark.parametrize("method", ["card", "alipay"])
def test_a_paid_session_whose_webhook_never_came_is_delivered_by_the_sweeper_instead_of_lapsing(
        paid_unheard, lapse, order_view, method):
    placed, stocked = paid_unheard(method, quantity=2)
    lapse()
    view = order_view(placed)
    assert (view["status"], len(view["keys"]), stocked.stock().sold, stocked.stock().reserved) == ("delivered", 2, 2, 0)


def test_the_sweeper_counts_the_payment_it_found_as_delivered_not_expired(paid_unheard, lapse):
    paid_unheard()
    assert lapse() == {"recovered": 1, "delivered": 1}


def test_a_payment_found_by_the_sweeper_is_booked_like_any_delivery(paid_unheard, lapse, deps):
    placed, _ = paid_unheard()
    lapse()
    order = deps.store.orders.order(placed.order_id)
    assert order.payment_ref and sum(entry.amount for entry in deps.store.orders.ledger(order.id)) == 0


def test_the_shopper_gets_the_delivery_mail_for_a_payment_the_sweeper_found(paid_unheard, lapse, deps):
    placed, _ = paid_unheard()
    lapse()
    assert [mail["To"] for mail in deps.mail.sent()] == ["buyer@example.com"]


def test_two_sweepers_finding_one_payment_deliver_it_once(paid_unheard, deps, clock, sweep):
    placed, stocked = paid_unheard()
    clock.advance(seconds=deps.settings.reservation_ttl.total_seconds() + 1)
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda _: sweep(), range(2)))
    assert (sum(run.get("recovered", 0) for run in runs), stocked.stock().sold, len(deps.mail.sent())) == (1, 1, 1)


@pytest.mark.parametrize("method", ["card", "alipay"])
def test_the_webhook_arriving_after_the_sweeper_applied_the_payment_changes_nothing(
        paid_unheard, lapse, shop, deps, webhook_deliveries, method):
    placed, stocked = paid_unheard(method)
    lapse()
    before = state(deps, placed, stocked)
    shop()
    sent = deps.gateway.resend_due_webhooks(now=after_every_wait())
    assert sent == (2 if method == "alipay" else 1)
    assert [d.response["statusCode"] for d in webhook_deliveries] == [200] * sent
    assert state(deps, placed, stocked) == before and len(deps.mail.sent()) == 1


def test_a_session_still_open_is_lapsed_as_before_and_its_gateway_session_expired(
        stations, sku_with_keys, place, lapse, deps, order_view):
    stocked = sku_with_keys(2)
    placed = place(stations.substation, stocked.sku, 2)
    done = lapse()
    assert (done, order_view(placed)["status"], deps.gateway.session(placed.session_id).status) == (
        {"expired": 1}, "expired", "expired")
    assert (stocked.stock().available, stocked.stock().reserved) == (2, 0)


def test_a_session_whose_payment_failed_is_lapsed(stations, sku_with_keys, place, shop, deps, lapse, order_view):
    stocked = sku_with_keys(1)
    placed = place(stations.substation, stocked.sku)
    shop(NO_ANSWER)
    with pytest.raises(ConnectionError):
        deps.gateway.fail(placed.session_id, "alipay")
    assert (lapse(), order_view(placed)["status"], stocked.stock().available) == ({"expired": 1}, "expired", 1)


def test_the_gateway_answers_for_a_paid_session_as_the_completion_webhook_would(paid_unheard, deps):
    placed, _ = paid_unheard()
    found = deps.gateway.session_payment(placed.session_id)
    assert (found.order_id, found.paid, found.amount, found.currency, found.payment_ref.startswith("pi_")) == (
        placed.order_id, True, placed.total, "CNY", True)


def test_the_gateway_answers_none_for_a_session_that_took_no_money(stations, sku_with_keys, place, deps):
    assert deps.gateway.session_payment(place(stations.substation, sku_with_keys(1).sku).session_id) is None


# ---------------------------------------------------------------- the sandbox sends until the shop takes it


def test_a_webhook_answered_500_is_sent_again_after_its_wait_and_then_no_more(
        stations, sku_with_keys, place, pay, shop, deps, order_view):
    placed = place(stations.substation, sku_with_keys(1).sku)
    endpoint = shop(500)
    with pytest.raises(RuntimeError):
        pay(placed)
    too_soon = deps.gateway.resend_due_webhooks(now=time.time())
    due = deps.gateway.resend_due_webhooks(now=time.time() + sandbox_outbox.FIRST_RETRY_SECONDS + 1)
    assert (too_soon, due, order_view(placed)["status"], endpoint.hits) == (0, 1, "delivered", 2)
    assert (deps.gateway.resend_due_webhooks(now=after_every_wait()), endpoint.hits, deps.gateway.outbox.pending()) == (
        0, 2, [])


def test_each_refusal_waits_twice_as_long_as_the_one_before(stations, sku_with_keys, place, pay, shop, deps):
    placed = place(stations.substation, sku_with_keys(1).sku)
    shop(500, 500, 500)
    with pytest.raises(RuntimeError):
        pay(placed)
    waits = []
    for _ in range(2):
        due = deps.gateway.outbox.pending()[0].next_at
        deps.gateway.resend_due_webhooks(now=due)
        waits.append(deps.gateway.outbox.pending()[0].next_at - due)
    assert waits == [2 * sandbox_outbox.FIRST_RETRY_SECONDS, 4 * sandbox_outbox.FIRST_RETRY_SECONDS]
    assert deps.gateway.outbox.pending()[0].attempts == 3


def test_a_webhook_the_shop_never_takes_is_given_up_after_its_last_attempt(
        stations, sku_with_keys, place, pay, shop, deps):
    placed = place(stations.substation, sku_with_keys(1).sku)
    endpoint = shop(*[500] * (sandbox_outbox.MAX_ATTEMPTS + 5))
    with pytest.raises(RuntimeError):
        pay(placed)
    for _ in range(sandbox_outbox.MAX_ATTEMPTS + 5):
        deps.gateway.resend_due_webhooks(now=deps.gateway.outbox.pending()[0].next_at)
    assert (endpoint.hits, deps.gateway.outbox.pending()[0].attempts) == (
        sandbox_outbox.MAX_ATTEMPTS, sandbox_outbox.MAX_ATTEMPTS)


def test_a_delivered_webhook_is_not_sent_again(stations, sku_with_keys, place, pay, shop, deps):
    endpoint = shop()
    pay(place(stations.substation, sku_with_keys(1).sku), "alipay")
    assert (deps.gateway.resend_due_webhooks(now=after_every_wait()), endpoint.hits) == (0, 2)


def restarted(deps, send) -> SandboxGateway:
    """The sandbox as a new process opens it: the same file, the same secret."""
    return SandboxGateway(deps.gateway.db.path, deps.gateway.pay_base_url, deps.gateway.webhook_secret, send)


def test_a_restarted_sandbox_sends_what_was_pending(paid_unheard, shop, deps, order_view):
    placed, _ = paid_unheard()
    sent = restarted(deps, shop.webhook).resend_due_webhooks(now=time.time() + sandbox_outbox.FIRST_RETRY_SECONDS + 1)
    assert (sent, order_view(placed)["status"]) == (1, "delivered")


def test_a_webhook_of_a_process_killed_before_sending_it_is_sent_after_a_restart(
        stations, sku_with_keys, place, pay, shop, deps, order_view):
    placed = place(stations.substation, sku_with_keys(1).sku)

    def killed(payload, headers):
        raise Killed()

    deps.gateway.send = killed
    with pytest.raises(Killed):
        pay(placed)
    sandbox = restarted(deps, shop.webhook)
    held = sandbox.resend_due_webhooks(now=time.time())
    sent = sandbox.resend_due_webhooks(now=time.time() + sandbox_outbox.CLAIM_SECONDS + 1)
    assert (held, sent, order_view(placed)["status"]) == (0, 1, "delivered")
