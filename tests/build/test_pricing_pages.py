"""Product pages show quantity tiers and a flash sale's countdown; the server, not the page, decides prices."""
from __future__ import annotations

import re

from tests.build.conftest import Project
from tests.build.test_incremental import changed, stats
from tests.build.test_pricing_content import FLASH, QQ_TIERS, append


def test_a_product_page_lists_each_stations_own_tier_prices(project: Project) -> None:
    project.edit("main/products/qq-coin.md", *QQ_TIERS)
    project.build()
    assert "5 张起 ¥9.80/张" in project.page("main/p/qq-coin/index.html")
    assert "5 张起 ¥10.05/张" in project.page("game-zone/p/qq-coin/index.html")
    assert "5+ at ¥10.24 each" in project.page("en-shop/p/qq-coin/index.html")
    assert 'data-tiers="5:1005,10:985"' in project.page("game-zone/p/qq-coin/index.html")


def test_a_product_without_tiers_shows_none(built: Project) -> None:
    assert "sku-tiers" not in built.page("main/p/steam/index.html")


def test_a_flash_sale_shows_a_countdown_whose_window_is_in_data_attributes(project: Project) -> None:
    append(project, "game-zone", FLASH)
    project.build()
    page = project.page("game-zone/p/qq-coin/index.html")
    countdown, = re.findall(r'<span class="countdown"[^>]*>', page)
    assert 'data-starts="2026-12-12T12:00:00Z"' in countdown and 'data-ends="2026-12-12T14:00:00Z"' in countdown
    assert "限时秒杀" in page and "¥9.60" in page and "每人限购 2 件" in page
    # The form still carries the list price: whether the sale is open is decided at checkout.
    assert 'value="qq-10" data-price="1026"' in page
    assert "countdown" not in project.page("main/p/qq-coin/index.html")


def test_the_countdown_script_only_counts_down(built: Project) -> None:
    script = next((built.site / "main" / "assets").glob("app.*.js")).read_text(encoding="utf-8")
    countdown = script[script.index("Flash-sale countdowns"):script.index("Buy form:")]
    assert "fetch" not in countdown and "price" not in countdown


def test_adding_a_flash_sale_rewrites_only_the_pages_that_show_it(built: Project) -> None:
    before = stats(built.site)
    append(built, "game-zone", FLASH)
    built.build()
    rewritten = [path for path in changed(before, stats(built.site)) if path.endswith(".html")]
    assert rewritten == ["game-zone/p/qq-coin/index.html"]


def test_adding_tiers_rewrites_the_product_pages_that_show_them(built: Project) -> None:
    before = stats(built.site)
    built.edit("main/products/qq-coin.md", *QQ_TIERS)
    built.build()
    rewritten = [path for path in changed(before, stats(built.site)) if path.endswith(".html")]
    assert rewritten == ["en-shop/p/qq-coin/index.html", "game-zone/p/qq-coin/index.html", "main/p/qq-coin/index.html"]
