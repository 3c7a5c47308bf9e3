"""Member levels, coupons, referrals, commissions and points, through the handlers a shopper's browser calls."""
from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from threading import Barrier

import pytest

from kameng.domain.commissions import ReferralRule
from kameng.domain.coupons import CouponRule
from kameng.domain.points import PointsRule
from kameng.domain.pricing import Level
from kameng.handlers import account as account_handler
from kameng.handlers import checkout as checkout_handler
from kameng.http import SESSION_COOKIE
from kameng.services.refunds import refund_order
from tests.handlers.conftest import QUERY_PASSWORD, Placed, Response
from tests.handlers.test_account import cookie_value, last_link, token_of

ALICE, BOB, CAROL, DAVE = "alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"
PRICE, WHOLESALE = 10500, 9500
LEVELS = (Level(name="普通", spend=0, discount_percent=Decimal(0)),
          Level(name="白银", spend=20000, discount_percent=Decimal(5)))
REFERRALS = ReferralRule(basis="margin", levels_percent=(Decimal(10), Decimal(5), Decimal(3)),
                         welcome_coupon=500, referrer_reward=200, holding_days=7)
COUPONS = (
    CouponRule(code="TENOFF", kind="fixed", amount=1000, min_spend=10000, max_uses=3, per_shopper=1),
    CouponRule(code="PERCENT5", kind="percent", percent=Decimal(5)),
)


@pytest.fixture
def shop(deps, stations, sku_with_keys):
    """game-zone with levels, coupons, referrals and points, selling one SKU at 105.00 (wholesale 95.00)."""
    stocked = sku_with_keys(40, price=PRICE, wholesale=WHOLESALE, substation_price=PRICE)
    book = deps.store.price_books.price_book(stations.substation)
    deps.store.price_books.put_price_book(book.model_copy(update={
        "levels": LEVELS, "referrals": REFERRALS, "coupons": COUPONS,
        "points": PointsRule(per_yuan=Decimal(1), redeem_points=100, redeem_coupon=100)}))
    return stocked


def with_session(event: dict, session: str | None) -> dict:
    event["cookies"] = [f"{SESSION_COOKIE}={session}"] if session else []
    return event


@pytest.fixture
def buy(deps, events, stations, shop):
    def post(email: str, *, session: str | None = None, coupon: str | None = None, quantity: int = 1) -> Response:
        fields = {"station": stations.substation, "sku": shop.sku, "quantity": quantity, "email": email,
                  "query_password": QUERY_PASSWORD, **({"coupon": coupon} if coupon else {})}
        return Response(checkout_handler.handler(with_session(events.checkout(fields), session), None))

    return post


@pytest.fixture
def bought(buy, pay, stations, shop):
    """An order placed and paid (so delivered) by `email`."""

    def run(email: str, **kwargs) -> Placed:
        response = buy(email, **kwargs)
        assert response.status == 201, response.raw
        placed = Placed(response, stations.substation, shop.sku)
        pay(placed)
        return placed

    return run


@pytest.fixture
def quote(deps, api_event, stations, shop):
    def post(*, session: str | None = None, **fields) -> Response:
        body = {"station": stations.substation, "sku": shop.sku, "quantity": 1, **fields}
        return Response(checkout_handler.quote(with_session(api_event("POST", "/api/quote", body=body), session), None))

    return post


@pytest.fixture
def sign_in_as(deps, api_event, stations, shop):
    """Sign in through the mailed link, optionally arriving with a referral code; the session and its answer."""

    def run(email: str, ref: str | None = None) -> tuple[str, dict]:
        asked = api_event("POST", "/api/account/sign-in", body={"station": stations.substation, "email": email})
        assert account_handler.sign_in(asked, None)["statusCode"] == 202
        body = {"token": token_of(last_link(deps.mail, email)), **({"ref": ref} if ref else {})}
        started = Response(account_handler.start_session(api_event("POST", "/api/account/session", body=body), None))
        assert started.status == 200, started.raw
        return cookie_value(started), started.json

    return run


@pytest.fixture
def account(api_event):
    def get(session: str) -> dict:
        response = Response(account_handler.get_account(with_session(api_event("GET", "/api/account"), session), None))
        assert response.status == 200, response.raw
        return response.json

    return get


def order_of(deps, placed: Placed):
    return deps.store.orders.order(placed.order_id)


# ---------------------------------------------------------------- member levels


def test_a_signed_in_member_sees_and_pays_their_level_price(deps, bought, buy, quote, sign_in_as, shop, stations):
    for _ in range(2):
        bought(ALICE)  # 210.00 delivered: 白银 from 200.00
    session, _ = sign_in_as(ALICE)
    shown = quote(session=session, email=ALICE).json
    assert (shown["level"], shown["level_discount"], shown["total"]) == ("白银", 525, PRICE - 525)
    placed = buy(ALICE, session=session)
    assert (placed.json["level"], placed.json["total"]) == ("白银", PRICE - 525)
    # the gateway was asked for exactly what the page showed
    assert deps.gateway.session(Placed(placed, stations.substation, shop.sku).session_id).total == PRICE - 525


def test_a_guest_or_another_email_gets_no_level_price(deps, bought, buy, quote, sign_in_as):
    for _ in range(2):
        bought(ALICE)
    assert (quote(email=ALICE).json["level_discount"], buy(ALICE).json["total"]) == (0, PRICE)
    session, _ = sign_in_as(BOB)
    assert buy(ALICE, session=session).json["total"] == PRICE
    assert quote(session=session, email=ALICE).json["level"] is None


def test_a_refund_takes_the_level_away_again(deps, bought, quote, sign_in_as):
    first, _ = bought(ALICE), bought(ALICE)
    refund_order(first.order_id, "owner refund", deps)
    session, _ = sign_in_as(ALICE)
    assert quote(session=session, email=ALICE).json["level_discount"] == 0


def test_the_account_shows_the_level_and_what_is_left_to_the_next(bought, sign_in_as, account):
    bought(ALICE)
    session, _ = sign_in_as(ALICE)
    shown = account(session)
    assert shown["spend"] == PRICE
    assert shown["level"] == {"name": "普通", "discount_percent": "0"}
    assert shown["next_level"] == {"name": "白银", "spend": 20000, "remaining": 20000 - PRICE, "discount_percent": "5"}


# ---------------------------------------------------------------- coupons


def test_a_coupon_is_shown_before_payment_and_charged_at_checkout(deps, buy, quote):
    shown = quote(email=ALICE, coupon=" tenoff ").json
    assert (shown["coupon"], shown["coupon_discount"], shown["total"]) == ("TENOFF", 1000, PRICE - 1000)
    placed = buy(ALICE, coupon="tenoff")
    assert (placed.status, placed.json["coupon_discount"], placed.json["total"]) == (201, 1000, PRICE - 1000)
    assert deps.store.orders.order(placed.json["order_id"]).coupon == "TENOFF"


def test_a_quote_says_when_the_wholesale_floor_cut_the_coupon(deps, stations, quote, buy):
    book = deps.store.price_books.price_book(stations.substation)
    deps.store.price_books.put_price_book(book.model_copy(update={"coupons": (
        *COUPONS, CouponRule(code="FIFTEEN", kind="fixed", amount=1500),)}))
    cut = quote(email=ALICE, coupon="FIFTEEN").json
    # 105.00 at a 95.00 wholesale price: 10.00 of the 15.00 coupon can come off.
    assert (cut["coupon_discount"], cut["coupon_capped"], cut["total"]) == (PRICE - WHOLESALE, True, WHOLESALE)
    assert buy(ALICE, coupon="FIFTEEN").json["total"] == cut["total"]
    whole = quote(email=BOB, coupon="TENOFF").json
    assert (whole["coupon_discount"], whole["coupon_capped"]) == (1000, False)
    assert quote(email=BOB).json["coupon_capped"] is False


def test_a_coupon_is_used_once_per_shopper_and_its_total_uses_are_capped(buy):
    assert buy(ALICE, coupon="TENOFF").status == 201
    again = buy(ALICE, coupon="TENOFF")
    assert (again.status, again.error["code"]) == (409, "coupon_used_up")
    assert buy(BOB, coupon="TENOFF").status == 201
    assert buy(CAROL, coupon="TENOFF").status == 201
    last = buy(DAVE, coupon="TENOFF")
    assert (last.status, last.error["code"]) == (409, "coupon_used_up")


def test_ten_shoppers_racing_for_a_three_use_coupon_get_exactly_three_orders(buy, shop):
    gate = Barrier(10)

    def attempt(i: int) -> int:
        gate.wait()
        return buy(f"racer{i}@example.com", coupon="TENOFF").status

    with ThreadPoolExecutor(10) as pool:
        statuses = Counter(pool.map(attempt, range(10)))
    assert statuses == {201: 3, 409: 7}
    assert shop.stock().reserved == 3


def test_an_unpaid_order_gives_its_coupon_use_back_when_it_lapses(deps, buy, sweep, clock):
    assert buy(ALICE, coupon="TENOFF").status == 201
    assert buy(ALICE, coupon="TENOFF").status == 409
    clock.advance(minutes=20)
    sweep()
    assert buy(ALICE, coupon="TENOFF").status == 201


@pytest.mark.parametrize(("code", "status", "reason"), [
    ("NOPE123", 422, "coupon_unknown"),
    ("PERCENT5", 201, None),
])
def test_coupon_answers(buy, code, status, reason):
    response = buy(ALICE, coupon=code)
    assert response.status == status
    if reason:
        assert (response.error["code"], response.error["reason"]) == ("coupon_not_applicable", reason)
        assert response.error["message"]


def test_a_coupon_below_its_minimum_spend_is_refused_with_the_reason(deps, stations, quote, shop):
    book = deps.store.price_books.price_book(stations.substation)
    deps.store.price_books.put_price_book(book.model_copy(update={"coupons": (
        CouponRule(code="BIGONLY", kind="fixed", amount=500, min_spend=50000),)}))
    refused = quote(email=ALICE, coupon="BIGONLY")
    assert (refused.status, refused.error["reason"]) == (422, "coupon_min_spend")


def test_a_coupon_that_could_take_nothing_off_is_refused_and_not_spent(deps, stations, sku_with_keys, events):
    floor = sku_with_keys(3, price=WHOLESALE, wholesale=WHOLESALE, substation_price=WHOLESALE)
    book = deps.store.price_books.price_book(stations.substation)
    deps.store.price_books.put_price_book(book.model_copy(update={"coupons": COUPONS}))
    fields = {"station": stations.substation, "sku": floor.sku, "quantity": 1, "email": ALICE,
              "query_password": QUERY_PASSWORD, "coupon": "PERCENT5"}
    refused = Response(checkout_handler.handler(events.checkout(fields), None))
    assert (refused.status, refused.error["reason"]) == (422, "coupon_no_room")
    assert floor.stock().reserved == 0


def test_a_discount_never_takes_the_price_below_wholesale(deps, stations, buy):
    book = deps.store.price_books.price_book(stations.substation)
    deps.store.price_books.put_price_book(book.model_copy(update={"coupons": (
        CouponRule(code="HUGE", kind="fixed", amount=99999),)}))
    assert buy(ALICE, coupon="HUGE").json["total"] == WHOLESALE


# ---------------------------------------------------------------- referrals, commissions, points


def test_a_referred_shopper_is_bound_once_and_gets_the_welcome_coupon(sign_in_as, account):
    alice, _ = sign_in_as(ALICE)
    code = account(alice)["referral"]["code"]
    assert account(alice)["referral"]["link"].endswith(f"/?ref={code}")
    bob, answer = sign_in_as(BOB, ref=code.lower())
    assert answer["referral"] == {"bound": True, "welcome_coupon": 500}
    assert [(c["source"], c["amount"], c["state"]) for c in account(bob)["coupons"]] == [("welcome", 500, "available")]
    assert account(alice)["referral"]["invitees"] == 1
    # a second link later changes nothing: the first binding wins
    carol, _ = sign_in_as(CAROL)
    _, again = sign_in_as(BOB, ref=account(carol)["referral"]["code"])
    assert (again["referral"]["bound"], again["referral"]["code"]) == (False, "referral_refused")
    assert account(carol)["referral"]["invitees"] == 0


def test_a_shopper_cannot_refer_themselves_and_a_customer_is_not_new(bought, sign_in_as, account):
    alice, _ = sign_in_as(ALICE)
    code = account(alice)["referral"]["code"]
    _, own = sign_in_as(ALICE, ref=code)
    assert own["referral"]["bound"] is False and "自己" in own["referral"]["message"]
    bought(BOB)
    _, customer = sign_in_as(BOB, ref=code)
    assert customer["referral"]["bound"] is False and "新用户" in customer["referral"]["message"]
    _, unknown = sign_in_as(CAROL, ref="NOSUCHCODE")
    assert unknown["referral"]["bound"] is False


def test_commissions_reach_three_levels_are_held_then_withdrawable_and_a_refund_reverses_them(
        deps, bought, sign_in_as, account, clock):
    # alice ← bob ← carol ← dave: dave's order pays carol 10 %, bob 5 %, alice 3 % of the 10.00 margin
    sessions = {ALICE: sign_in_as(ALICE)[0]}
    for invitee, referrer in ((BOB, ALICE), (CAROL, BOB), (DAVE, CAROL)):
        sessions[invitee], answer = sign_in_as(invitee, ref=account(sessions[referrer])["referral"]["code"])
        assert answer["referral"]["bound"]
    placed = bought(DAVE)
    order = order_of(deps, placed)
    assert [(c.level, c.amount) for c in order.commissions] == [(1, 100), (2, 50), (3, 30)]
    pending = {email: account(sessions[email])["referral"]["pending"] for email in (CAROL, BOB, ALICE)}
    assert pending == {CAROL: 100, BOB: 50, ALICE: 30}
    clock.advance(days=7, seconds=1)
    assert account(sessions[CAROL])["referral"]["withdrawable"] == 100
    refund_order(placed.order_id, "owner refund", deps)
    after = account(sessions[CAROL])["referral"]
    assert (after["withdrawable"], after["pending"], after["reversed"]) == (0, 0, 100)
    assert sum(entry.amount for entry in deps.store.orders.ledger(placed.order_id)) == 0


def test_the_referrer_is_rewarded_once_on_the_invitees_first_delivered_order(bought, sign_in_as, account):
    alice, _ = sign_in_as(ALICE)
    sign_in_as(BOB, ref=account(alice)["referral"]["code"])
    bought(BOB)
    bought(BOB)
    rewards = [c for c in account(alice)["coupons"] if c["source"] == "referral_reward"]
    assert [(c["amount"], c["state"]) for c in rewards] == [(200, "available")]


def test_the_welcome_coupon_pays_once_and_only_for_its_owner(deps, buy, sign_in_as, account):
    alice, _ = sign_in_as(ALICE)
    bob, _ = sign_in_as(BOB, ref=account(alice)["referral"]["code"])
    (welcome,) = account(bob)["coupons"]
    stolen = buy(CAROL, coupon=welcome["code"])
    assert (stolen.status, stolen.error["reason"]) == (422, "coupon_unknown")
    # Bob's code and Bob's e-mail typed by anyone: the coupon needs Bob signed in.
    typed = buy(BOB, coupon=welcome["code"])
    assert (typed.status, typed.error["reason"]) == (422, "coupon_sign_in")
    assert buy(BOB, session=bob, coupon=welcome["code"]).json["total"] == PRICE - 500
    assert buy(BOB, session=bob, coupon=welcome["code"]).status == 409
    assert account(bob)["coupons"][0]["state"] == "used"


def test_points_are_earned_redeemed_into_a_coupon_and_clawed_back_by_a_refund(deps, bought, sign_in_as, account, api_event):
    placed = bought(ALICE)
    alice, _ = sign_in_as(ALICE)
    assert account(alice)["points"]["balance"] == 105  # 1 point per whole yuan of 105.00

    def redeem() -> Response:
        return Response(account_handler.redeem_points(with_session(api_event("POST", "/api/account/points/redeem", body={}), alice), None))

    redeemed = redeem()
    assert redeemed.status == 201, redeemed.raw
    assert (redeemed.json["points"], redeemed.json["coupon"]["amount"]) == (5, 100)
    refused = redeem()
    assert (refused.status, refused.error["code"]) == (409, "not_enough_points")
    refund_order(placed.order_id, "owner refund", deps)
    # the refund takes back all 105: the balance goes below zero rather than the coupon being unmade
    assert account(alice)["points"]["balance"] == -100


def test_redeeming_needs_a_session(api_event):
    response = Response(account_handler.redeem_points(api_event("POST", "/api/account/points/redeem", body={}), None))
    assert (response.status, response.error["code"]) == (401, "signed_out")


# ---------------------------------------------------------------- withdrawals of commissions


@pytest.fixture
def withdraw(api_event):
    def post(session: str | None, **fields) -> Response:
        body = {"method": "alipay", "account": "13800000000", "name": "张三", **fields}
        event = with_session(api_event("POST", "/api/account/withdrawals", body=body), session)
        return Response(account_handler.request_withdrawal(event, None))

    return post


def test_matured_commissions_are_withdrawn_once_and_refunds_after_that_are_made_up_later(
        deps, bought, sign_in_as, account, clock, withdraw):
    alice, _ = sign_in_as(ALICE)
    sign_in_as(BOB, ref=account(alice)["referral"]["code"])
    first = bought(BOB)
    bought(BOB)  # two orders: 2 × 10 % of the 10.00 margin
    held = withdraw(alice)
    assert (held.status, held.error["code"]) == (409, "nothing_to_withdraw")  # still in the holding period
    clock.advance(days=7, seconds=1)
    asked = withdraw(alice)
    assert asked.status == 201, asked.raw
    assert (asked.json["withdrawal"]["amount"], asked.json["withdrawal"]["account"]) == (200, "138***00")
    again = withdraw(alice)
    assert (again.status, again.error["code"]) == (409, "nothing_to_withdraw")
    referral = account(alice)["referral"]
    assert (referral["withdrawable"], [w["status"] for w in referral["withdrawals"]]) == (0, ["requested"])
    refund_order(first.order_id, "owner refund", deps)
    # the refunded order's commission was already asked for: the next ones make it up first
    assert account(alice)["referral"]["withdrawable"] == -100


def test_a_withdrawal_needs_a_session_and_a_payout_account(withdraw, sign_in_as):
    assert withdraw(None).status == 401
    alice, _ = sign_in_as(ALICE)
    bad = withdraw(alice, method="paypal", account="x")
    assert bad.status == 400 and {f["loc"] for f in bad.error["fields"]} == {"method", "account"}


# ---------------------------------------------------------------- hostile and unlucky requests


@pytest.mark.parametrize("cookie", ["eA.é", "..", "x" * 4000, "eyJrIjoxfQ.sig"])
def test_a_garbled_session_cookie_prices_as_a_guest_never_a_500(buy, quote, cookie):
    assert quote(session=cookie).status == 200
    assert buy(ALICE, session=cookie).status == 201


def test_a_quote_does_not_tell_a_stranger_whether_an_address_used_its_coupon(bought, quote, sign_in_as):
    bought(BOB, coupon="TENOFF")
    assert quote(email=BOB, coupon="TENOFF").status == quote(email=ALICE, coupon="TENOFF").status == 200
    bob, _ = sign_in_as(BOB)
    own = quote(session=bob, email=BOB, coupon="TENOFF")
    assert (own.status, own.error["code"]) == (409, "coupon_used_up")  # the owner, signed in, is told


def test_a_busy_store_while_binding_a_referral_still_signs_the_shopper_in(deps, sign_in_as, account, monkeypatch):
    from kameng.domain.errors import Busy

    alice, _ = sign_in_as(ALICE)
    code = account(alice)["referral"]["code"]

    def conflicting(*args, **kwargs):
        raise Busy("the referrer's record kept changing")

    monkeypatch.setattr(deps.store.members, "bind_referrer", conflicting)
    bob, answer = sign_in_as(BOB, ref=code)
    assert bob and answer["referral"] == {"bound": False, "code": "busy", "message": "the referrer's record kept changing"}
    assert account(bob)["email_masked"] == "b***b@example.com"


@pytest.mark.parametrize("fields", [
    {"account": "138\x1b[2J0000"}, {"name": "张三\r李四"}, {"account": "a b c"}, {"method": True},
])
def test_payout_fields_with_control_characters_are_refused(withdraw, sign_in_as, fields):
    alice, _ = sign_in_as(ALICE)
    refused = withdraw(alice, **fields)
    assert (refused.status, refused.error["code"]) == (400, "invalid_request")


def test_discounts_and_commissions_sent_by_the_browser_are_ignored(deps, buy, events, stations, shop):
    fields = {"station": stations.substation, "sku": shop.sku, "quantity": 1, "email": ALICE,
              "query_password": QUERY_PASSWORD, "total": 1, "level_discount": PRICE - 1, "coupon_discount": PRICE,
              "level": "黄金", "commissions": [{"referrer": "me", "level": 1, "amount": 9999}], "unit_price": 1}
    placed = Response(checkout_handler.handler(events.checkout(fields), None))
    assert (placed.status, placed.json["total"], placed.json["level_discount"], placed.json["coupon_discount"]) == (
        201, PRICE, 0, 0)
    assert deps.store.orders.order(placed.json["order_id"]).commissions == ()
