"""A refund keeps every order's ledger balanced: a delivered sale is negated entry by entry, an undelivered payment nets out."""
from collections import defaultdict

from hypothesis import given
from hypothesis import strategies as st

from kameng.domain.order import KeyMove, OrderStatus, PaymentKind, ledger_for
from kameng.domain.refund import (
    AUTOMATIC_REFUND_FAILURES, refund_again, refund_delivered, refund_failed, refund_undelivered,
    wants_automatic_refund,
)

from .orders import NOW, a_payment, an_order

MAIN = "main"
stations = st.sampled_from([MAIN, "game-zone", "av-club"])
prices = st.integers(min_value=0, max_value=10**9)
quantities = st.integers(min_value=1, max_value=50)


def rows(entries):
    return [(e.account, e.amount, e.currency, e.memo) for e in entries]


def per_account(entries) -> set[int]:
    totals: dict[str, int] = defaultdict(int)
    for account, amount, *_ in entries:
        totals[account] += amount
    return set(totals.values())


@given(station=stations, price=prices, wholesale=prices, quantity=quantities)
def test_a_refunded_sale_nets_to_zero_in_every_account(station, price, wholesale, quantity):
    order = an_order(OrderStatus.DELIVERED, station=station, unit_price=price, unit_wholesale=wholesale, quantity=quantity)
    sale = list(ledger_for(order, MAIN))
    history = rows(sale) + rows(refund_delivered(order, sale, "re_1", "owner").ledger)
    assert sum(r[1] for r in history) == 0 and per_account(history) <= {0}


@given(station=stations, price=prices, wholesale=prices, quantity=quantities)
def test_the_reversal_follows_the_sale_entries(station, price, wholesale, quantity):
    order = an_order(OrderStatus.DELIVERED, station=station, unit_price=price, unit_wholesale=wholesale, quantity=quantity)
    sale = list(ledger_for(order, MAIN))
    change = refund_delivered(order, sale, "re_1", "owner")
    assert (change.ledger_from, change.keys, change.to_status) == (len(sale), KeyMove.FLAG_REFUNDED, OrderStatus.REFUNDED)


@given(paid=st.integers(min_value=1, max_value=10**9), currency=st.sampled_from(["CNY", "USD"]))
def test_an_undelivered_payment_refunded_nets_to_zero(paid, currency):
    order = an_order(OrderStatus.NEEDS_ATTENTION, paid_amount=paid, paid_currency=currency, payment_ref="pi_1",
                     attention_reason="amount_mismatch: paid")
    entries = rows(refund_undelivered(order, "re_1").ledger)
    assert sum(r[1] for r in entries) == 0 and per_account(entries) == {0} and {r[2] for r in entries} == {currency}


def test_only_a_held_payment_with_a_reference_and_no_refund_yet_is_refunded_automatically():
    held = an_order(OrderStatus.NEEDS_ATTENTION, payment_ref="pi_1",
                    attention_reason="paid_after_reservation_lapsed_and_stock_is_gone")
    assert wants_automatic_refund(held)
    assert not wants_automatic_refund(held.model_copy(update={"refund_id": "re_1"}))
    assert not wants_automatic_refund(held.model_copy(update={"payment_ref": None}))
    assert not wants_automatic_refund(held.model_copy(update={"attention_reason": "checked by hand"}))
    assert not wants_automatic_refund(held.model_copy(update={"status": OrderStatus.DELIVERED}))


def a_refund_failure(order, refund_id: str = "re_1"):
    return a_payment(PaymentKind.REFUND_FAILED, order, paid=False, refund_id=refund_id, refund_status="failed",
                     refund_failure="declined")


@given(station=stations, price=prices, wholesale=prices, quantity=quantities)
def test_a_sale_refunded_failed_and_refunded_again_nets_to_zero_in_every_account(station, price, wholesale, quantity):
    order = an_order(OrderStatus.DELIVERED, station=station, unit_price=price, unit_wholesale=wholesale,
                     quantity=quantity, payment_ref="pi_1")
    sale = list(ledger_for(order, MAIN))
    history = rows(sale) + rows(refund_delivered(order, sale, "re_1", "owner").ledger)
    refunded = order.model_copy(update={"status": OrderStatus.REFUNDED, "refund_id": "re_1"})
    failure = refund_failed(refunded, a_refund_failure(refunded), NOW, len(history))
    history += rows(failure.ledger)
    held = refunded.model_copy(update={"status": OrderStatus.NEEDS_ATTENTION, "refund_id": None,
                                       "attention_reason": failure.reason, "refund_failures": 1})
    assert sum(r[1] for r in history) == 0 and wants_automatic_refund(held)
    history += rows(refund_again(held, "re_2", len(history)).ledger)
    assert sum(r[1] for r in history) == 0 and per_account(history) <= {0}


def test_only_the_failure_of_the_refund_the_order_holds_moves_it():
    refunded = an_order(OrderStatus.REFUNDED, payment_ref="pi_1", refund_id="re_2")
    assert refund_failed(refunded, a_refund_failure(refunded, "re_1"), NOW, 0) is None
    assert refund_failed(refunded.model_copy(update={"status": OrderStatus.NEEDS_ATTENTION}),
                         a_refund_failure(refunded, "re_2"), NOW, 0) is None
    assert refund_failed(refunded, a_refund_failure(refunded, "re_2"), NOW, 0).to_status is OrderStatus.NEEDS_ATTENTION


def test_a_failed_refund_is_retried_automatically_only_a_few_times():
    failed = an_order(OrderStatus.NEEDS_ATTENTION, payment_ref="pi_1", attention_reason="refund_failed: re_1 (declined)")
    assert wants_automatic_refund(failed.model_copy(update={"refund_failures": AUTOMATIC_REFUND_FAILURES - 1}))
    assert not wants_automatic_refund(failed.model_copy(update={"refund_failures": AUTOMATIC_REFUND_FAILURES}))
