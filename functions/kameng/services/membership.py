"""A shopper's standing at a station: referral codes and binding, coupons, points, what delivery credits."""
from __future__ import annotations

import base64
import logging
import secrets
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kameng.deps import Deps
from kameng.domain.commissions import commissions
from kameng.domain.coupons import CouponNotApplicable, CouponRule, normalize_code
from kameng.domain.errors import Busy, NotEnoughPoints, NotFound, NothingToWithdraw, ReferralRefused
from kameng.domain.ids import new_id
from kameng.domain.member import (
    PAYOUT_METHODS, Commission, IssuedCoupon, Member, Withdrawal, WithdrawalStatus, chain_below, personal_coupon,
    summarize,
)
from kameng.domain.money import format_minor
from kameng.domain.order import Order
from kameng.domain.points import points_earned, redeemable
from kameng.domain.price_book import PriceBook, PricedOrder
from kameng.domain.quota import coupon_quotas
from kameng.domain.stats import Tally
from kameng.ports.store import Conflict, Duplicate, UnknownRecord
from kameng.services import audit
from kameng.services.stats import tally_after

log = logging.getLogger(__name__)

REFERRAL_CODE_LENGTH = 10


def _code(deps: Deps, purpose: str, text: str, length: int) -> str:
    """A code that is the same for the same input and unguessable without the shop's secret."""
    digest = bytes.fromhex(deps.cipher.keyed_hash(purpose, text))
    return base64.b32encode(digest).decode()[:length]


def _random_code() -> str:
    return base64.b32encode(secrets.token_bytes(10)).decode()[:12]


def referral_code(deps: Deps, station: str, shopper_key: str) -> str:
    return _code(deps, "referral-code", f"{station}:{shopper_key}", REFERRAL_CODE_LENGTH)


def open_account(station: str, shopper_key: str, deps: Deps) -> Member:
    """The member with their referral code: made on first sign-in, found afterwards."""
    member = deps.store.members.member(station, shopper_key)
    if member.referral_code is not None:
        return member
    code = referral_code(deps, station, shopper_key)
    try:
        opened = deps.store.members.open_member(station, shopper_key, code)
    except Duplicate:
        # Two shoppers whose codes share 50 bits: the later one gets a longer code.
        longer = _code(deps, "referral-code", f"{station}:{shopper_key}", 2 * REFERRAL_CODE_LENGTH)
        opened = deps.store.members.open_member(station, shopper_key, longer)
    # Racing first sign-ins both get here: the marker counts the member once.
    tally_after(f"{station}:{shopper_key}", station, deps.clock(), Tally.MEMBERS, deps)
    return opened


def bind_referral(book: PriceBook, shopper_key: str, code: str, now: datetime, deps: Deps) -> Member:
    """Bind a new shopper to the owner of a referral code, giving them the station's welcome coupon.

    First binding wins; a shopper's own code, an unknown code, or a shopper who is
    not new (has bought, has a referrer, or has invitees of their own) is refused.
    """
    if book.referrals is None:
        raise ReferralRefused("本站没有推广计划")
    station = book.station
    for _ in range(3):
        referrer = deps.store.members.member_by_code(station, normalize_code(code))
        if referrer is None:
            raise ReferralRefused("推广链接无效")
        if referrer.shopper_key == shopper_key:
            raise ReferralRefused("不能使用自己的推广链接")
        if not deps.store.members.member(station, shopper_key).is_new:
            raise ReferralRefused("推广链接只对新用户有效")
        welcome = None
        if book.referrals.welcome_coupon:
            welcome = personal_coupon(station, shopper_key, _code(deps, "welcome-coupon", f"{station}:{shopper_key}", 12),
                                      book.referrals.welcome_coupon, "welcome", now)
        if deps.store.members.bind_referrer(station, shopper_key, referrer, chain_below(referrer), welcome):
            log.info("referral bound", extra={"station": station})
            tally_after(f"{station}:{shopper_key}", station, now, Tally.INVITEES, deps)
            return deps.store.members.member(station, shopper_key)
    raise ReferralRefused("推广链接只对新用户有效")


def find_coupon(book: PriceBook, code: str, shopper_key: str, signed_in: bool, deps: Deps) -> CouponRule:
    """A station coupon from the content, or a personal one of this shopper; else CouponNotApplicable.

    Another shopper's personal coupon is answered like an unknown one: a code says nothing about its
    owner. A personal coupon needs its owner signed in: an e-mail typed at checkout proves nothing.
    """
    wanted = normalize_code(code)
    for rule in book.coupons:
        if rule.code == wanted:
            return rule
    issued = deps.store.members.coupon(book.station, wanted)
    if issued is None or issued.owner != shopper_key:
        raise CouponNotApplicable("coupon_unknown", "优惠券不存在")
    if not signed_in:
        raise CouponNotApplicable("coupon_sign_in", "这是您账户里的优惠券：请先登录，再用同一邮箱下单")
    return issued.rule


def check_coupon_uses(station: str, rule: CouponRule, shopper_key: str | None, deps: Deps) -> None:
    """Tell a shopper before payment that a coupon is used up; the reservation's transaction decides for certain."""
    for quota in coupon_quotas(station, rule, shopper_key):
        if deps.store.counters.quota_count(quota.counter, quota.holder) >= quota.cap:
            raise quota.refusal()


def commissions_for(book: PriceBook, member: Member, priced: PricedOrder) -> tuple[Commission, ...]:
    if book.referrals is None or not member.ancestors:
        return ()
    amounts = commissions(book.referrals, priced.total, priced.wholesale_total, len(member.ancestors))
    return tuple(Commission(referrer=referrer, level=level, amount=amount)
                 for level, (referrer, amount) in enumerate(zip(member.ancestors, amounts), start=1) if amount)


def delivery_credits(order: Order, book: PriceBook | None, deps: Deps, now: datetime) -> dict:
    """What delivering this order gives besides the keys: its points, the commissions' holding
    period, and the referrer's reward coupon when this is the shopper's first delivered order."""
    if book is None:
        return {}
    credits: dict = {}
    if book.points is not None:
        credits["points"] = points_earned(book.points, order.total)
    referrals = book.referrals
    if referrals is not None:
        credits["holding_days"] = referrals.holding_days
        member = deps.store.members.member(order.station, order.shopper_key)
        if referrals.referrer_reward and member.referrer and member.orders == 0:
            # The same code for every delivery that reads orders == 0: racing first orders write one coupon.
            code = _code(deps, "referral-reward", f"{order.station}:{order.shopper_key}", 12)
            credits["reward"] = personal_coupon(order.station, member.referrer, code, referrals.referrer_reward,
                                                "referral_reward", now)
    return credits


def give_coupon(book: PriceBook, shopper_key: str, amount: int, days: int, deps: Deps,
                actor: str = audit.SYSTEM, reason: str | None = None) -> IssuedCoupon:
    """The owner's goodwill: a single-use coupon of `amount` for one shopper, shown on their account page."""
    coupon = personal_coupon(book.station, shopper_key, _random_code(), amount, "owner", deps.clock(), days=days)
    deps.store.members.issue_coupon(coupon)
    audit.record(deps, actor, book.station, "coupon.give", coupon.code, None,
                 {"shopper_key": shopper_key, "amount": amount, "ends": coupon.rule.ends.isoformat()}
                 | ({"reason": reason} if reason else {}))
    return coupon


def redeem_points(book: PriceBook, shopper_key: str, now: datetime, deps: Deps) -> IssuedCoupon:
    """Turn as many whole steps of the shopper's points as they have into one coupon."""
    if book.points is None or book.points.redeem_points is None:
        raise NotEnoughPoints("本站的成长值不能兑换优惠券")
    member = deps.store.members.member(book.station, shopper_key)
    spent, value = redeemable(book.points, member.points)
    if spent == 0:
        raise NotEnoughPoints(f"成长值满 {book.points.redeem_points} 才能兑换（当前 {max(member.points, 0)}）")
    coupon = personal_coupon(book.station, shopper_key, _random_code(), value, "points", now)
    if not deps.store.members.redeem_points(book.station, shopper_key, spent, coupon):
        raise NotEnoughPoints("成长值已变化，请刷新后再试")
    return coupon


class WithdrawalRequest(BaseModel):
    """Where a referrer wants their commissions paid (the owner pays by hand and marks it paid)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    method: Literal[PAYOUT_METHODS]  # type: ignore[valid-type]
    # No spaces, no markup, no control characters: the owner reads these in a terminal.
    account: str = Field(min_length=3, max_length=64, pattern=r"^[^\s<>\x00-\x1f\x7f]+$")
    name: str = Field(min_length=1, max_length=32, pattern=r"^[^<>\x00-\x1f\x7f]+$")


def withdraw(book: PriceBook, shopper_key: str, request: WithdrawalRequest, deps: Deps) -> Withdrawal:
    """Ask for everything withdrawable at once; racing requests cannot both take the same commissions."""
    if book.referrals is None:
        raise NothingToWithdraw("本站没有推广计划")
    least = book.referrals.min_withdrawal
    for _ in range(3):
        now = deps.clock()
        member = deps.store.members.member(book.station, shopper_key)
        available = summarize(deps.store.payouts.earnings(book.station, shopper_key), now, member.withdrawn).withdrawable
        if available < least:
            raise NothingToWithdraw(
                f"可提现佣金满 {format_minor(least, book.currency)} 才能申请（当前 {format_minor(max(available, 0), book.currency)}）")
        withdrawal = Withdrawal(id=new_id(now), station=book.station, referrer=shopper_key, amount=available,
                                method=request.method, account=request.account, name=request.name, requested_at=now)
        if deps.store.payouts.request_withdrawal(withdrawal, member.withdrawn):
            log.info("withdrawal requested", extra={"station": book.station, "withdrawal_id": withdrawal.id})
            return withdrawal
    raise Busy("请稍后再试")


def station_withdrawals(book: PriceBook, status: WithdrawalStatus | None, deps: Deps) -> list[Withdrawal]:
    """The station's withdrawal requests, for the owner who pays them (accounts in full)."""
    return deps.store.payouts.withdrawals(book.station, status)


def settle_withdrawal(book: PriceBook, withdrawal_id: str, status: WithdrawalStatus, note: str | None,
                      deps: Deps, actor: str = audit.SYSTEM) -> Withdrawal:
    """Mark a requested withdrawal paid or rejected, once; a rejected one's amount is withdrawable again."""
    wanted = withdrawal_id.strip().upper()
    try:
        settled = deps.store.payouts.settle_withdrawal(book.station, wanted, status, deps.clock(),
                                                       " ".join((note or "").split()) or None)
    except (UnknownRecord, Conflict):
        raise NotFound(f"no withdrawal {withdrawal_id!r} waiting at {book.station}") from None
    audit.record(deps, actor, book.station, f"withdrawal.{status.value}", settled.id,
                 {"status": WithdrawalStatus.REQUESTED.value, "amount": settled.amount},
                 {"status": settled.status.value, "amount": settled.amount, "note": settled.note})
    return settled
