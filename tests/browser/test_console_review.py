"""The console's review of an order the risk rules hold (风控), in a real Chromium: the shopper's order page says
it is under review, the owner sees the rule on the order's page and approves it, and it is delivered."""
from __future__ import annotations

import secrets
import shutil
from urllib.parse import urlsplit

import pytest

from tests.browser.test_console import opened
from tests.browser.test_console_pages import signed_in
from tests.support.local_shop import REPO, served_shop

pytestmark = pytest.mark.browser
STATION, SKU = "game-zone", "qq-coin-10"
OWNER = "review-owner@example.com"


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A copy of the content whose game-zone holds every order of more than one key for review."""
    tmp = tmp_path_factory.mktemp("console-review")
    shutil.copytree(REPO / "content", tmp / "content", ignore=shutil.ignore_patterns(".*"))
    with (tmp / "content" / STATION / "station.yaml").open("a", encoding="utf-8") as station:
        station.write("\nrisk:\n  review: {quantity_above: 1}\n")
    with served_shop(tmp, {"KAMENG_CONTENT_DIR": str(tmp / "content")}, content=tmp / "content") as running:
        added = running.kameng("owners", "add", OWNER, "--role", "station_owner", "--station", STATION)
        assert added.returncode == 0, added.stderr
        running.import_keys(SKU, [f"REVIEW-{secrets.token_hex(5).upper()}" for _ in range(3)], tmp)
        yield running


def test_a_held_order_is_under_review_for_the_shopper_until_the_owner_approves_it(browser, shop):
    placed = shop.post("/api/checkout", json={"station": STATION, "sku": SKU, "quantity": 2, "email": "big@example.com",
                                              "query_password": "4321", "rail": "stripe"}).json()
    assert shop.post(shop.pay_page(placed), data={"action": "pay", "method": "card"}).status_code == 303

    shopper, order_page, shopper_errors = opened(browser)
    order_page.goto(f"http://{shop.host(STATION)}/order/?id={placed['order_id']}#{urlsplit(placed['order_url']).fragment}")
    order_page.wait_for_selector("#order-status[data-status=needs_review]")
    assert "订单审核中" in order_page.locator("#order-status").inner_text()

    context, page, errors = signed_in(browser, shop, OWNER)
    page.goto(page.url.split("#")[0] + f"#/orders/{placed['order_id']}")
    page.wait_for_selector("#view .facts dd:text-is('风控审核中')")
    assert "large_order_quantity: quantity 2 > 1" in page.locator("#view .facts").inner_text()
    page.click("button:has-text('审核通过并发货')")
    page.wait_for_selector("#status[data-kind=ok]:has-text('已审核通过')")
    page.wait_for_selector("#view .facts dd:text-is('已发货')")
    assert "approved by review-owner@example.com" in page.locator("#view .facts").inner_text()

    order_page.reload()
    order_page.wait_for_selector("#order-status[data-status=delivered]")
    assert order_page.locator("#order-keys .card-key").count() == 2
    assert not errors and not shopper_errors, (errors, shopper_errors)
    context.close()
    shopper.close()
