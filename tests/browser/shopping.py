"""The shopper's common path in a browser: from a product page, buy one SKU through the card sandbox (where the
shopper picks Alipay) and land on the order page with the keys."""
from __future__ import annotations

import re


def buy_and_read_a_key(page, sku: str, email: str) -> str:
    """On a product page: the SKU bought and paid; the order page's first key."""
    page.locator(f"input[name=sku][value='{sku}']").check()
    page.fill("input[name=email]", email)
    page.fill("input[name=query_password]", "5678")
    page.check("input[name=rail][value=stripe]")  # Stripe Checkout, where the shopper then picks Alipay
    page.click("#buy-submit")

    page.wait_for_url(re.compile(r"/_sandbox/pay/cs_test_"))
    page.locator("input[name=method][value=alipay]").check()
    page.click("#pay-succeed")

    page.wait_for_url(re.compile(r"/order/\?id="))
    first_key = page.locator(".card-key code").first
    first_key.wait_for(timeout=5000)
    return first_key.inner_text().strip()
