"""Opening the pay page holds a pending order's keys for the whole reservation from checkout, and nothing else."""
from __future__ import annotations

from datetime import timedelta

import pytest

from kameng.domain.order import KeyMove, OrderChange, OrderStatus, hold_for_payment

from .orders import NOW, an_order

S = OrderStatus
BRIEF, RESERVATION = timedelta(minutes=3), timedelta(minutes=15)


def brief_order(status: OrderStatus = S.PENDING):
    return an_order(status, expires_at=NOW + BRIEF, due_at=NOW + BRIEF)


def test_the_hold_runs_the_whole_reservation_from_checkout():
    change = hold_for_payment(brief_order(), RESERVATION, NOW + timedelta(minutes=2))
    assert (change.from_status, change.to_status, change.keys) == (S.PENDING, S.PENDING, KeyMove.NONE)
    assert (change.reservation_expires_at, change.due_at) == (NOW + RESERVATION, NOW + RESERVATION)


def test_the_hold_sets_the_reservation_and_the_sweepers_due_time():
    fields = hold_for_payment(brief_order(), RESERVATION, NOW).order_fields(NOW)
    assert (fields["status"], fields["expires_at"], fields["due_at"]) == (S.PENDING, NOW + RESERVATION, NOW + RESERVATION)


@pytest.mark.parametrize("status", [s for s in S if s is not S.PENDING])
def test_an_order_no_longer_pending_is_not_held(status):
    assert hold_for_payment(brief_order(status), RESERVATION, NOW) is None


def test_a_reservation_that_lapsed_is_not_held_again():
    assert hold_for_payment(brief_order(), RESERVATION, NOW + BRIEF) is None


def test_a_held_order_is_not_held_twice():
    order = brief_order()
    held = order.model_copy(update={"expires_at": NOW + RESERVATION, "due_at": NOW + RESERVATION})
    assert hold_for_payment(held, RESERVATION, NOW + timedelta(minutes=5)) is None


def test_a_change_that_stays_pending_must_move_only_the_reservation():
    with pytest.raises(ValueError):
        OrderChange("01JNM8Z4Y6T3K2Q9W7E5R1V0XB", S.PENDING, S.PENDING, keys=KeyMove.RETURN, reservation_expires_at=NOW)


def test_no_other_status_may_stay_where_it_is():
    with pytest.raises(ValueError):
        OrderChange("01JNM8Z4Y6T3K2Q9W7E5R1V0XB", S.PAID, S.PAID, reservation_expires_at=NOW)


def test_a_change_that_would_move_the_reservation_back_repeats_one_already_made():
    order = brief_order().model_copy(update={"expires_at": NOW + RESERVATION})
    sooner = OrderChange(order.id, S.PENDING, S.PENDING, reservation_expires_at=NOW + timedelta(minutes=10))
    assert sooner.repeats(order) and not hold_for_payment(brief_order(), RESERVATION, NOW).repeats(brief_order())
