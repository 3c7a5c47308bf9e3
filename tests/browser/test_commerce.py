"""A shopper in a real Chromium sees coupons and member prices before paying, joins through a
friend's referral link, and turns points into a coupon on the account page (game-zone's demo rules)."""
from __future__ import annotations

import re
import secrets
from decimal import ROUND_HALF_UP, Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e.test_account import sign_in_link

pytestmark = pytest.mark.browser
STATION, PRODUCT, SKU = "game-zone", "qq-coin", "qq-coin-30"
PAY_PAGE = re.compile(r"/_sandbox/pay/cs_test_")


@pytest.fixture(scope="module")
def keys(shop, tmp_path_factory):
    made = [f"COMMERCE-{secrets.token_hex(5).upper()}" for _ in range(10)]
    shop.import_keys(SKU, made, tmp_path_factory.mktemp("keys"))
    return made


@pytest.fixture
def context(browser):
    made = browser.new_context()
    errors: list[str] = []
    made.on("weberror", lambda error: errors.append(str(error.error)))
    yield made
    made.close()
    assert not errors, errors


def fresh_email(name: str) -> str:
    return f"{name}-{secrets.token_hex(3)}@example.com"


def yuan(text: str) -> Decimal:
    return Decimal(re.sub(r"[^\d.-]", "", text))


def fill_buy_form(page, shop, email: str) -> None:
    page.goto(f"http://{shop.host(STATION)}/p/{PRODUCT}/")
    page.locator(f"input[name=sku][value='{SKU}']").check()
    page.fill("input[name=email]", email)
    page.fill("input[name=query_password]", "5678")
    # The card rail: these tests pay on Stripe's sandbox page (tests/browser/test_payment_rails.py pays by the others).
    page.check("input[name=rail][value=stripe]")


def sign_in(page, shop, email: str) -> None:
    page.goto(f"http://{shop.host(STATION)}/account/")
    page.wait_for_selector("#account-sign-in:not([hidden])")
    page.fill("#account-sign-in-form input[name=email]", email)
    page.click("#account-sign-in-submit")
    page.wait_for_selector("#account-status:not(:empty)")
    page.goto(sign_in_link(shop, email))
    page.wait_for_selector("#account:not([hidden])")


def test_a_coupon_shows_its_discount_before_payment_and_the_order_is_charged_that_total(context, shop, keys):
    page = context.new_page()
    fill_buy_form(page, shop, fresh_email("coupon"))
    page.fill("#buy-coupon", "qq99")  # typed in any case
    assert page.locator("#buy-referral-hint").is_hidden()  # no referral link was followed here

    expect(page.locator("#quote-coupon")).to_be_visible()
    subtotal = yuan(page.locator("#quote-subtotal").inner_text())
    off = (subtotal * Decimal("0.01")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert yuan(page.locator("#quote-coupon").inner_text()) == -off
    assert "QQ99" in page.locator("#quote-coupon-label").inner_text()
    # One total: 合计 follows the quote, the breakdown sits beneath it.
    expect(page.locator("#buy-total")).to_have_text(f"¥{subtotal - off}")
    to_pay = page.locator("#buy-total").inner_text()
    assert page.locator("#quote-coupon-capped").is_hidden()  # 1 % of the price leaves room above wholesale
    assert page.locator("#buy-coupon-error").inner_text() == ""

    page.click("#buy-submit")
    page.wait_for_url(PAY_PAGE)
    assert page.locator("#pay-amount").inner_text() == to_pay
    page.click("#pay-succeed")
    page.wait_for_url(re.compile(r"/order/\?id="))
    expect(page.locator("#order-summary")).to_contain_text(to_pay)
    assert "QQ99" in page.locator("#order-summary").inner_text()


def test_a_coupon_cut_by_the_wholesale_floor_shows_one_total_and_says_so(context, shop, keys, tmp_path):
    shop.import_keys(SKU, [f"CAPPED-{secrets.token_hex(5).upper()}" for _ in range(4)], tmp_path)  # this order's own
    # WELCOME10 (10.00 off from 100.00) on four 30 Q 币 keys: the price is less than 10.00 above wholesale.
    asked = {"station": STATION, "sku": SKU, "quantity": 4, "coupon": "WELCOME10"}
    quoted = shop.post("/api/quote", json=asked).json()
    assert quoted["coupon_capped"] and 0 < quoted["coupon_discount"] < 1000
    page = context.new_page()
    fill_buy_form(page, shop, fresh_email("capped"))
    page.fill("#buy-quantity", "4")
    page.fill("#buy-coupon", "welcome10")

    total = f"¥{Decimal(quoted['total']) / 100:.2f}"
    off = f"¥{Decimal(quoted['coupon_discount']) / 100:.2f}"
    expect(page.locator("#quote-coupon-capped")).to_have_text(f"优惠券已按最低价调整：本单最多可减 {off}")
    expect(page.locator("#buy-total")).to_have_text(total)
    assert page.locator("#quote-coupon").inner_text() == "-" + off
    # No second, different amount to pay anywhere on the form.
    amounts = set(re.findall(r"¥[\d,.]+", page.locator("#buy-form").inner_text()))
    assert total in amounts and "应付金额" not in page.locator("#buy-form").inner_text()

    page.click("#buy-submit")
    page.wait_for_url(PAY_PAGE)
    assert page.locator("#pay-amount").inner_text() == total


def test_an_unknown_code_gets_the_servers_message_inline_and_a_blank_code_does_not_block_checkout(context, shop, keys):
    refused = shop.post("/api/quote", json={"station": STATION, "sku": SKU, "quantity": 1, "coupon": "NO-SUCH-CODE"})
    assert refused.status_code == 422
    page = context.new_page()
    fill_buy_form(page, shop, fresh_email("blank"))

    page.fill("#buy-coupon", "NO-SUCH-CODE")
    expect(page.locator("#buy-coupon-error")).to_have_text(refused.json()["error"]["message"])
    assert page.locator("#buy-quote").is_hidden()
    page.fill("#buy-coupon", "")
    expect(page.locator("#buy-coupon-error")).to_be_empty()

    estimate = page.locator("#buy-total").inner_text()
    page.click("#buy-submit")
    page.wait_for_url(PAY_PAGE)
    assert page.locator("#pay-amount").inner_text() == estimate


def test_a_friend_who_opens_a_referral_link_and_signs_in_gets_the_welcome_coupon(browser, context, shop):
    referrer = context.new_page()
    sign_in(referrer, shop, fresh_email("referrer"))
    link = referrer.locator("#account-referral-link").input_value()
    assert re.fullmatch(rf"http://{re.escape(shop.host(STATION))}/\?ref=[A-Z0-9]+", link)
    expect(referrer.locator("#account-referral-invitees")).to_have_text("已邀请 0 人")

    friend_context = browser.new_context()
    friend = friend_context.new_page()
    friend.goto(link)
    friend.goto(f"http://{shop.host(STATION)}/p/{PRODUCT}/")  # the code stays while the friend browses
    expect(friend.locator("#buy-referral-hint")).to_be_visible()  # signing in first brings the welcome coupon
    assert "¥5.00" in friend.locator("#buy-referral-hint").inner_text()
    sign_in(friend, shop, fresh_email("friend"))

    expect(friend.locator("#account-welcome")).to_be_visible()
    assert "¥5.00" in friend.locator("#account-welcome").inner_text()
    welcome = friend.locator("#account-coupon-list .coupon[data-state=available]")
    expect(welcome).to_have_count(1)
    assert "¥5.00" in welcome.inner_text() and "新人券" in welcome.inner_text()
    assert friend.evaluate("localStorage.getItem('kameng.ref')") is None
    friend_context.close()

    referrer.reload()
    expect(referrer.locator("#account-referral-invitees")).to_have_text("已邀请 1 人")


def test_points_from_a_delivered_order_become_a_coupon_on_the_account_page(context, shop, keys):
    email = fresh_email("points")
    placed = shop.post("/api/checkout", json={"station": STATION, "sku": SKU, "quantity": 4, "email": email,
                                              "query_password": "4321", "rail": "stripe"}).json()
    assert placed["total"] >= 100_00  # game-zone: 1 point per yuan, 100 points for a 1.00 coupon
    paid = shop.post(shop.pay_page(placed), data={"action": "pay", "method": "card"})
    assert paid.status_code == 303
    points = placed["total"] // 100

    page = context.new_page()
    sign_in(page, shop, email)
    balance = page.locator("#account-points-balance")
    assert balance.inner_text() == str(points)
    assert "白银" in page.locator("#account-level").inner_text()  # the next level, with how far it is
    assert page.locator("#account-level-progress").is_visible()

    page.click("#account-redeem")
    expect(balance).to_have_text(str(points - 100))
    expect(page.locator("#account-redeem")).to_be_disabled()
    coupon = page.locator("#account-coupon-list .coupon[data-state=available]")
    expect(coupon).to_have_count(1)
    assert "¥1.00" in coupon.inner_text()
    assert coupon.get_attribute("data-code") in page.locator("#account-redeem-message").inner_text()


def test_without_javascript_the_coupon_is_posted_with_the_form(browser, shop, keys):
    quoted = shop.post("/api/quote", json={"station": STATION, "sku": SKU, "quantity": 1, "coupon": "QQ99"}).json()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    fill_buy_form(page, shop, fresh_email("nojs"))
    page.fill("#buy-coupon", "QQ99")
    page.click("#buy-submit")
    page.wait_for_url(PAY_PAGE)
    assert yuan(page.locator("#pay-amount").inner_text()) * 100 == quoted["total"] < quoted["subtotal"]
    context.close()


def test_a_referrer_asks_for_matured_commissions_and_sees_the_owner_pay_them(context, shop, tmp_path):
    import sqlite3

    # Two keys at 6.30 over wholesale each: 12.60 of margin, 1.26 at 10 %, above the 1.00 a withdrawal needs.
    shop.import_keys("hok-3280", [f"HOK-{secrets.token_hex(5).upper()}" for _ in range(2)], tmp_path)
    page = context.new_page()
    sign_in(page, shop, fresh_email("earner"))
    code = page.locator("#account-referral-link").input_value().rsplit("=", 1)[1]
    # Nothing withdrawable yet: no form, a line saying when commissions can be withdrawn.
    expect(page.locator("#account-withdraw-nothing")).to_be_visible()
    expect(page.locator("#account-withdraw")).to_have_count(0)

    # A friend joins through the link, buys and pays; the holding period then passes.
    friend = fresh_email("buyer")
    assert shop.post("/api/account/sign-in", json={"station": STATION, "email": friend},
                     headers={"Host": shop.host(STATION)}).status_code == 202
    token = sign_in_link(shop, friend).split("#signin=", 1)[1]
    joined = shop.post("/api/account/session", json={"token": token, "ref": code}, headers={"Host": shop.host(STATION)})
    assert joined.json()["referral"]["bound"] is True
    placed = shop.post("/api/checkout", json={"station": STATION, "sku": "hok-3280", "quantity": 2, "email": friend,
                                              "query_password": "4321", "rail": "stripe"}).json()
    assert shop.post(shop.pay_page(placed), data={"action": "pay", "method": "card"}).status_code == 303
    with sqlite3.connect(shop.data_dir / "kameng.db") as db:
        assert db.execute("UPDATE earnings SET available_at = '2000-01-01T00:00:00.000000Z'").rowcount == 1

    page.reload()
    withdrawable = page.locator("#account-referral-withdrawable").inner_text()
    assert yuan(withdrawable) >= Decimal("1.00")
    page.select_option("#account-withdraw select[name=method]", "alipay")
    page.fill("#account-withdraw input[name=account]", "13800001234")
    page.fill("#account-withdraw input[name=name]", "李四")
    page.click("#account-withdraw button")
    expect(page.locator("#account-withdraw-message")).to_contain_text(withdrawable)
    expect(page.locator("#account-withdrawals .withdrawal[data-status=requested]")).to_have_count(1)
    expect(page.locator("#account-referral-withdrawable")).to_have_text("¥0.00")

    listed = shop.kameng("withdrawals", STATION, "--status", "requested", "--json")
    (asked,) = [w for w in __import__("json").loads(listed.stdout) if w["account"] == "13800001234"]
    assert shop.kameng("withdrawals", STATION, "--pay", asked["id"]).returncode == 0
    page.reload()
    expect(page.locator("#account-withdrawals .withdrawal[data-status=paid]")).to_have_count(1)
    assert "已打款" in page.locator("#account-withdrawals").inner_text()
