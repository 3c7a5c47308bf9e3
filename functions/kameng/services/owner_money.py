"""The console's money: coupons given, referrers' withdrawals, a station's settlement statement and its
payouts (提现) from the platform. Every call checks the owner's role against the station in the request."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from kameng.deps import Deps
from kameng.domain.errors import InvalidRequest, NotFound
from kameng.domain.ids import new_id
from kameng.domain.member import Withdrawal, WithdrawalStatus
from kameng.domain.owners import Owner, Permission, check
from kameng.domain.errors import PayoutOverBalance, PayoutWrongStatus
from kameng.domain.payouts import ACTIONS, StationPayout, decide, room
from kameng.domain.settlement import Settlement
from kameng.domain.shopper import is_email
from kameng.domain.stats import DEFAULT_TIME_ZONE
from kameng.ports.store import Conflict, UnknownRecord
from kameng.services import audit, lookup, membership
from kameng.services.account import coupon_view, mask_email
from kameng.services.settlement import station_settlement
from kameng.services.stations import published_book

MAX_COUPONS = 200
# The balance due is the settlement of every order the station ever placed.
BEGINNING = datetime(2000, 1, 1, tzinfo=timezone.utc)


class GiveCoupon(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str = Field(min_length=3, max_length=254)
    amount: int = Field(gt=0, le=10_000_000)  # minor units
    days: int = Field(90, ge=1, le=365)
    reason: str | None = Field(None, max_length=200)


class Settle(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    action: str = Field(pattern="^(pay|reject)$")
    note: str | None = Field(None, max_length=200)


class AskPayout(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    amount: int = Field(gt=0)  # minor units
    note: str | None = Field(None, max_length=200)


class DecidePayout(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    action: str = Field(pattern="^(approve|paid|reject)$")
    note: str | None = Field(None, max_length=200)


def _email_of(shopper_key: str, deps: Deps) -> str | None:
    # The store files shoppers under a keyed hash: the address is known only from an order they placed.
    orders = deps.store.orders.orders_of_shopper(shopper_key, 1)
    return mask_email(orders[0].email) if orders else None


def coupons(owner: Owner, station: str, deps: Deps) -> dict:
    check(owner, Permission.GIVE_COUPON, station)
    book = published_book(station, deps)
    now = deps.clock()
    found = deps.store.members.station_coupons(book.station, MAX_COUPONS)
    emails = {key: _email_of(key, deps) for key in {coupon.owner for coupon, _ in found}}
    return {"currency": book.currency, "coupons": [
        coupon_view(coupon, used, now) | {"email": emails[coupon.owner], "issued_at": coupon.issued_at.isoformat()}
        for coupon, used in found]}


def give_coupon(owner: Owner, station: str, request: GiveCoupon, deps: Deps) -> dict:
    check(owner, Permission.GIVE_COUPON, station)
    book = published_book(station, deps)
    if not is_email(request.email):
        raise InvalidRequest("请填写有效的邮箱地址")
    coupon = membership.give_coupon(book, lookup.shopper_key(request.email, deps), request.amount, request.days,
                                    deps, actor=owner.email, reason=request.reason)
    return {"code": coupon.code, "amount": request.amount, "currency": book.currency,
            "ends": coupon.rule.ends.isoformat(), "email": mask_email(request.email.lower())}


def _withdrawal_view(withdrawal: Withdrawal) -> dict:
    # The owner pays by hand, so the account and name are shown whole; the referrer stays a short id.
    return withdrawal.model_dump(mode="json", exclude={"referrer"}) | {"referrer": withdrawal.referrer[:12]}


def withdrawals(owner: Owner, station: str, status: str | None, deps: Deps) -> dict:
    check(owner, Permission.SETTLE_WITHDRAWALS, station)
    book = published_book(station, deps)
    try:
        wanted = WithdrawalStatus(status) if status else None
    except ValueError:
        raise InvalidRequest("status 应为 requested、paid 或 rejected") from None
    found = membership.station_withdrawals(book, wanted, deps)
    return {"currency": book.currency, "withdrawals": [_withdrawal_view(w) for w in found]}


def settle_withdrawal(owner: Owner, station: str, withdrawal_id: str, request: Settle, deps: Deps) -> dict:
    check(owner, Permission.SETTLE_WITHDRAWALS, station)
    book = published_book(station, deps)
    status = WithdrawalStatus.PAID if request.action == "pay" else WithdrawalStatus.REJECTED
    settled = membership.settle_withdrawal(book, withdrawal_id, status, request.note, deps, actor=owner.email)
    return _withdrawal_view(settled)


def period(start: str | None, end: str | None, now: datetime) -> tuple[date, date]:
    """The days asked for, both included; by default this month so far, in the station's time zone."""
    today = now.astimezone(ZoneInfo(DEFAULT_TIME_ZONE)).date()
    try:
        first = date.fromisoformat(start) if start else today.replace(day=1)
        last = date.fromisoformat(end) if end else today
    except ValueError:
        raise InvalidRequest("日期格式应为 YYYY-MM-DD") from None
    if last < first:
        raise InvalidRequest("结束日期不能早于开始日期")
    return first, last


def statement(owner: Owner, station: str, first: date, last: date, deps: Deps) -> Settlement:
    check(owner, Permission.VIEW_MONEY, station)
    zone = ZoneInfo(DEFAULT_TIME_ZONE)
    start = datetime.combine(first, time(), zone)
    end = datetime.combine(last + timedelta(days=1), time(), zone)
    return station_settlement(published_book(station, deps), start, end, deps)


def statement_view(report: Settlement, first: date, last: date) -> dict:
    return {"station": report.station, "currency": report.currency, "from": first.isoformat(),
            "to": last.isoformat(), "lines": [vars(line) for line in report.lines], "totals": report.totals}


def _balance(station: str, deps: Deps) -> dict:
    book = published_book(station, deps)
    # The period's end is exclusive: a day past now takes in an order placed this very millisecond.
    due = station_settlement(book, BEGINNING, deps.clock() + timedelta(days=1), deps).totals["balance_due"]
    committed = deps.store.station_payouts.committed(station)
    return {"currency": book.currency, "balance_due": due, "committed": committed, "available": room(due, committed)}


def payouts(owner: Owner, station: str, deps: Deps) -> dict:
    check(owner, Permission.VIEW_MONEY, station)
    found = deps.store.station_payouts.payouts(station)
    return _balance(station, deps) | {"payouts": [p.model_dump(mode="json") for p in found]}


def request_payout(owner: Owner, station: str, request: AskPayout, deps: Deps) -> dict:
    check(owner, Permission.REQUEST_PAYOUT, station)
    if station == deps.settings.main_station:
        raise InvalidRequest("主站的收入不经提现：提现只用于分站向平台结算")
    balance = _balance(station, deps)
    now = deps.clock()
    payout = StationPayout(id=new_id(now), station=station, amount=request.amount, currency=balance["currency"],
                           note=request.note or None, requested_by=owner.email, requested_at=now)
    # The ceiling is the balance due; the store adds the amount to what is committed only while both fit.
    if not deps.store.station_payouts.request_payout(payout, max(balance["balance_due"], 0)):
        left = room(balance["balance_due"], deps.store.station_payouts.committed(station))
        raise PayoutOverBalance(f"提现金额超过可提现余额（当前可提现 {left}，单位：分）")
    audit.record(deps, owner.email, station, "payout.request", payout.id, {"committed": balance["committed"]},
                 payout.model_dump(mode="json"))
    return payout.model_dump(mode="json")


def decide_payout(owner: Owner, station: str, payout_id: str, request: DecidePayout, deps: Deps) -> dict:
    check(owner, Permission.APPROVE_PAYOUT, station)
    seen = deps.store.station_payouts.payout(station, payout_id.strip().upper())
    if seen is None:
        raise NotFound("没有这笔提现申请")
    decided = decide(seen, ACTIONS[request.action], owner.email, deps.clock(), request.note)
    try:
        deps.store.station_payouts.decide_payout(decided, seen)
    except (Conflict, UnknownRecord):
        raise PayoutWrongStatus("这笔提现申请刚被其他操作处理，请刷新后再看") from None
    audit.record(deps, owner.email, station, f"payout.{decided.status.value}", decided.id,
                 seen.model_dump(mode="json"), decided.model_dump(mode="json"))
    return decided.model_dump(mode="json")
