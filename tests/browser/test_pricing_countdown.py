"""The flash-sale countdown only counts down to times the page was built with; tier prices feed the estimate."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest


pytestmark = pytest.mark.browser
STATION, PRODUCT = "game-zone", "qq-coin"
# The demo's sale: 2026-12-12 20:00–22:00 Beijing time.
BEFORE = datetime(2026, 12, 12, 11, 0, 0, tzinfo=timezone.utc)
DURING = datetime(2026, 12, 12, 13, 30, 0, tzinfo=timezone.utc)
AFTER = datetime(2026, 12, 12, 14, 0, 1, tzinfo=timezone.utc)


def countdown_at(browser, shop, moment: datetime) -> str:
    page = browser.new_page()
    page.clock.set_fixed_time(moment)
    page.goto(f"http://{shop.host(STATION)}/p/{PRODUCT}/")
    text = page.locator(".countdown").first.inner_text()
    page.close()
    return text


def test_before_the_sale_the_countdown_counts_to_its_start(browser, shop):
    assert countdown_at(browser, shop, BEFORE) == "距开始 01:00:00"


def test_during_the_sale_the_countdown_counts_to_its_end(browser, shop):
    assert countdown_at(browser, shop, DURING) == "距结束 00:30:00"


def test_days_before_the_sale_the_countdown_counts_days_in_chinese(browser, shop):
    days_before = datetime(2026, 12, 5, 18, 42, 26, tzinfo=timezone.utc)
    assert countdown_at(browser, shop, days_before) == "距开始 6天 17:17:34"


def test_after_the_sale_the_countdown_says_it_is_over(browser, shop):
    assert countdown_at(browser, shop, AFTER) == "秒杀已结束"


def test_the_estimated_total_uses_this_stations_tier_price(browser, shop):
    page = browser.new_page()
    page.goto(f"http://{shop.host(STATION)}/p/{PRODUCT}/")
    page.locator("input[name=sku][value='qq-coin-10']").check()
    page.locator("#buy-quantity").fill("10")
    assert page.locator("#buy-total").inner_text() == "¥96.90"  # 10 × 9.69, game-zone's price from 10 keys
    page.close()


@pytest.mark.parametrize("moment,quantity,expected", [
    (DURING, 2, "¥19.40"),   # 2 × the sale's 9.70
    (DURING, 6, "¥58.74"),   # above the sale's 5 per shopper: 6 × game-zone's 9.79
    (AFTER, 2, "¥19.58"),    # the sale is over: 2 × 9.79
])
def test_the_estimated_total_follows_the_flash_sale_rule_the_server_applies(browser, shop, moment, quantity, expected):
    page = browser.new_page()
    page.clock.set_fixed_time(moment)
    page.goto(f"http://{shop.host(STATION)}/p/{PRODUCT}/")
    page.locator("input[name=sku][value='qq-coin-10']").check()
    page.locator("#buy-quantity").fill(str(quantity))
    assert page.locator("#buy-total").inner_text() == expected
    page.close()


def test_live_stock_fills_only_the_stock_badges_and_leaves_the_tier_prices_readable(browser, shop):
    page = browser.new_page()
    page.goto(f"http://{shop.host(STATION)}/p/{PRODUCT}/")
    page.locator(".stock[data-sku='qq-coin-10']").wait_for(state="visible")
    tiers = page.locator("input[value='qq-coin-10'] ~ .sku-tiers").inner_text()
    assert "¥" in tiers and "库存" not in tiers and "有货" not in tiers
    page.close()


def test_without_javascript_the_sale_window_reads_in_the_stations_clock(browser, shop):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"http://{shop.host(STATION)}/p/{PRODUCT}/")
    # game-zone's sale runs 20:00–22:00 Beijing time on 12 December: not 12:00Z, not an ISO string.
    window = page.locator(".sku:has(input[value='qq-coin-10']) .countdown").inner_text()
    assert window == "2026-12-12 20:00 – 2026-12-12 22:00"
    context.close()
