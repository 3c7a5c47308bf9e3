"""A shopper in a real Chromium signs in with the mailed link and sees the order on the account page."""
from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.e2e.test_account import sign_in_link

pytestmark = pytest.mark.browser
STATION, SKU = "game-zone", "qq-coin-10"
EMAIL = "browser-account@example.com"


@pytest.fixture(scope="module")
def delivered_key(shop, tmp_path_factory):
    key = f"ACCOUNT-{secrets.token_hex(5).upper()}"
    shop.import_keys(SKU, [key], tmp_path_factory.mktemp("keys"))
    placed = shop.post("/api/checkout", json={"station": STATION, "sku": SKU, "quantity": 1, "email": EMAIL,
                                              "query_password": "4321", "rail": "stripe"}).json()
    assert shop.post(shop.pay_page(placed), data={"action": "pay", "method": "card"}).status_code == 303
    return key


def test_a_shopper_signs_in_from_the_mailed_link_and_sees_the_key_then_signs_out(browser, shop, delivered_key):
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"http://{shop.host(STATION)}/account/")
    page.wait_for_selector("#account-sign-in:not([hidden])")
    page.fill("#account-sign-in-form input[name=email]", EMAIL)
    page.click("#account-sign-in-submit")
    page.wait_for_selector("#account-status:not(:empty)")

    page.goto(sign_in_link(shop, EMAIL))
    page.wait_for_selector("#account:not([hidden])")
    assert "#signin=" not in page.url  # the single-use token leaves the address bar
    assert page.locator("#account-email").inner_text() == "b***t@example.com"
    assert page.locator("#account-orders .card-key code").first.inner_text().strip() == delivered_key
    assert re.fullmatch(r"¥\d+\.\d\d", page.locator("#account-spend").inner_text())
    assert page.locator("#account-level").inner_text().startswith("普通")  # game-zone's first level
    page.locator("#account-orders .copy-all").click()
    expect(page.locator("#account-orders .copy-all")).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()").strip() == delivered_key
    assert page.locator("#account-orders .download").count() == page.locator("#account-orders .download-csv").count() == 1
    # Nothing earned yet: no form to ask for ¥0.00, but a line saying when earnings can be withdrawn.
    assert page.locator("#account-referral-withdrawable").inner_text() == "¥0.00"
    assert page.locator("#account-withdraw").count() == 0
    assert "7 天后" in page.locator("#account-withdraw-nothing").inner_text()  # game-zone's holding_days

    # The referral poster opens as a PNG image for the signed-in shopper.
    poster = page.locator("#account-referral-poster")
    assert poster.inner_text() == "生成推广海报"
    opened = page.goto(poster.evaluate("link => link.href"))
    assert opened.status == 200 and opened.headers["content-type"] == "image/png"
    assert opened.body().startswith(b"\x89PNG\r\n\x1a\n")
    page.go_back()
    page.wait_for_selector("#account:not([hidden])")

    page.click("#account-sign-out")
    page.reload()
    page.wait_for_selector("#account-sign-in:not([hidden])")
    assert page.locator("#account").is_hidden()
    assert not errors, errors
    context.close()
