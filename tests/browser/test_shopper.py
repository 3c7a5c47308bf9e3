"""A shopper in a real Chromium buys on a substation through the sandbox and reads the key."""
from __future__ import annotations

import csv
import io
import re
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.shopping import buy_and_read_a_key


pytestmark = pytest.mark.browser
STATION, PRODUCT, SKU = "game-zone", "qq-coin", "qq-coin-30"


@pytest.fixture(scope="module")
def keys(shop, tmp_path_factory):
    made = [f"BROWSER-{secrets.token_hex(5).upper()}" for _ in range(5)]
    shop.import_keys(SKU, made, tmp_path_factory.mktemp("keys"))
    return made


def shanghai_minute(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


def test_a_shopper_buys_with_alipay_and_reads_the_key_on_the_order_page(browser, shop, keys, tmp_path):
    context = browser.new_context(accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    page.goto(f"http://{shop.host(STATION)}/p/{PRODUCT}/")
    key = buy_and_read_a_key(page, SKU, "browser@example.com")
    assert key in keys
    order_id = re.search(r"id=([^&#]+)", page.url).group(1)
    assert page.locator("#order-id").inner_text() == order_id
    placed = page.locator("#order-created")
    # The station's clock (game-zone has no time_zone, so Shanghai), not UTC.
    assert placed.inner_text() == shanghai_minute(placed.get_attribute("datetime"))
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", placed.inner_text())
    shown = [line.inner_text().strip() for line in page.locator(".card-key code").all()]
    page.click("#copy-all-keys")
    expect(page.locator("#copy-all-keys")).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()").split() == shown
    with page.expect_download() as download:
        page.click("#download-keys")
    saved = tmp_path / "keys.txt"
    download.value.save_as(saved)
    assert key in saved.read_text()
    with page.expect_download() as download:
        page.click("#download-keys-csv")
    assert download.value.suggested_filename.endswith(".csv")
    sheet = tmp_path / "keys.csv"
    download.value.save_as(sheet)
    rows = list(csv.reader(io.StringIO(sheet.read_text("utf-8-sig"))))
    assert rows[0] == ["code", "password"] and key in {row[0] for row in rows[1:]}
    assert not errors, errors
    context.close()


def test_the_lookup_results_show_the_order_number_and_the_three_key_tools(browser, shop, keys, tmp_path):
    context = browser.new_context(accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    placed = shop.post("/api/checkout", json={"station": STATION, "sku": SKU, "quantity": 2, "email": "lookup@example.com",
                                              "query_password": "2468", "rail": "stripe"}).json()
    assert shop.post(shop.pay_page(placed), data={"action": "pay", "method": "card"}).status_code == 303
    page.goto(f"http://{shop.host(STATION)}/order/")
    page.fill("#lookup-form input[name=email]", "lookup@example.com")
    page.fill("#lookup-form input[name=query_password]", "2468")
    page.click("#lookup-submit")
    result = page.locator(".order-result").first
    result.locator(".card-key code").first.wait_for()
    order_id = result.get_attribute("data-order")
    assert f"订单号： {order_id}" in result.inner_text()
    assert "UTC" not in result.inner_text()
    shown = [line.inner_text().strip() for line in result.locator(".card-key code").all()]
    assert len(shown) == 2 and set(shown) <= set(keys)
    result.locator(".copy-all").click()
    expect(result.locator(".copy-all")).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()").split() == shown
    with page.expect_download() as download:
        result.locator(".download-csv").click()
    assert download.value.suggested_filename == order_id + ".csv"
    sheet = tmp_path / "lookup.csv"
    download.value.save_as(sheet)
    rows = list(csv.reader(io.StringIO(sheet.read_text("utf-8-sig"))))
    assert rows[0] == ["code", "password"] and [row[0] for row in rows[1:]] == shown
    context.close()


def test_the_product_page_shows_live_stock(browser, shop, keys):
    page = browser.new_page()
    page.goto(f"http://{shop.host(STATION)}/p/{PRODUCT}/")
    badge = page.locator(f".stock[data-sku='{SKU}']")
    badge.wait_for(state="visible")
    assert badge.get_attribute("data-level") in ("in_stock", "low")
    assert badge.inner_text() in ("有货", "库存紧张")
    page.close()


def test_buying_works_without_javascript(browser, shop, keys):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"http://{shop.host(STATION)}/p/{PRODUCT}/")
    # The total is on the page before any script: the first SKU's price for the smallest order.
    assert page.locator("#buy-total").inner_text() == page.locator(".sku:has(input:checked) .sku-price").inner_text()
    page.locator(f"input[name=sku][value='{SKU}']").check()
    page.fill("input[name=email]", "nojs@example.com")
    page.fill("input[name=query_password]", "5678")
    page.check("input[name=rail][value=stripe]")  # Stripe Checkout, where the shopper then picks Alipay
    page.click("#buy-submit")
    page.wait_for_url(re.compile(r"/_sandbox/pay/cs_test_"))
    assert "支付成功" in page.content()
    # The QR code is for the wallets: a card is paid on the page, so none shows while card is chosen.
    assert page.locator("input[name=method][value=card]").is_checked() and page.locator("figure.qr").is_hidden()
    page.locator("input[name=method][value=alipay]").check()
    assert page.locator("figure.qr").is_visible()
    page.click("#pay-succeed")
    page.wait_for_url(re.compile(r"/order/\?id="))
    order_id = re.search(r"id=([^&#]+)", page.url).group(1)
    # Without JavaScript the order page offers a button that sends the browser on to its order, as a page.
    page.click("#order-view-submit")
    page.wait_for_url(re.compile(rf"/api/orders/{order_id}$"))
    assert page.locator(".order-id").inner_text() == order_id
    key = page.locator("code.card-key").first.inner_text().strip()
    assert key in keys
    # The lookup form, posted without JavaScript, lists the same order and key as a page.
    page.goto(f"http://{shop.host(STATION)}/order/")
    page.fill("#lookup-form input[name=email]", "nojs@example.com")
    page.fill("#lookup-form input[name=query_password]", "5678")
    page.click("#lookup-submit")
    page.wait_for_url(re.compile(r"/api/orders/lookup$"))
    assert order_id in page.content() and key in page.content()
    context.close()
