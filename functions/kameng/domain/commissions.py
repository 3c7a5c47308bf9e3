"""Referral commissions (分销): at most three levels, never more than the margin.

PRC law forbids multi-level marketing past three levels (三级以上多级分销), so
the cap lives here, in code, and content cannot raise it.
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kameng.domain.money import percent_of

MAX_REFERRAL_LEVELS = 3

Basis = Literal["margin", "price"]


class ReferralRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    basis: Basis = "margin"
    levels_percent: tuple[Decimal, ...] = ()
    welcome_coupon: int = Field(0, ge=0)
    """Minor units: the invitee's coupon on binding."""
    referrer_reward: int = Field(0, ge=0)
    """Minor units: the referrer's reward on the invitee's first delivered order."""
    holding_days: int = Field(7, ge=0)
    """Commissions become withdrawable this many days after delivery (refunds reverse them before)."""
    min_withdrawal: int = Field(100, ge=1)
    """Minor units: the least a referrer may ask to be paid out at once."""

    @field_validator("levels_percent")
    @classmethod
    def _lawful(cls, levels: tuple[Decimal, ...]) -> tuple[Decimal, ...]:
        check_levels_percent(levels)
        return levels


def check_levels_percent(levels: Sequence[Decimal]) -> None:
    if len(levels) > MAX_REFERRAL_LEVELS:
        raise ValueError(
            f"at most {MAX_REFERRAL_LEVELS} levels: 三级以上多级分销 is not allowed (got {len(levels)})"
        )
    for percent in levels:
        if not 0 <= percent <= 100:
            raise ValueError(f"each level must be a percentage from 0 to 100 (got {percent})")


def commission_exceeds_margin(basis: Basis, levels: Sequence[Decimal], price: int, wholesale: int) -> bool:
    """Whether these percentages, at this unit price, pay out more than the unit's margin."""
    total = sum(levels, Decimal(0))
    if basis == "margin":
        return total > 100
    return total * price > (price - wholesale) * 100


def commissions(rule: ReferralRule, paid: int, wholesale_cost: int, referrers: int) -> tuple[int, ...]:
    """Each referrer's commission on an order, nearest first.

    `paid` is what the shopper paid, `wholesale_cost` the keys' wholesale
    total, `referrers` how many ancestors the buyer has in the referral chain.
    Only the first three ever earn; their sum never exceeds the margin (a level
    discount or coupon can shrink the margin below what the percentages
    assume, and rounding can add a fen): the deepest level gives way first.
    """
    margin = max(0, paid - wholesale_cost)
    basis = margin if rule.basis == "margin" else max(0, paid)
    depth = min(referrers, len(rule.levels_percent), MAX_REFERRAL_LEVELS)
    amounts = [percent_of(basis, percent) for percent in rule.levels_percent[:depth]]
    excess = sum(amounts) - margin
    for index in reversed(range(len(amounts))):
        if excess <= 0:
            break
        cut = min(excess, amounts[index])
        amounts[index] -= cut
        excess -= cut
    return tuple(amounts)
