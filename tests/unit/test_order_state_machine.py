"""The order state machine is a table; a change outside it cannot even be written down."""
from itertools import product

import pytest

from kameng.domain.order import NEXT, OrderChange, OrderStatus

S = OrderStatus
ALLOWED = sorted((a, b) for a, targets in NEXT.items() for b in targets)
REFUSED = sorted((a, b) for a, b in product(OrderStatus, OrderStatus) if b not in NEXT.get(a, set()))


def test_every_status_has_a_row_in_the_table():
    assert set(NEXT) == set(OrderStatus)


@pytest.mark.parametrize(("from_status", "to_status"), REFUSED)
def test_a_transition_outside_the_table_is_refused(from_status, to_status):
    with pytest.raises(ValueError):
        OrderChange("01JNM8Z4Y6T3K2Q9W7E5R1V0XB", from_status, to_status)


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_a_transition_in_the_table_can_be_asked_for(from_status, to_status):
    assert OrderChange("01JNM8Z4Y6T3K2Q9W7E5R1V0XB", from_status, to_status).to_status is to_status


def test_no_order_ever_goes_back_to_pending():
    assert all(S.PENDING not in targets for targets in NEXT.values())


def test_a_refund_is_final_unless_the_gateway_reports_it_failed():
    assert NEXT[S.REFUNDED] == {S.NEEDS_ATTENTION}


def test_a_delivered_order_can_only_be_refunded():
    # Its keys are sold and shown: it can never be expired, failed or sold again.
    assert NEXT[S.DELIVERED] == {S.REFUNDED}


def test_an_order_is_delivered_only_after_payment_or_review():
    # awaiting_delivery is entered only by a payment: its goods come from a supplier or the owner's hand.
    assert {a for a, targets in NEXT.items() if S.DELIVERED in targets} == {S.PAID, S.AWAITING_DELIVERY, S.NEEDS_ATTENTION}
    assert {a for a, targets in NEXT.items() if S.AWAITING_DELIVERY in targets} == {S.PENDING, S.EXPIRED, S.FAILED}


def test_no_status_moves_to_itself():
    assert all(status not in targets for status, targets in NEXT.items())
