"""A new shopper on a phone sees products on the first screen, and finds a product by searching for it."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture
def open_page(browser):
    contexts = []

    def open_page(url: str, javascript: bool = True, **options):
        context = browser.new_context(java_script_enabled=javascript, **options)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url)
        page.errors = errors
        return page

    yield open_page
    for context in contexts:
        context.close()


def results(page) -> list[str]:
    return [title.strip() for title in page.locator("#search-results .result-title").all_inner_texts()]


@pytest.mark.parametrize("station", ["main", "game-zone"])
@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_first_screen_shows_the_search_box_and_the_first_best_sellers(open_page, shop, station, device):
    page = open_page(f"http://{shop.host(station)}/", **device)
    height = device["viewport"]["height"]
    first_card = page.locator(".best-sellers .card").first.bounding_box()
    assert first_card is not None and first_card["y"] + first_card["height"] <= height, first_card
    search = page.locator("header input[name=q]").bounding_box()
    assert search is not None and search["y"] + search["height"] <= height
    categories = page.locator("nav.categories a").first.bounding_box()
    assert categories is not None and categories["y"] < height


def test_the_landing_prose_comes_after_the_products(open_page, shop):
    page = open_page(f"http://{shop.host('main')}/", **PHONE)
    prose = page.locator(".prose.landing").bounding_box()
    last_section = page.locator("section.section").last.bounding_box()
    assert prose["y"] > last_section["y"] + last_section["height"] - 1


def test_the_header_search_leads_to_the_matching_products(open_page, shop):
    page = open_page(f"http://{shop.host('game-zone')}/", **PHONE)
    page.fill("header input[name=q]", "steam")
    page.locator("header input[name=q]").press("Enter")
    page.wait_for_url("**/search/?q=steam")
    expect(page.locator("#search-results li")).to_have_count(1)
    assert results(page) == ["Steam 钱包充值卡"]
    assert page.errors == []


def test_typing_shows_only_the_matching_products(open_page, shop):
    page = open_page(f"http://{shop.host('main')}/search/")
    page.fill("#search-q", "会员")
    expect(page.locator("#search-status")).to_contain_text("找到")
    shown = results(page)
    # Matched in the title, the summary or the tags: the titles that say it come first, then the rest.
    in_title = [title for title in shown if "会员" in title]
    assert in_title and shown[: len(in_title)] == in_title and len(shown) > len(in_title)
    assert "Steam 钱包充值卡" not in shown and "中国移动话费充值卡" not in shown
    assert page.errors == []


def test_a_chinese_query_matches_inside_words_and_every_term_must_match(open_page, shop):
    page = open_page(f"http://{shop.host('main')}/search/?q=钱包")
    expect(page.locator("#search-results li")).to_have_count(1)
    assert results(page) == ["Steam 钱包充值卡"]
    page.fill("#search-q", "话费 联通")
    expect(page.locator("#search-results li")).to_have_count(1)
    assert results(page) == ["中国联通话费卡"]
    page.fill("#search-q", "没有这种商品")
    expect(page.locator("#search-results li")).to_have_count(0)
    assert "没有找到" in page.locator("#search-status").inner_text()


def test_a_substation_searches_only_what_it_sells_at_its_own_prices(open_page, shop):
    page = open_page(f"http://{shop.host('global-cards')}/search/?q=steam")
    expect(page.locator("#search-results li")).to_have_count(1)
    assert results(page) == ["Steam Wallet Card"]
    page.fill("#search-q", "Q 币")
    expect(page.locator("#search-results li")).to_have_count(0)


def test_without_javascript_the_search_page_lists_every_product(open_page, shop):
    page = open_page(f"http://{shop.host('game-zone')}/search/?q=steam", javascript=False)
    shown = results(page)
    assert "Steam 钱包充值卡" in shown and "腾讯 Q 币" in shown
    for title in shown:
        assert page.locator("#search-results a", has_text=title).first.get_attribute("href").startswith("/p/")


@pytest.mark.parametrize("path", ["/search/?q=会员", "/stations/"])
def test_the_search_page_and_the_directory_have_no_axe_violations(open_page, shop, path):
    from tests.browser.test_accessibility import violations

    page = open_page(f"http://{shop.host('main')}{path}")
    page.locator("main li").first.wait_for()
    assert violations(page) == []


def test_the_directory_leads_to_each_listed_substation(open_page, shop):
    page = open_page(f"http://{shop.host('main')}/", **PHONE)
    page.locator("footer a[href='/stations/']").click()
    page.wait_for_url("**/stations/")
    links = page.locator(".station-card a")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        "https://www.gamezone.example/", "https://www.global-cards.example/"]
    assert page.locator(".station-card img").first.evaluate("image => image.naturalWidth") > 0
