"""Coupon rules and points (成长值): what they take off and give, exactly."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from kameng.domain.coupons import CouponNotApplicable, CouponRule, coupon_discount
from kameng.domain.points import PointsRule, points_earned, redeemable

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


def test_a_fixed_coupon_takes_its_amount_off():
    assert coupon_discount(CouponRule(code="W5", kind="fixed", amount=500), 9900, "qq-coin", NOW) == 500


def test_a_fixed_coupon_never_takes_off_more_than_the_amount():
    assert coupon_discount(CouponRule(code="W5", kind="fixed", amount=500), 300, "qq-coin", NOW) == 300


def test_a_percent_coupon_rounds_half_up():
    assert coupon_discount(CouponRule(code="P", kind="percent", percent=Decimal(5)), 1050, "qq-coin", NOW) == 53


@pytest.mark.parametrize(("rule", "reason"), [
    (CouponRule(code="M", kind="fixed", amount=100, min_spend=10000), "coupon_min_spend"),
    (CouponRule(code="S", kind="fixed", amount=100, products=("steam-wallet",)), "coupon_scope"),
    (CouponRule(code="E", kind="fixed", amount=100, ends=NOW), "coupon_expired"),
    (CouponRule(code="F", kind="fixed", amount=100, starts=datetime(2027, 1, 1, tzinfo=timezone.utc)),
     "coupon_expired"),
])
def test_a_coupon_outside_its_rule_does_not_apply(rule, reason):
    with pytest.raises(CouponNotApplicable) as refused:
        coupon_discount(rule, 9900, "qq-coin", NOW)
    assert refused.value.reason == reason


@pytest.mark.parametrize("fields", [
    {"kind": "fixed"}, {"kind": "percent"}, {"kind": "percent", "percent": 101},
    {"kind": "fixed", "amount": 1, "starts": NOW, "ends": NOW},
])
def test_a_coupon_rule_without_a_sensible_shape_is_refused(fields):
    with pytest.raises(ValidationError):
        CouponRule(code="X", **fields)


def test_points_are_earned_per_whole_yuan():
    assert points_earned(PointsRule(per_yuan=Decimal(1)), 9990) == 99
    assert points_earned(PointsRule(per_yuan=Decimal("1.5")), 1000) == 15
    assert points_earned(PointsRule(per_yuan=Decimal(0)), 10**6) == 0


def test_points_redeem_in_whole_steps():
    rule = PointsRule(redeem_points=100, redeem_coupon=100)
    assert redeemable(rule, 250) == (200, 200)
    assert redeemable(rule, 99) == (0, 0)


def test_without_a_redeem_rate_points_do_not_redeem():
    assert redeemable(PointsRule(), 10**6) == (0, 0)
