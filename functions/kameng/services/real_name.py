"""Real-name verification (实名认证) of a member account, and the checkout rule that asks for it.

Each provider call costs money, so the number is checked first (domain/id_number.py), an account that is
verified is never asked again, and one account may ask at most ATTEMPTS_PER_DAY times a day. The name and
number are sealed at rest and only their masked forms leave this module; none of them is ever logged.
"""
from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, Field

from kameng.deps import Deps
from kameng.domain.errors import RateLimited, UnknownStation
from kameng.domain.id_number import check_id_number, mask_id_number
from kameng.domain.price_book import PriceBook, PricedOrder
from kameng.domain.real_name import (
    RealNameMismatch, RealNameRecord, RealNameRefused, RealNameRequired, RealNameUnavailable, RealNameVerified,
    Verdict, mask_name,
)

ATTEMPTS_PER_DAY = 5
DAY_SECONDS = 24 * 60 * 60
SEAL_PURPOSE = "real-name/v1"


class RealNameRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    # 2 to 30 characters: Chinese names, with the middle dot of minority and foreign names (·).
    name: str = Field(min_length=2, max_length=30, pattern=r"^[^\x00-\x1f<>]+$")
    id_number: str = Field(min_length=1, max_length=24)


def _context(station: str, shopper_key: str) -> bytes:
    return f"{SEAL_PURPOSE}|{station}|{shopper_key}".encode()


def status(station: str, shopper_key: str, deps: Deps) -> dict:
    """What the account page shows: whether the account is verified, and the masked identity."""
    record = deps.store.real_names.real_name(station, shopper_key)
    if record is None:
        return {"verified": False}
    return {"verified": True, "name": record.name_masked, "id_number": record.id_masked,
            "verified_at": record.verified_at.isoformat()}


def verify(station: str, shopper_key: str, request: RealNameRequest, deps: Deps) -> dict:
    """Verify the signed-in member's identity once; the status afterwards, or the refusal explained."""
    if deps.store.price_books.price_book(station) is None:
        raise UnknownStation(f"站点不存在：{station}")
    if deps.store.real_names.real_name(station, shopper_key) is not None:
        raise RealNameVerified("您的账户已完成实名认证，无需再次认证")
    now = deps.clock()
    number = check_id_number(request.id_number, now.date())
    if deps.store.counters.count_hit(f"real-name:{station}:{shopper_key}", DAY_SECONDS, now) > ATTEMPTS_PER_DAY:
        raise RateLimited(f"实名认证每天最多尝试 {ATTEMPTS_PER_DAY} 次，请明天再试", retry_after=DAY_SECONDS)
    if deps.real_name_check is None:
        raise RealNameUnavailable("实名认证服务暂时不可用，请稍后再试")
    answer = deps.real_name_check.verify(request.name, number)
    if answer.verdict is Verdict.MISMATCHED:
        raise RealNameMismatch("姓名与身份证号不一致：请核对后重试")
    if answer.verdict is Verdict.INVALID:
        raise RealNameRefused(f"实名认证未通过：{answer.reason or '姓名或身份证号无效'}")
    if answer.verdict is not Verdict.MATCHED:
        raise RealNameUnavailable("实名认证服务暂时不可用，请稍后再试（本次未保存任何信息）")
    sealed = deps.cipher.seal_record(SEAL_PURPOSE, f"{station}:{shopper_key}",
                                     json.dumps({"name": request.name, "id_number": number}).encode(),
                                     _context(station, shopper_key))
    record = RealNameRecord(station, shopper_key, mask_name(request.name), mask_id_number(number), sealed, now)
    if not deps.store.real_names.put_real_name(record):
        # Two verifications of one account raced: the first kept is the account's identity.
        raise RealNameVerified("您的账户已完成实名认证，无需再次认证")
    return status(station, shopper_key, deps)


def identity(station: str, shopper_key: str, deps: Deps) -> tuple[str, str] | None:
    """The verified name and number themselves, for a compliance request; None for an unverified account."""
    record = deps.store.real_names.real_name(station, shopper_key)
    if record is None:
        return None
    opened = json.loads(deps.cipher.open_record(SEAL_PURPOSE, f"{station}:{shopper_key}", record.sealed,
                                                _context(station, shopper_key)))
    return opened["name"], opened["id_number"]


def require_for_checkout(book: PriceBook, priced: PricedOrder, shopper_key: str, signed_in: bool, deps: Deps) -> None:
    """RealNameRequired, before anything is held, for an order the station's rule covers and the buyer's
    member account (signed in, buying with its own e-mail) has not verified."""
    rule = book.real_name
    if rule is None or not rule.applies(priced.total, priced.line.product):
        return
    if not signed_in or deps.store.real_names.real_name(book.station, shopper_key) is None:
        raise RealNameRequired("此订单需要实名认证：请登录后在“我的账户”页面完成实名认证，再用同一邮箱下单")
