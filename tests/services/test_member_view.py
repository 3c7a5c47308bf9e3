"""The owner's view of a member reads the account page's rules: a coupon is used, expired or available in one sense."""
from __future__ import annotations

from datetime import timedelta

import pytest

from kameng.domain.coupons import CouponRule
from kameng.domain.errors import NotFound
from kameng.domain.member import IssuedCoupon, Withdrawal, WithdrawalStatus, personal_coupon
from kameng.services import account
from kameng.services.checkout import CheckoutRequest, place
from kameng.services.lookup import shopper_key
from kameng.services.membership import give_coupon, settle_withdrawal, station_withdrawals
from kameng.services.stations import published_book

EMAIL = "buyer@example.com"


def session_of(deps, station: str, email: str = EMAIL) -> account.Session:
    return account.Session(shopper_key(email, deps), station, account.mask_email(email), deps.clock() + timedelta(days=1))


def order_with_coupon(deps, station: str, sku: str, code: str) -> None:
    request = CheckoutRequest(station=station, sku=sku, quantity=1, email=EMAIL, query_password="8642", coupon=code)
    place(request, deps, session_shopper=shopper_key(EMAIL, deps))


@pytest.fixture
def four_coupons(deps, stations, sku_with_keys, clock):
    """One of each: unused, its one use taken, expired, and a three-use coupon one order took."""
    sku = sku_with_keys(5).sku
    book = published_book(stations.substation, deps)
    key = shopper_key(EMAIL, deps)
    unused = give_coupon(book, key, 500, 30, deps)
    taken = give_coupon(book, key, 500, 30, deps)
    expired = personal_coupon(book.station, key, "LAPSED000001", 500, "owner", clock.now - timedelta(days=40), days=30)
    three_uses = IssuedCoupon(station=book.station, owner=key, source="owner", issued_at=clock.now,
                              rule=CouponRule(code="TEAMTHREE001", kind="fixed", amount=300, max_uses=3))
    for coupon in (expired, three_uses):
        deps.store.members.issue_coupon(coupon)
    order_with_coupon(deps, book.station, sku, taken.code)
    order_with_coupon(deps, book.station, sku, three_uses.code)
    return book, {unused.code: "available", taken.code: "used", expired.code: "expired", three_uses.code: "available"}


def test_the_owner_and_the_shopper_agree_on_what_a_used_coupon_is(deps, four_coupons):
    book, expected = four_coupons

    owner = {c["code"]: c["state"] for c in account.member_view(book, EMAIL, deps)["coupons"]}
    shopper = {c["code"]: c["state"] for c in account.overview(session_of(deps, book.station), deps)["coupons"]}

    assert owner == shopper == expected


def test_the_owner_also_sees_how_many_orders_took_each_coupon(deps, four_coupons):
    book, expected = four_coupons

    uses = {c["code"]: c["used"] for c in account.member_view(book, EMAIL, deps)["coupons"]}

    assert sorted(uses.values()) == [0, 0, 1, 1]
    assert {code for code, used in uses.items() if used} == {"TEAMTHREE001"} | {
        code for code, state in expected.items() if state == "used"}


def test_a_coupon_with_uses_left_is_available_until_it_ends_and_used_once_every_use_is_taken(clock):
    rule = CouponRule(code="TEAMTHREE001", kind="fixed", amount=300, max_uses=3, ends=clock.now + timedelta(days=1))
    coupon = IssuedCoupon(station="game-zone", owner="k", source="owner", issued_at=clock.now, rule=rule)

    assert [account.coupon_state(coupon, used, clock.now) for used in (0, 2, 3)] == ["available", "available", "used"]
    assert account.coupon_state(coupon, 2, clock.now + timedelta(days=1)) == "expired"
    assert account.coupon_state(coupon, 3, clock.now + timedelta(days=1)) == "used"


def test_the_member_view_counts_spend_orders_and_the_referrer_by_code(deps, stations, sku_with_keys):
    sku = sku_with_keys(2).sku
    book = published_book(stations.substation, deps)
    referrer = deps.store.members.open_member(book.station, "referrer-key", "REFERRER01")
    buyer = deps.store.members.open_member(book.station, shopper_key(EMAIL, deps), "BUYER00001")
    assert deps.store.members.bind_referrer(book.station, buyer.shopper_key, referrer, (referrer.shopper_key,), None)
    request = CheckoutRequest(station=book.station, sku=sku, quantity=1, email=EMAIL, query_password="8642")
    order = place(request, deps).order
    deps.gateway.pay(deps.store.orders.order(order.id).payment_session, "card")

    shown = account.member_view(book, "Buyer@Example.com", deps)

    assert (shown["station"], shown["spend"], shown["orders_delivered"], shown["referral_code"]) == (
        book.station, 10500, 1, "BUYER00001")
    assert shown["referred_by"] == "REFERRER01"
    assert shown["commissions"] == {"pending": 0, "withdrawable": 0, "reversed": 0, "withdrawn": 0}


def a_withdrawal(deps, station: str, number: int, amount: int, withdrawn_before: int) -> Withdrawal:
    withdrawal = Withdrawal(id=f"01JW{number:022d}", station=station, referrer="referrer-key", amount=amount,
                            method="alipay", account="13800000000", name="张三", requested_at=deps.clock())
    assert deps.store.payouts.request_withdrawal(withdrawal, withdrawn_before)
    return withdrawal


def test_a_withdrawal_is_settled_once_by_its_id_as_pasted_with_its_note_on_one_line(deps, stations):
    book = published_book(stations.substation, deps)
    deps.store.members.open_member(book.station, "referrer-key", "REFERRER01")
    first = a_withdrawal(deps, book.station, 1, 1200, 0)

    settled = settle_withdrawal(book, f" {first.id.lower()} ", WithdrawalStatus.PAID, " 支付宝\n转账  12-01 ", deps)

    assert (settled.id, settled.status, settled.note) == (first.id, WithdrawalStatus.PAID, "支付宝 转账 12-01")
    with pytest.raises(NotFound, match=f"no withdrawal '{first.id}' waiting at game-zone"):
        settle_withdrawal(book, first.id, WithdrawalStatus.REJECTED, None, deps)
    assert [w.id for w in station_withdrawals(book, WithdrawalStatus.PAID, deps)] == [first.id]
    assert station_withdrawals(book, WithdrawalStatus.REQUESTED, deps) == []
