"""成长值: points earned on delivered orders and redeemed into coupons."""
from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from pydantic import BaseModel, ConfigDict, Field

from kameng.domain.money import MINOR_DIGITS


class PointsRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    per_yuan: Decimal = Field(Decimal(1), ge=0)
    """Points per whole major unit paid (per yuan)."""
    redeem_points: int | None = Field(None, ge=1)
    redeem_coupon: int | None = Field(None, ge=1)
    """Minor units: the coupon that `redeem_points` points buy. None: points are not redeemed."""


def points_earned(rule: PointsRule, paid: int) -> int:
    """Points for an amount paid, in minor units; a fraction of a point is never given."""
    earned = Decimal(paid) * rule.per_yuan / 10**MINOR_DIGITS
    return int(earned.to_integral_value(rounding=ROUND_FLOOR))


def redeemable(rule: PointsRule, balance: int) -> tuple[int, int]:
    """(points spent, coupon value in minor units) when redeeming as much of `balance` as whole steps allow."""
    if rule.redeem_points is None or rule.redeem_coupon is None:
        return 0, 0
    steps = max(0, balance) // rule.redeem_points
    return steps * rule.redeem_points, steps * rule.redeem_coupon
