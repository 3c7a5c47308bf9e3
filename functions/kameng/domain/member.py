"""A shopper's standing at one station: spend (their level), points, referral chain, earnings, coupons.

The store keeps these as counters and records that move in the same
transaction as the order that moves them: delivery adds, a refund takes the
same amounts back. Everything here is decided from what was read; the store's
conditions make a decision taken on a stale read fail instead of count twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from kameng.domain.commissions import MAX_REFERRAL_LEVELS
from kameng.domain.coupons import CouponRule

# A coupon given to one shopper (welcome, referral reward, points) stays usable this long.
PERSONAL_COUPON_DAYS = 90


class Member(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    station: str
    shopper_key: str
    spend: int = 0
    """Delivered spend net of refunds, in minor units: decides the level."""
    points: int = 0
    """May go below zero when a refund claws back points already redeemed."""
    orders: int = 0
    """Orders ever delivered (a refund does not make a shopper new again)."""
    referral_code: str | None = None
    referrer: str | None = None
    ancestors: tuple[str, ...] = ()
    """The referral chain above this shopper, nearest first, at most three long."""
    invitees: int = 0
    withdrawn: int = 0
    """Commissions asked to be paid out (requested or paid; a rejected request gives its amount back)."""

    @property
    def is_new(self) -> bool:
        """Only a new shopper can be bound to a referrer: no orders delivered, no referrer, no invitees.

        A shopper with invitees is never bound afterwards, so a binding adds an edge
        from a node with no descendants and the referral graph can never hold a cycle.
        """
        return self.orders == 0 and self.referrer is None and self.invitees == 0


@dataclass(frozen=True)
class MemberDelta:
    """What one order adds to its shopper's counters (negated by its refund)."""

    station: str
    shopper_key: str
    spend: int = 0
    points: int = 0
    orders: int = 0

    def negated(self) -> MemberDelta:
        return MemberDelta(self.station, self.shopper_key, -self.spend, -self.points, 0)


class Commission(BaseModel):
    """One referrer's share of one order, decided at checkout (so a Connect split can hold it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    referrer: str
    level: int = Field(ge=1, le=MAX_REFERRAL_LEVELS)
    amount: int = Field(ge=0)


@dataclass(frozen=True)
class Earning:
    """A commission credited to a referrer: withdrawable from `available_at` unless reversed."""

    station: str
    referrer: str
    order_id: str
    level: int
    amount: int
    available_at: datetime
    reversed: bool = False
    # A refund of some of the order's keys takes `amount` back from the earning, which stays credited.
    take_back: bool = False


def earnings_for(station: str, order_id: str, commissions: tuple[Commission, ...], delivered_at: datetime,
                 holding_days: int) -> tuple[Earning, ...]:
    available_at = delivered_at + timedelta(days=holding_days)
    return tuple(Earning(station, c.referrer, order_id, c.level, c.amount, available_at)
                 for c in commissions if c.amount > 0)


@dataclass(frozen=True)
class EarningsSummary:
    pending: int
    withdrawable: int
    reversed: int


def summarize(earnings: list[Earning], now: datetime, withdrawn: int = 0) -> EarningsSummary:
    """Held, withdrawable (matured, less what was asked for already) and reversed commissions.

    A refund after a commission matured and was withdrawn leaves `withdrawable`
    below zero: later commissions make it up before anything more is paid out.
    """
    live = [e for e in earnings if not e.reversed]
    return EarningsSummary(
        pending=sum(e.amount for e in live if e.available_at > now),
        withdrawable=sum(e.amount for e in live if e.available_at <= now) - withdrawn,
        reversed=sum(e.amount for e in earnings if e.reversed),
    )


class WithdrawalStatus(StrEnum):
    REQUESTED = "requested"
    PAID = "paid"
    REJECTED = "rejected"


PAYOUT_METHODS = ("alipay", "wechat", "bank")


class Withdrawal(BaseModel):
    """A referrer's request to be paid their withdrawable commissions; the owner pays it by hand."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    station: str
    referrer: str
    amount: int = Field(gt=0)
    method: str
    account: str
    name: str
    status: WithdrawalStatus = WithdrawalStatus.REQUESTED
    requested_at: datetime
    settled_at: datetime | None = None
    note: str | None = None


class IssuedCoupon(BaseModel):
    """A coupon that belongs to one shopper: used once, by that shopper only."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    station: str
    owner: str
    rule: CouponRule
    source: str  # welcome | referral_reward | points | owner
    issued_at: datetime

    @property
    def code(self) -> str:
        return self.rule.code


def personal_coupon(station: str, owner: str, code: str, amount: int, source: str, now: datetime,
                    days: int = PERSONAL_COUPON_DAYS) -> IssuedCoupon:
    rule = CouponRule(code=code, kind="fixed", amount=amount, starts=None,
                      ends=now + timedelta(days=days), max_uses=1, per_shopper=1)
    return IssuedCoupon(station=station, owner=owner, rule=rule, source=source, issued_at=now)


def chain_below(referrer: Member) -> tuple[str, ...]:
    """The ancestors a shopper bound to `referrer` gets: the referrer, then theirs, three at most."""
    return ((referrer.shopper_key,) + referrer.ancestors)[:MAX_REFERRAL_LEVELS]
