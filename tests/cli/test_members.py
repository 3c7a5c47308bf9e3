"""`kameng member` and `kameng give-coupon`: a shopper's standing as their account page shows it, and a coupon for them."""
from datetime import timedelta

from kameng.domain.coupons import CouponRule
from kameng.domain.member import IssuedCoupon
from kameng.services import account
from kameng.services.checkout import CheckoutRequest, place

from .conftest import STEAM, SUBSTATION, json_of
from .test_orders import stocked


def test_member_shows_a_shoppers_standing_and_give_coupon_gives_them_one_they_can_use(shop, kameng, keys_file):
    stocked(kameng, keys_file)
    shop.pay(shop.place(STEAM, email="Buyer@Example.com"))
    before = json_of(kameng("member", "game-zone", "buyer@example.com", "--json"))
    assert (before["spend"], before["orders_delivered"], before["coupons"]) == (10500, 1, [])

    given = kameng("give-coupon", "game-zone", "BUYER@example.com", "5.00", "--days", "30")
    assert given.code == 0, given.err
    code = given.out.split()[1].rstrip(":")
    shown = json_of(kameng("member", "game-zone", "buyer@example.com", "--json"))
    assert [(c["code"], c["amount"], c["source"], c["used"]) for c in shown["coupons"]] == [(code, 500, "owner", 0)]
    assert f"coupon {code}  ¥5.00  owner  available" in kameng("member", "game-zone", "buyer@example.com").out

    request = CheckoutRequest(station="game-zone", sku=STEAM, quantity=1, email="buyer@example.com",
                              query_password="8642", coupon=code.lower())
    owner = shop.deps.cipher.keyed_hash("shopper", "buyer@example.com")
    assert place(request, shop.deps, session_shopper=owner).order.coupon_discount == 500  # signed in as its owner
    bad = kameng("give-coupon", "game-zone", "buyer@example.com", "five")
    assert bad.code == 2 and "AMOUNT: expected an amount" in bad.err
    nobody = kameng("give-coupon", "game-zone", "not-an-email", "5")
    assert nobody.code == 2 and "EMAIL: expected an e-mail address" in nobody.err


def test_the_owners_member_view_and_the_account_page_agree_on_what_a_used_coupon_is(shop, kameng, keys_file):
    stocked(kameng, keys_file)
    owner_key = shop.deps.cipher.keyed_hash("shopper", "buyer@example.com")
    given = kameng("give-coupon", SUBSTATION, "buyer@example.com", "5.00").out.split()[1].rstrip(":")
    # A coupon that allows three uses and one order took is still there to use.
    team = IssuedCoupon(station=SUBSTATION, owner=owner_key, source="owner", issued_at=shop.deps.clock(),
                        rule=CouponRule(code="TEAMTHREE001", kind="fixed", amount=300, max_uses=3))
    shop.deps.store.members.issue_coupon(team)
    for code in (given, team.code):
        request = CheckoutRequest(station=SUBSTATION, sku=STEAM, quantity=1, email="buyer@example.com",
                                  query_password="8642", coupon=code)
        place(request, shop.deps, session_shopper=owner_key)

    owner = {c["code"]: c["state"] for c in json_of(kameng("member", SUBSTATION, "buyer@example.com", "--json"))["coupons"]}
    session = account.Session(owner_key, SUBSTATION, "b***r@example.com", shop.deps.clock() + timedelta(days=1))
    shopper = {c["code"]: c["state"] for c in account.overview(session, shop.deps)["coupons"]}
    text = kameng("member", SUBSTATION, "buyer@example.com").out

    assert owner == shopper == {given: "used", team.code: "available"}
    assert f"coupon {given}  ¥5.00  owner  used" in text
    assert f"coupon {team.code}  ¥3.00  owner  available" in text
