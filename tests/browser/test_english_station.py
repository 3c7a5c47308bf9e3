"""A shopper on the English station reads the catalogue and pays by card in English from end to end."""
from __future__ import annotations

import re
import secrets

import pytest

pytestmark = pytest.mark.browser
STATION, CATEGORY, PRODUCT, SKU = "global-cards", "game-cards", "steam-wallet", "steam-cny-50"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def keys(shop, tmp_path_factory):
    made = [f"ENGLISH-{secrets.token_hex(5).upper()}" for _ in range(3)]
    shop.import_keys(SKU, made, tmp_path_factory.mktemp("keys"))
    return made


def chinese_in(page, selector: str = "main") -> list[str]:
    return CJK.findall(page.locator(selector).inner_text())


def test_the_catalogue_and_the_card_payment_are_english(browser, shop, keys):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    base = f"http://{shop.host(STATION)}"
    # Header, footer and every page the footer links to included: nothing in Chinese on the English station.
    page.goto(base + "/")
    linked = [link.get_attribute("href") for link in page.locator("footer a[href^='/']").all()]
    for path in ("/", f"/c/{CATEGORY}/", "/search/", *linked, f"/p/{PRODUCT}/"):
        page.goto(base + path)
        assert chinese_in(page, "body") == [], path
    assert page.locator("h1").inner_text() == "Steam Wallet Card"
    assert "¥50" in page.locator(f"input[name=sku][value='{SKU}']").locator("xpath=ancestor::label").inner_text()

    page.locator(f"input[name=sku][value='{SKU}']").check()
    page.fill("input[name=email]", "abroad@example.com")
    page.fill("input[name=query_password]", "5678")
    page.check("input[name=rail][value=stripe]")
    page.click("#buy-submit")

    page.wait_for_url(re.compile(r"/_sandbox/pay/cs_test_"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert chinese_in(page, "body") == []
    assert "Steam Wallet Card ¥50" in page.locator("h1").inner_text()
    page.get_by_role("button", name="Payment succeeds").click()

    page.wait_for_url(re.compile(r"/order/\?id="))
    page.locator(".card-key code").first.wait_for(timeout=5000)
    assert page.locator(".card-key code").first.inner_text().strip() in keys
    assert "Steam Wallet Card" in page.locator("main").inner_text()
    assert chinese_in(page) == []
    page.close()
