"""The sandbox's refund behaves like Stripe's: idempotent per order and amount."""
import pytest


def test_a_repeated_refund_returns_the_first_refund(deps):
    first = deps.gateway.refund("pi_1", 500, "ORDER1")
    assert deps.gateway.refund("pi_1", 500, "ORDER1") == first
    assert deps.gateway.refund("pi_1", None, "ORDER1") != first
    assert deps.gateway.refund("pi_1", 500, "ORDER2") != first


def test_a_refund_of_nothing_is_refused(deps):
    with pytest.raises(ValueError):
        deps.gateway.refund("pi_1", 0, "ORDER1")
