"""Every page a shopper or an owner sees passes axe-core with no violation of any impact, on a phone-sized and
a desktop-sized window, on a Chinese substation with an orange brand, on an English one and on one in the second theme."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.test_console import ask_for_link, console_link
from tests.e2e.test_account import sign_in_link

pytestmark = pytest.mark.browser
VIEWPORTS = ({"width": 390, "height": 844}, {"width": 1280, "height": 800})
# station: (a category, a product, a SKU of it)
STATIONS = {"game-zone": ("game-cards", "qq-coin", "qq-coin-10"),
            "global-cards": ("gift-cards", "steam-wallet", "steam-cny-50"),
            "av-club": ("video-vip", "iqiyi-vip", "iqiyi-gold-month")}  # the second theme, paper
OWNER = "a11y-owner@example.com"
AXE = Axe()


@pytest.fixture(scope="module")
def orders(shop, tmp_path_factory):
    """Per station: a delivered order (paid by card) and one waiting on the WeChat QR code of the shop's pay page."""
    made = {}
    for station, (_, _, sku) in STATIONS.items():
        shop.import_keys(sku, [f"A11Y-{secrets.token_hex(5).upper()}" for _ in range(3)], tmp_path_factory.mktemp("keys"))
        email = f"a11y-{station}@example.com"
        placed = {rail: shop.post("/api/checkout", json={"station": station, "sku": sku, "quantity": 1, "email": email,
                                                         "query_password": "4321", "rail": rail}).json()
                  for rail in ("stripe", "wechat")}
        assert shop.post(shop.pay_page(placed["stripe"]), data={"action": "pay", "method": "card"}).status_code == 303
        made[station] = (email, placed)
    return made


def violations(page) -> list[str]:
    """axe's findings on the page at each window size, one line per rule and element, so a failure names the fix."""
    found = []
    for size in VIEWPORTS:
        page.set_viewport_size(size)
        result = AXE.run(page, options={"resultTypes": ["violations"]})
        for rule in result.response["violations"]:
            for node in rule["nodes"]:
                found.append(f"{size['width']}px {rule['id']} ({rule['impact']}): {' '.join(node['target'])}"
                             f" — {node.get('failureSummary', '').splitlines()[-1].strip()}")
    return found


def check(page, where: str, failures: dict) -> None:
    found = violations(page)
    if found:
        failures[f"{where} {page.url}"] = found


def skipped_to_the_content(page) -> None:
    """The first Tab shows a link that moves the keyboard past the header, straight to the page's content."""
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.get_attribute("href") == "#main"
    assert skip.inner_text() in ("跳到正文", "Skip to content") and skip.is_visible()
    assert skip.bounding_box()["y"] >= 0  # on screen once focused, not only in the DOM
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")


def facts_stack_on_a_phone(page) -> None:
    """On a phone each label of the account's facts sits above its value; on a desktop beside it."""
    label, value = page.locator(".account-facts dt").first, page.locator(".account-facts dd").first
    page.set_viewport_size(VIEWPORTS[0])
    assert value.bounding_box()["y"] >= label.bounding_box()["y"] + label.bounding_box()["height"]
    assert value.bounding_box()["x"] == pytest.approx(label.bounding_box()["x"], abs=1)
    page.set_viewport_size(VIEWPORTS[1])
    assert value.bounding_box()["x"] > label.bounding_box()["x"] + label.bounding_box()["width"]


def report(failures: dict) -> str:
    return "\n".join(f"{where}\n  " + "\n  ".join(lines) for where, lines in failures.items())


@pytest.mark.parametrize("station", list(STATIONS))
def test_the_shopper_pages_have_no_axe_violations(browser, shop, orders, station):
    category, product, _ = STATIONS[station]
    email, placed = orders[station]
    site = f"http://{shop.host(station)}"
    context = browser.new_context(viewport=VIEWPORTS[0])
    page = context.new_page()
    failures: dict[str, list[str]] = {}

    for path, ready in (("/", "main"), (f"/c/{category}/", "main"), (f"/p/{product}/", ".stock:not(:empty)")):
        page.goto(site + path)
        page.wait_for_selector(ready)
        check(page, "page", failures)
    skipped_to_the_content(page)

    order = urlsplit(placed["stripe"]["order_url"])
    page.goto(f"{site}{order.path}?{order.query}#{order.fragment}")
    page.locator(".card-key code").first.wait_for()
    check(page, "delivered order", failures)

    page.goto(site + "/order/")
    page.fill("#lookup-form input[name=email]", email)
    page.fill("#lookup-form input[name=query_password]", "4321")
    page.click("#lookup-submit")
    page.locator(".order-result .card-key code").first.wait_for()
    check(page, "lookup results", failures)

    page.goto(site + "/account/")
    page.wait_for_selector("#account-sign-in:not([hidden])")
    check(page, "account, signed out", failures)
    page.fill("#account-sign-in-form input[name=email]", email)
    page.click("#account-sign-in-submit")
    page.wait_for_selector("#account-status:not(:empty)")
    page.goto(sign_in_link(shop, email))
    page.locator("#account-orders .card-key code").first.wait_for()
    check(page, "account, signed in", failures)
    facts_stack_on_a_phone(page)

    page.goto(placed["wechat"]["pay_url"].replace(urlsplit(placed["wechat"]["pay_url"]).netloc, shop.host(station)))
    page.wait_for_selector("img#pay-qr")
    check(page, "pay page (WeChat QR)", failures)

    # The card sandbox's pay page, where `make serve` sends a shopper who pays by card.
    unpaid = shop.post("/api/checkout", json={"station": station, "sku": STATIONS[station][2], "quantity": 1,
                                              "email": email, "query_password": "4321", "rail": "stripe"}).json()
    page.goto(f"http://{shop.host(station)}{shop.pay_page(unpaid)}")
    page.wait_for_selector("#pay-form")
    check(page, "card sandbox pay page", failures)
    context.close()
    assert not failures, report(failures)


@pytest.fixture(scope="module")
def owner(shop):
    added = shop.kameng("owners", "add", OWNER, "--role", "station_owner", "--station", "game-zone")
    assert added.returncode == 0, added.stderr
    return OWNER


def test_the_console_has_no_axe_violations(browser, shop, orders, owner):
    context = browser.new_context(viewport=VIEWPORTS[0])
    page = context.new_page()
    failures: dict[str, list[str]] = {}
    ask_for_link(page, shop, owner)
    check(page, "console sign-in", failures)
    page.goto(console_link(shop, owner))
    page.wait_for_function("() => document.getElementById('totp-qr').naturalWidth > 0")
    check(page, "console authenticator", failures)
    page.fill("#totp-code", pyotp.TOTP(page.locator("#totp-secret").inner_text().strip()).now())
    page.click("#totp-submit")
    page.wait_for_selector("#view .period[data-period='30']")
    check(page, "console dashboard", failures)

    order_id = orders["game-zone"][1]["stripe"]["order_id"]
    page.click("#nav a[href='#/orders']")
    page.wait_for_selector(f"#order-results a[href='#/orders/{order_id}']")
    check(page, "console orders", failures)
    page.click(f"#order-results a[href='#/orders/{order_id}']")
    page.wait_for_selector("#view .facts")
    check(page, "console order", failures)
    context.close()
    assert not failures, report(failures)
