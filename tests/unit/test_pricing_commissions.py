"""Referral commissions: at most three levels (PRC law, in code), never more than the margin."""
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from kameng.domain.commissions import (
    MAX_REFERRAL_LEVELS,
    ReferralRule,
    commission_exceeds_margin,
    commissions,
)

DEMO = ReferralRule(basis="margin", levels_percent=(Decimal(10), Decimal(5), Decimal(3)),
                    welcome_coupon=500, referrer_reward=200, holding_days=7)


def test_the_cap_is_three_levels():
    assert MAX_REFERRAL_LEVELS == 3


def test_a_fourth_level_is_refused_by_the_model_itself():
    with pytest.raises(ValidationError, match="三级以上多级分销"):
        ReferralRule(levels_percent=(Decimal(4), Decimal(3), Decimal(2), Decimal(1)))


def test_a_level_above_a_hundred_percent_is_refused():
    with pytest.raises(ValidationError, match="0 to 100"):
        ReferralRule(levels_percent=(Decimal(101),))


def test_each_level_earns_its_percentage_of_the_margin():
    # paid 100.00, wholesale 80.00: margin 20.00 → 2.00, 1.00, 0.60
    assert commissions(DEMO, 10000, 8000, referrers=3) == (200, 100, 60)


def test_a_shorter_chain_pays_only_the_referrers_there_are():
    assert commissions(DEMO, 10000, 8000, referrers=1) == (200,)
    assert commissions(DEMO, 10000, 8000, referrers=0) == ()


def test_a_longer_chain_still_pays_three_levels_at_most():
    assert len(commissions(DEMO, 10000, 8000, referrers=10)) == 3


def test_on_the_price_basis_levels_earn_a_share_of_what_was_paid():
    rule = DEMO.model_copy(update={"basis": "price", "levels_percent": (Decimal(2), Decimal(1))})
    assert commissions(rule, 10000, 8000, referrers=2) == (200, 100)


def test_on_the_price_basis_a_thin_margin_caps_the_deepest_level_first():
    rule = DEMO.model_copy(update={"basis": "price"})  # 18 % of 100.00 = 18.00 > margin 5.00
    assert commissions(rule, 10000, 9500, referrers=3) == (500, 0, 0)


def test_an_order_without_margin_pays_no_commission():
    assert commissions(DEMO, 8000, 8000, referrers=3) == (0, 0, 0)


@pytest.mark.parametrize(("basis", "levels", "price", "wholesale", "exceeds"), [
    ("margin", (10, 5, 3), 990, 960, False),
    ("margin", (60, 40), 990, 960, False),
    ("margin", (60, 41), 990, 960, True),
    ("price", (10, 5, 3), 990, 960, True),   # 1.78 > 0.30
    ("price", (1, 1, 1), 990, 960, False),   # 0.297 ≤ 0.30
    ("price", (2, 1), 10000, 9700, False),   # 3.00 = 3.00
])
def test_the_build_check_finds_percentages_that_pay_more_than_the_margin(basis, levels, price, wholesale, exceeds):
    assert commission_exceeds_margin(basis, [Decimal(p) for p in levels], price, wholesale) is exceeds


percents = st.decimals(min_value=0, max_value=100, places=2)


@given(basis=st.sampled_from(["margin", "price"]), levels=st.lists(percents, max_size=3),
       paid=st.integers(0, 10**8), wholesale=st.integers(0, 10**8), referrers=st.integers(0, 20))
def test_commissions_never_exceed_the_margin_nor_three_levels(basis, levels, paid, wholesale, referrers):
    rule = ReferralRule(basis=basis, levels_percent=tuple(levels))
    amounts = commissions(rule, paid, wholesale, referrers)
    assert len(amounts) <= MAX_REFERRAL_LEVELS
    assert all(amount >= 0 for amount in amounts)
    assert sum(amounts) <= max(0, paid - wholesale)


@given(levels=st.lists(percents, min_size=4, max_size=8))
def test_no_rule_with_more_than_three_levels_can_exist(levels):
    with pytest.raises(ValidationError):
        ReferralRule(levels_percent=tuple(levels))


def test_the_cap_holds_even_for_a_rule_built_around_validation():
    # model_construct skips validators: the cap in commissions() still holds.
    rule = ReferralRule.model_construct(basis="margin", levels_percent=(Decimal(1),) * 5, welcome_coupon=0,
                                        referrer_reward=0, holding_days=0)
    assert len(commissions(rule, 10000, 0, referrers=5)) == 3
