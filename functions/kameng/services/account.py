"""Shopper accounts without passwords: a one-time link by e-mail, then a signed session cookie.

The session lives only in the cookie (an HMAC under a key derived from the shop's
own secret), so no function keeps a session table and any function can check it.
Signing out clears the cookie in the browser; a copied cookie stays valid until
it expires, as with any stateless session.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from pydantic import BaseModel, ConfigDict, Field

from kameng.deps import Deps
from kameng.domain.errors import Busy, InvalidSignIn, RateLimited, ReferralRefused, SignedOut, UnknownStation
from kameng.domain.ids import new_token
from kameng.domain.member import IssuedCoupon, Member, Withdrawal, summarize
from kameng.domain.price_book import PriceBook
from kameng.domain.pricing import level_for, next_level
from kameng.domain.shopper import Email, hash_token
from kameng.ports.store import SignInGrant
from kameng.services.checkout import STATION_ID
from kameng.services.lookup import shopper_key, view
from kameng.services import signed_cookie
from kameng.services.membership import WithdrawalRequest, bind_referral, open_account, redeem_points, withdraw

SIGN_IN_TTL = timedelta(minutes=15)
SESSION_TTL = timedelta(days=30)
SIGN_IN_WINDOW_SECONDS = 600
SIGN_INS_PER_ADDRESS = 20
SIGN_INS_PER_SHOPPER = 5
ACCOUNT_ORDERS = 50

MAIL = {
    "zh-CN": (
        "登录 {name}",
        "您好：\n\n点击下面的链接登录 {name}（15 分钟内有效，只能使用一次）：\n\n{link}\n\n"
        "如果不是您本人操作，请忽略这封邮件，您的账户不会有任何变化。\n",
    ),
    "en": (
        "Sign in to {name}",
        "Hello,\n\nOpen this link to sign in to {name} (it works once, within 15 minutes):\n\n{link}\n\n"
        "If you did not ask to sign in, ignore this e-mail: nothing about your account changes.\n",
    ),
}


class SignInRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    station: str = Field(pattern=STATION_ID)
    email: Email


class SessionStart(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    token: str = Field(min_length=16, max_length=128)
    # The referral code of the link the shopper arrived through, kept by the browser until sign-in.
    ref: str | None = Field(default=None, max_length=40)


@dataclass(frozen=True)
class Session:
    shopper_key: str
    station: str
    email_masked: str
    expires_at: datetime


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    shown = local[0] + "***" + (local[-1] if len(local) > 2 else "")
    return f"{shown}@{domain}"


def request_sign_in(request: SignInRequest, client: str, deps: Deps) -> None:
    """Mail a one-time sign-in link. Whether the address ever bought anything changes nothing here."""
    book = deps.store.price_books.price_book(request.station)
    if book is None:
        raise UnknownStation(f"站点不存在：{request.station}")
    now = deps.clock()
    shopper = shopper_key(request.email, deps)
    for bucket, limit in ((f"sign-in:addr:{client}", SIGN_INS_PER_ADDRESS),
                          (f"sign-in:shopper:{shopper}", SIGN_INS_PER_SHOPPER)):
        if deps.store.counters.count_hit(bucket, SIGN_IN_WINDOW_SECONDS, now) > limit:
            raise RateLimited("登录请求过于频繁，请 10 分钟后再试", retry_after=SIGN_IN_WINDOW_SECONDS)
    token = new_token()
    deps.store.sign_ins.put_sign_in(hash_token(token), SignInGrant(
        shopper_key=shopper, station=book.station, email_masked=mask_email(request.email),
        expires_at=now + SIGN_IN_TTL))
    # The token travels in the fragment, which browsers never send to a server or in a Referer.
    link = f"{deps.settings.station_url(book.station, book.domain)}/account/#signin={token}"
    subject, body = MAIL.get(book.language, MAIL["zh-CN"])
    name = book.name or book.domain  # a book published before it kept the shop's name: its domain
    deps.mail.send(request.email, subject.format(name=name), body.format(name=name, link=link))


SESSION_COOKIE_PURPOSE = "account-session-cookie/v1"


def start_session(request: SessionStart, deps: Deps) -> tuple[Session, str]:
    """Use a sign-in link (once) and return the session with its cookie value."""
    now = deps.clock()
    grant = deps.store.sign_ins.use_sign_in(hash_token(request.token), now)
    if grant is None:
        raise InvalidSignIn("登录链接无效、已使用或已过期，请重新获取")
    session = Session(grant.shopper_key, grant.station, grant.email_masked, now + SESSION_TTL)
    fields = {"k": session.shopper_key, "s": session.station, "m": session.email_masked,
              "x": int(session.expires_at.timestamp())}
    return session, signed_cookie.sign(fields, SESSION_COOKIE_PURPOSE, deps)


def read_session(value: str | None, deps: Deps) -> Session:
    fields = signed_cookie.read(value, SESSION_COOKIE_PURPOSE, deps)
    if fields is None:
        raise SignedOut("请先登录")
    try:
        session = Session(fields["k"], fields["s"], fields["m"], datetime.fromtimestamp(fields["x"], timezone.utc))
    except (ValueError, KeyError, TypeError):
        raise SignedOut("请先登录") from None
    if session.expires_at <= deps.clock():
        raise SignedOut("登录已过期，请重新登录")
    return session


def session_shopper(value: str | None, station: str, deps: Deps) -> str | None:
    """The signed-in shopper's key at `station`, or None for a guest (no cookie, another station, expired)."""
    try:
        session = read_session(value, deps)
    except SignedOut:
        return None
    return session.shopper_key if session.station == station else None


def join(session: Session, ref: str | None, deps: Deps) -> dict:
    """After sign-in: open the member (with their referral code) and bind the referral they arrived through."""
    book = deps.store.price_books.price_book(session.station)
    if book is None:
        return {"bound": False}
    open_account(session.station, session.shopper_key, deps)
    if not ref or book.referrals is None:
        return {"bound": False}
    try:
        bind_referral(book, session.shopper_key, ref, deps.clock(), deps)
    except (ReferralRefused, Busy) as refused:
        # Signing in worked (its link is used up): the referral is only an extra, so it is reported, not raised.
        return {"bound": False, "code": refused.code, "message": refused.message}
    return {"bound": True, "welcome_coupon": book.referrals.welcome_coupon}


def overview(session: Session, deps: Deps) -> dict:
    """The account page's data: orders, level and progress, points, referral link and earnings, coupons."""
    orders = [o for o in deps.store.orders.orders_of_shopper(session.shopper_key, ACCOUNT_ORDERS) if o.station == session.station]
    book = deps.store.price_books.price_book(session.station)
    member = deps.store.members.member(session.station, session.shopper_key)
    currency = book.currency if book is not None else (orders[0].currency if orders else None)
    now = deps.clock()
    return {
        "email_masked": session.email_masked,
        "station": session.station,
        "currency": currency,
        "orders": [view(o, deps) for o in orders],
        # Delivered orders net of refunds, kept by the store as each delivery and refund happens.
        "spend": member.spend,
        **_level(book, member),
        "points": _points(book, member),
        "referral": _referral(book, member, now, deps),
        "coupons": [coupon_view(coupon, used, now) for coupon, used in deps.store.members.coupons_of(session.station, session.shopper_key)],
    }


def _level(book: PriceBook | None, member: Member) -> dict:
    if book is None or not book.levels:
        return {"level": None, "next_level": None}
    level, upcoming = level_for(book.levels, member.spend), next_level(book.levels, member.spend)
    return {
        "level": None if level is None else {"name": level.name, "discount_percent": str(level.discount_percent)},
        "next_level": None if upcoming is None else {
            "name": upcoming.name, "spend": upcoming.spend, "remaining": upcoming.spend - member.spend,
            "discount_percent": str(upcoming.discount_percent)},
    }


def _points(book: PriceBook | None, member: Member) -> dict | None:
    if book is None or book.points is None:
        return None
    return {"balance": member.points, "redeem_points": book.points.redeem_points, "redeem_coupon": book.points.redeem_coupon,
            "per_yuan": str(book.points.per_yuan)}


def _referral(book: PriceBook | None, member: Member, now: datetime, deps: Deps) -> dict | None:
    if book is None or book.referrals is None or member.referral_code is None:
        return None
    earned = summarize(deps.store.payouts.earnings(member.station, member.shopper_key), now, member.withdrawn)
    return {
        "code": member.referral_code,
        "link": f"{deps.settings.station_url(book.station, book.domain)}/?ref={member.referral_code}",
        "invitees": member.invitees,
        "referred": member.referrer is not None,
        "levels_percent": [str(p) for p in book.referrals.levels_percent],
        "holding_days": book.referrals.holding_days,
        "pending": earned.pending, "withdrawable": earned.withdrawable, "reversed": earned.reversed,
        "min_withdrawal": book.referrals.min_withdrawal,
        "withdrawals": [withdrawal_view(w) for w in deps.store.payouts.withdrawals_of(member.station, member.shopper_key)],
    }


def withdrawal_view(withdrawal: Withdrawal) -> dict:
    # The page shows where the money goes without spelling the whole account out again.
    account = withdrawal.account
    shown = account[:3] + "***" + account[-2:] if len(account) > 6 else account[:1] + "***"
    return {"id": withdrawal.id, "amount": withdrawal.amount, "method": withdrawal.method, "account": shown,
            "status": withdrawal.status.value, "requested_at": withdrawal.requested_at.isoformat(),
            "settled_at": None if withdrawal.settled_at is None else withdrawal.settled_at.isoformat()}


def coupon_state(coupon: IssuedCoupon, used: int, now: datetime) -> str:
    """used (every use it allows is taken, by paid orders or by pending ones), expired, or available.

    A coupon some orders took that allows more uses is still available. The account page and the
    owner's member view both read this, so "used" means one thing.
    """
    rule = coupon.rule
    if rule.max_uses is not None and used >= rule.max_uses:
        return "used"
    return "expired" if rule.ends is not None and now >= rule.ends else "available"


def coupon_view(coupon: IssuedCoupon, used: int, now: datetime) -> dict:
    rule = coupon.rule
    return {
        "code": rule.code, "source": coupon.source, "kind": rule.kind, "amount": rule.amount,
        "percent": str(rule.percent), "min_spend": rule.min_spend,
        "ends": None if rule.ends is None else rule.ends.isoformat(),
        "state": coupon_state(coupon, used, now),
    }


def request_withdrawal(session: Session, request: WithdrawalRequest, deps: Deps) -> dict:
    book = deps.store.price_books.price_book(session.station)
    if book is None:
        raise UnknownStation(f"站点不存在：{session.station}")
    return {"withdrawal": withdrawal_view(withdraw(book, session.shopper_key, request, deps))}


def redeem(session: Session, deps: Deps) -> dict:
    book = deps.store.price_books.price_book(session.station)
    if book is None:
        raise UnknownStation(f"站点不存在：{session.station}")
    coupon = redeem_points(book, session.shopper_key, deps.clock(), deps)
    return {"coupon": coupon_view(coupon, 0, deps.clock()),
            "points": deps.store.members.member(session.station, session.shopper_key).points}


def member_view(book: PriceBook, email: str, deps: Deps) -> dict:
    """The owner's view of one shopper at a station: what their account page shows, and the counts behind it.

    Never their orders' keys: the owner sees keys only masked, through `lookup.owner_view`.
    """
    member = deps.store.members.member(book.station, shopper_key(email, deps))
    now = deps.clock()
    earned = summarize(deps.store.payouts.earnings(book.station, member.shopper_key), now, member.withdrawn)
    level, upcoming = level_for(book.levels, member.spend), next_level(book.levels, member.spend)
    # The referrer as the owner can look them up: by their referral code (e-mails are kept only as hashes).
    referrer = deps.store.members.member(book.station, member.referrer) if member.referrer else None
    return {
        "station": book.station, "spend": member.spend, "level": None if level is None else level.name,
        "next_level": None if upcoming is None else {"name": upcoming.name, "remaining": upcoming.spend - member.spend},
        "orders_delivered": member.orders, "points": member.points, "referral_code": member.referral_code,
        "referred_by": None if referrer is None else referrer.referral_code or "?", "invitees": member.invitees,
        "commissions": {"pending": earned.pending, "withdrawable": earned.withdrawable, "reversed": earned.reversed,
                        "withdrawn": member.withdrawn},
        # As the account page shows them, with how many orders took each.
        "coupons": [coupon_view(coupon, used, now) | {"used": used}
                    for coupon, used in deps.store.members.coupons_of(book.station, member.shopper_key)],
    }
