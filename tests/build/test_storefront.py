"""Best sellers on the landing, a search index per station, and the main station's directory of substations."""
from __future__ import annotations

import json
import re

import pytest

from kameng.sitegen import ContentError
from tests.build.conftest import Project
from tests.build.test_incremental import changed, stats


def index(project: Project, station: str) -> dict[str, dict]:
    return {entry["url"]: entry for entry in json.loads(project.page(f"{station}/search.json"))}


def best_sellers(project: Project, station: str) -> list[str]:
    landing = project.page(f"{station}/index.html")
    section = landing[landing.index('class="section best-sellers"'): landing.index("</section>")]
    return re.findall(r'<a href="(/p/[^/]+/)">', section)


def list_substations(project: Project) -> None:
    project.edit("game-zone/station.yaml", "sells:", "directory:\n  listed: true\n  blurb: 玩家的小站\nsells:")


def errors(project: Project) -> list[str]:
    with pytest.raises(ContentError) as raised:
        project.build()
    return raised.value.messages


# --- the search index -----------------------------------------------------------------


def test_each_station_indexes_what_it_sells_at_its_own_prices(built: Project) -> None:
    main, zone = index(built, "main"), index(built, "game-zone")
    assert set(main) == {"/p/steam/", "/p/qq-coin/", "/p/mobile/"}
    assert main["/p/steam/"] == {"title": "Steam 钱包充值卡", "summary": "全球通用 Steam 钱包码", "category": "游戏点卡",
                                 "url": "/p/steam/", "price": "¥52.00 起", "tags": ["Steam", "PC 游戏"]}
    # game-zone: +8 % on 47.50, and its fixed 99.00 for the 100 card; the lowest is shown.
    assert zone["/p/steam/"]["price"] == "¥51.30 起"
    assert zone["/p/qq-coin/"]["price"] == "¥10.26 起"


def test_a_product_a_station_does_not_sell_is_not_in_its_index(built: Project) -> None:
    assert "/p/mobile/" not in index(built, "game-zone")
    assert "移动话费" not in built.page("game-zone/search.json")


def test_the_search_page_lists_every_product_for_a_browser_without_javascript(built: Project) -> None:
    page = built.page("game-zone/search/index.html")
    assert re.findall(r'<a href="(/p/[^/]+/)">', page[page.index('id="search-results"'):]) == ["/p/steam/", "/p/qq-coin/"]
    assert 'action="/search/"' in page and 'name="q"' in page
    assert '<meta name="robots" content="noindex">' in page


def test_every_page_has_a_search_box_that_leads_to_the_search_page(built: Project) -> None:
    for page in ("main/index.html", "main/p/steam/index.html", "game-zone/c/game-cards/index.html"):
        assert re.search(r'<form class="wrap search-bar" role="search" action="/search/" method="get">', built.page(page))


def test_a_price_change_rewrites_the_index_and_a_rebuild_of_nothing_does_not(built: Project) -> None:
    before = stats(built.site)
    built.build()
    assert changed(before, stats(built.site)) == []
    built.edit("game-zone/station.yaml", "markup_percent: 8", "markup_percent: 2")
    built.build()
    assert "game-zone/search.json" in changed(before, stats(built.site))
    assert "main/search.json" not in changed(before, stats(built.site))
    assert index(built, "game-zone")["/p/steam/"]["price"] == "¥48.45 起"


# --- best sellers -----------------------------------------------------------------------


def test_without_marked_best_sellers_the_landing_shows_the_first_products_by_sort(built: Project) -> None:
    assert best_sellers(built, "main") == ["/p/steam/", "/p/qq-coin/", "/p/mobile/"]


def test_the_marked_best_sellers_are_shown_where_they_are_sold(project: Project) -> None:
    project.edit("main/products/qq-coin.md", "sort: 20", "sort: 20\nbest_seller: true")
    project.edit("main/products/mobile.md", "category: top-up", "category: top-up\nbest_seller: true")
    project.build()
    assert best_sellers(project, "main") == ["/p/qq-coin/", "/p/mobile/"]
    assert best_sellers(project, "game-zone") == ["/p/qq-coin/"]


def test_the_landing_shows_the_products_before_the_owners_text(built: Project) -> None:
    landing = built.page("main/index.html")
    assert landing.index('class="section best-sellers"') < landing.index('class="section" id="game-cards"') \
        < landing.index('class="prose landing"')


def test_the_landing_names_the_ways_to_pay_and_what_a_shopper_can_count_on(project: Project) -> None:
    project.edit("main/station.yaml", "categories:", "payments:\n  rails: [alipay, wechat, epay]\ncategories:")
    project.build()
    landing = project.page("main/index.html")
    assert re.findall(r'<span class="pay-mark" data-rail="(\w+)">([^<]+)</span>', landing) == [
        ("alipay", "支付宝"), ("wechat", "微信支付"), ("epay", "聚合支付")]
    assert "自动发货 · 秒到账" in landing and "售后工单" in landing and "订单可查" in landing
    english = project.page("en-shop/index.html")
    assert re.findall(r'data-rail="(\w+)">([^<]+)<', english) == [("stripe", "Card")]


# --- the directory of substations -------------------------------------------------------


def test_without_listed_substations_there_is_no_directory(built: Project) -> None:
    assert not (built.site / "main/stations").exists()
    assert "/stations/" not in built.page("main/index.html")


def test_the_directory_lists_only_the_substations_that_opted_in(project: Project) -> None:
    list_substations(project)
    project.build()
    directory = project.page("main/stations/index.html")
    assert re.findall(r'<a href="(https://[^"]+)">', directory) == ["https://games.example.net/"]
    assert "游戏小站" in directory and "玩家的小站" in directory and "Card Corner" not in directory
    # The logo is served by the main station itself: the CSP allows images from the page's own host only.
    logo = re.search(r'<img src="(/assets/img/zone\.[0-9a-f]+\.svg)"', directory).group(1)
    assert (project.site / "main" / logo.lstrip("/")).is_file()
    assert '<a href="/stations/">' in project.page("main/p/mobile/index.html")
    assert "/stations/" in project.page("main/sitemap.xml")
    assert "/stations/" not in project.page("game-zone/index.html")


def test_main_product_pages_link_to_the_listed_substations_that_sell_them(project: Project) -> None:
    list_substations(project)
    project.edit("en-shop/station.yaml", "sells: all", "directory: {listed: true}\nsells: all")
    project.build()

    def elsewhere(page: str) -> list[str]:
        html = project.page(page)
        return re.findall(r'<li><a href="(https://[^"]+)">', html[html.index('class="elsewhere"'):]) \
            if 'class="elsewhere"' in html else []

    assert elsewhere("main/p/steam/index.html") == ["https://cards.example.org/", "https://games.example.net/"]
    assert elsewhere("main/p/mobile/index.html") == ["https://cards.example.org/"]
    assert "也在这些分站有售" in project.page("main/p/steam/index.html")
    assert elsewhere("game-zone/p/steam/index.html") == []


def test_unlisting_a_substation_removes_its_links(project: Project) -> None:
    list_substations(project)
    project.build()
    project.edit("game-zone/station.yaml", "  listed: true\n  blurb: 玩家的小站\n", "  listed: false\n")
    project.build()
    assert 'class="elsewhere"' not in project.page("main/p/steam/index.html")
    assert not (project.site / "main/stations").exists()


@pytest.mark.parametrize("directory, message", [
    ("directory:\n  listed: maybe", "directory.listed: expected a valid boolean (got 'maybe')"),
    ("directory:\n  listed: true\n  blurb: " + "长" * 121, "directory.blurb: expected at most 120 characters"),
    ("directory:\n  listd: true", "directory.listd: unknown field; did you mean 'listed'? expected one of: blurb, listed"),
    ("directory:\n  blurb: 玩家的小站",
     "directory: a blurb is shown only in the directory: expected listed: true with it"),
    ("directory: yes", "directory: expected a mapping of fields"),
])
def test_a_directory_mistake_names_the_file_and_the_field(project: Project, directory: str, message: str) -> None:
    project.edit("game-zone/station.yaml", "sells:", directory + "\nsells:")
    found = errors(project)
    assert len(found) == 1 and found[0].startswith("content/game-zone/station.yaml: " + message), found


def test_the_main_station_cannot_list_itself(project: Project) -> None:
    project.edit("main/station.yaml", "categories:", "directory: {listed: true}\ncategories:")
    assert errors(project) == ["content/main/station.yaml: directory: only a substation has this field"]


def test_a_best_seller_mark_must_be_true_or_false(project: Project) -> None:
    project.edit("main/products/qq-coin.md", "sort: 20", "sort: 20\nbest_seller: 热销")
    assert errors(project) == ["content/main/products/qq-coin.md: best_seller: expected a valid boolean (got '热销')"]
