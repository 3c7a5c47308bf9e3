"""A shopper in a real Chromium buys on a substation through the sandbox and reads the key."""
from __future__ import annotations

import csv
import io
import re
import secrets

import pytest


pytestmark = pytest.mark.browser
STATION, PRODUCT, SKU = "game-zone", "qq-coin", "qq-coin-30"


@pytest.fixture(scope="module")
def keys(shop, tmp_path_factory):
    made = [f"BROWSER-{secrets.token_hex(5).upper()}" for _ in range(5)]
    shop.import_keys(SKU, made, tmp_path_factory.mktemp("keys"))
    return made


def test_a_shopper_buys_with_alipay_and_reads_the_key_on_the_order_page(browser, shop, keys, tmp_path):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    page.goto(f"http://{shop.host(STATION)}/p/{PRODUCT}/")
    page.locator(f"input[name=sku][value='{SKU}']").check()
    page.fill("input[name=email]", "browser@example.com")
    page.fill("input[name=query_password]", "5678")
    page.check("input[name=rail][value=stripe]")  # Stripe Checkout, where the shopper then picks Alipay
    page.click("#buy-submit")

    page.wait_for_url(re.compile(r"/_sandbox/pay/cs_test_"))
    page.locator("input[name=method][value=alipay]").check()
    page.click("#pay-succeed")

    page.wait_for_url(re.compile(r"/order/\?id="))
    first_key = page.locator(".card-key code").first
    first_key.wait_for(timeout=5000)
    assert first_key.inner_text().strip() in keys
    with page.expect_download() as download:
        page.click("#download-keys")
    saved = tmp_path / "keys.txt"
    download.value.save_as(saved)
    assert first_key.inner_text().strip() in saved.read_text()
    with page.expect_download() as download:
        page.click("#download-keys-csv")
    assert download.value.suggested_filename.endswith(".csv")
    sheet = tmp_path / "keys.csv"
    download.value.save_as(sheet)
    rows = list(csv.reader(io.StringIO(sheet.read_text("utf-8-sig"))))
    assert rows[0] == ["code", "password"] and first_key.inner_text().strip() in {row[0] for row in rows[1:]}
    assert not errors, errors
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
    page.locator(f"input[name=sku][value='{SKU}']").check()
    page.fill("input[name=email]", "nojs@example.com")
    page.fill("input[name=query_password]", "5678")
    page.check("input[name=rail][value=stripe]")  # Stripe Checkout, where the shopper then picks Alipay
    page.click("#buy-submit")
    page.wait_for_url(re.compile(r"/_sandbox/pay/cs_test_"))
    assert "支付成功" in page.content()
    context.close()
