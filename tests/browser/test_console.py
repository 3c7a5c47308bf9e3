"""An owner in a real Chromium signs in to the console with the mailed link and TOTP and sees the dashboard."""
from __future__ import annotations

import re
import secrets
from email import message_from_bytes, policy

import pyotp
import pytest

pytestmark = pytest.mark.browser
STATION = "game-zone"
SKU = "qq-coin-10"
OWNER = "console-owner@example.com"


def console_link(shop, to: str) -> str:
    """The console address with the token of the newest owner sign-in mail to this address."""
    for path in sorted((shop.data_dir / "outbox").glob("*.eml"), reverse=True):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == to:
            token = re.search(r"#signin=([\w.~-]+)", message.get_content()).group(1)
            return f"http://console.localhost:{shop.port}/#signin={token}"
    raise AssertionError(f"no mail to {to} in the outbox")


@pytest.fixture(scope="module")
def owner(shop):
    added = shop.kameng("owners", "add", OWNER, "--role", "station_owner", "--station", STATION)
    assert added.returncode == 0, added.stderr
    return OWNER


@pytest.fixture(scope="module")
def delivered_order(shop, tmp_path_factory):
    key = f"CONSOLE-{secrets.token_hex(5).upper()}"
    shop.import_keys(SKU, [key], tmp_path_factory.mktemp("keys"))
    placed = shop.post("/api/checkout", json={"station": STATION, "sku": SKU, "quantity": 1,
                                              "email": "buyer@example.com", "query_password": "4321", "rail": "stripe"}).json()
    assert shop.post(shop.pay_page(placed), data={"action": "pay", "method": "card"}).status_code == 303
    return placed["order_id"], key


def opened(browser):
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def ask_for_link(page, shop, email: str) -> None:
    page.goto(f"http://console.localhost:{shop.port}/")
    page.wait_for_selector("#sign-in:not([hidden])")
    page.fill("#sign-in-email", email)
    page.click("#sign-in-submit")
    page.wait_for_selector("#sign-in-sent:not([hidden])")


def test_the_console_opens_on_its_sign_in_page(browser, shop):
    context, page, errors = opened(browser)
    response = page.goto(f"http://console.localhost:{shop.port}/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector("#sign-in:not([hidden])")
    assert page.locator("#app").is_hidden() and page.locator("#totp").is_hidden()
    assert page.locator("#status").inner_text() == ""
    assert not errors, errors
    context.close()


def test_a_station_owner_signs_in_with_the_link_and_a_new_authenticator_and_sees_the_dashboard_and_orders(
    browser, shop, owner, delivered_order
):
    context, page, errors = opened(browser)
    ask_for_link(page, shop, owner)
    page.goto(console_link(shop, owner))
    page.wait_for_selector("#totp-enrol:not([hidden])")
    assert "#signin=" not in page.url  # the single-use token leaves the address bar
    assert page.locator("#totp-who").inner_text().endswith("c***r@example.com")
    page.wait_for_function("() => document.getElementById('totp-qr').naturalWidth > 0")
    secret = page.locator("#totp-secret").inner_text().strip()
    page.fill("#totp-code", pyotp.TOTP(secret).now())
    page.click("#totp-submit")

    page.wait_for_selector("#app:not([hidden])")
    assert page.locator("#me-email").inner_text() == owner
    assert page.locator("#station-switcher").is_hidden()  # one station: nothing to switch
    assert page.locator("#nav a[aria-current=page]").inner_text() == "数据概览"
    page.wait_for_selector("#view .period[data-period='30']")
    assert page.locator("#view h2").inner_text() == f"数据概览 · {STATION}"
    assert re.fullmatch(r"¥[\d,]+\.\d\d", page.locator(".period[data-period='30'] [data-figure=gmv] dd").inner_text())
    assert page.locator("#view .chart canvas").count() == 1
    csv = page.locator("#view figure.table a.csv").first.get_attribute("href")
    assert csv.startswith(f"/api/owner/stations/{STATION}/dashboard?format=csv&table=")
    assert not errors, errors

    order_id, key = delivered_order
    page.click("#nav a[href='#/orders']")
    page.wait_for_selector(f"#order-results a[href='#/orders/{order_id}']")
    page.click(f"#order-results a[href='#/orders/{order_id}']")
    page.wait_for_selector("#view h2:has-text('订单 ')")
    shown = page.locator("#view figure.table code").first.inner_text()
    assert key not in shown and shown  # masked until an audited reveal
    assert page.locator("#view .facts").inner_text().count("b***r@example.com") == 1
    assert not errors, errors

    page.reload()  # the session cookie keeps the owner signed in
    page.wait_for_selector("#app:not([hidden])")
    page.click("#sign-out")
    page.wait_for_selector("#sign-in:not([hidden])")
    page.reload()
    page.wait_for_selector("#sign-in:not([hidden])")
    assert page.locator("#app").is_hidden()

    # The second time the authenticator is set up already: only a code is asked for.
    ask_for_link(page, shop, owner)
    page.goto(console_link(shop, owner))
    page.wait_for_selector("#totp:not([hidden])")
    assert page.locator("#totp-enrol").is_hidden() and page.locator("#totp-form").is_visible()
    assert not errors, errors
    context.close()


def test_a_wrong_code_is_refused_with_the_apis_message(browser, shop, owner):
    context, page, errors = opened(browser)
    ask_for_link(page, shop, owner)
    page.goto(console_link(shop, owner))
    page.wait_for_selector("#totp:not([hidden])")
    page.fill("#totp-code", "000000")
    page.click("#totp-submit")
    page.wait_for_selector("#status[data-kind=error]:not(:empty)")
    assert "动态码" in page.locator("#status").inner_text()
    assert page.locator("#app").is_hidden()
    assert not errors, errors
    context.close()
