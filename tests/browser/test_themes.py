"""The shopper's path, landing → product → pay → keys, works the same on every station theme, phone and desktop."""
from __future__ import annotations

import re
import secrets
import shutil

import pytest

from tests.build.themes import THEMES
from tests.browser.shopping import buy_and_read_a_key
from tests.support.local_shop import REPO, served_shop

pytestmark = pytest.mark.browser
STATION, PRODUCT, SKU = "game-zone", "qq-coin", "qq-coin-30"
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 800}


@pytest.fixture(scope="module", params=THEMES)
def themed_shop(request, tmp_path_factory):
    """The demo shop with game-zone switched to one theme by its station file's `theme:` line alone."""
    tmp = tmp_path_factory.mktemp(f"theme-{request.param}")
    content = tmp / "content"
    shutil.copytree(REPO / "content", content)
    station = content / STATION / "station.yaml"
    text, switched = re.subn(r"(?m)^theme: .*$", f"theme: {request.param}", station.read_text("utf-8"))
    assert switched == 1
    station.write_text(text, "utf-8")
    with served_shop(tmp, {"KAMENG_CONTENT_DIR": str(content)}, content) as running:
        keys = [f"THEME-{secrets.token_hex(5).upper()}" for _ in range(4)]
        running.import_keys(SKU, keys, tmp)
        yield request.param, running, keys


def header_background(page) -> str:
    return page.eval_on_selector(".site-header", "header => getComputedStyle(header).backgroundColor")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_shopper_goes_from_the_landing_page_to_their_keys(browser, themed_shop, viewport):
    theme, shop, keys = themed_shop
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    page.goto(f"http://{shop.host(STATION)}/")
    # The look is the theme's: game-zone's orange header on default, a white one with a brand bar on paper.
    assert header_background(page) == ("rgb(255, 255, 255)" if theme == "paper" else "rgb(249, 115, 22)")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    listed = page.locator(f"main a[href='/p/{PRODUCT}/']").first
    assert re.search(r"¥\d+\.\d\d", listed.inner_text())
    if theme == "paper":
        # A list row: the price sits at the right edge, level with the product's name.
        title, price = listed.locator(".row-title").bounding_box(), listed.locator(".row-price").bounding_box()
        assert price["x"] > title["x"] + title["width"] and price["y"] < title["y"] + title["height"]
    listed.click()

    page.wait_for_url(re.compile(rf"/p/{PRODUCT}/$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert buy_and_read_a_key(page, SKU, "theme@example.com") in keys
    assert header_background(page) == ("rgb(255, 255, 255)" if theme == "paper" else "rgb(249, 115, 22)")
    assert not errors, errors
    context.close()
