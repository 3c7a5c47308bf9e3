"""What a shopper and a search engine get from a good catalogue."""
from __future__ import annotations

import gzip
import json
import re
from html.parser import HTMLParser

import pytest

from tests.build.conftest import STATIONS, Project, tree
from tests.build.themes import THEMES, use_theme

PAGES = ["index.html", "order/index.html", "404.html", "sitemap.xml", "robots.txt",
         "about/index.html", "faq/index.html", "terms/index.html"]


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside <script> elements."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._script: dict[str, str | None] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            attributes, text = self.scripts[-1]
            self.scripts[-1] = (attributes, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def first(self, tag: str, **wanted: str) -> dict[str, str | None]:
        return next(a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in wanted.items()))

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]


@pytest.fixture(params=THEMES)
def project(project: Project, request: pytest.FixtureRequest) -> Project:
    """What a shopper and a search engine get does not depend on the look the station picked."""
    return use_theme(project, request.param)


def json_ld(html: str) -> dict:
    (text,) = [text for attributes, text in Elements(html).scripts if attributes.get("type") == "application/ld+json"]
    return json.loads(text)


def test_every_station_gets_its_landing_order_404_sitemap_robots_and_pages(built: Project) -> None:
    for station in STATIONS:
        for page in PAGES:
            assert (built.site / station / page).is_file(), f"{station}/{page}"


def test_a_category_page_exists_only_where_the_station_sells_something_in_it(built: Project) -> None:
    assert (built.site / "main/c/game-cards/index.html").is_file()
    assert (built.site / "main/c/top-up/index.html").is_file()
    assert not (built.site / "main/c/empty").exists()
    assert not (built.site / "game-zone/c/top-up").exists()


def test_a_substation_only_has_the_products_it_sells(built: Project) -> None:
    assert sorted(p.name for p in (built.site / "game-zone/p").iterdir()) == ["qq-coin", "steam"]
    assert sorted(p.name for p in (built.site / "en-shop/p").iterdir()) == ["mobile", "qq-coin", "steam"]
    assert "移动话费" not in built.page("game-zone/index.html")


def test_the_main_station_shows_suggested_retail_prices(built: Project) -> None:
    page = built.page("main/p/steam/index.html")
    assert "¥52.00" in page and "¥102.00" in page


def test_a_substation_product_page_shows_its_markup_and_fixed_prices_not_mains(built: Project) -> None:
    page = built.page("game-zone/p/steam/index.html")
    assert "¥51.30" in page  # 47.50 + 8 %
    assert "¥99.00" in page  # fixed
    assert "¥52.00" not in page and "¥102.00" not in page


def test_the_landing_page_shows_each_products_from_price(built: Project) -> None:
    assert "¥10.26 起" in built.page("game-zone/index.html")
    assert "from ¥10.45" in built.page("en-shop/index.html")  # 9.50 + 10 %


def test_a_substation_inherits_main_pages_it_does_not_write_itself(built: Project) -> None:
    assert "虚拟商品售出不退" in built.page("game-zone/terms/index.html")
    about = built.page("game-zone/about/index.html")
    assert "小站由玩家经营" in about and "我们是一家卡盟" not in about


def test_an_english_station_has_english_ui_text_and_lang(built: Project) -> None:
    page = built.page("en-shop/p/steam/index.html")
    assert '<html lang="en">' in page
    assert "Buy now" in page and "立即购买" not in page
    assert '<html lang="zh-CN">' in built.page("main/index.html")


def test_every_page_has_title_description_canonical_and_open_graph(built: Project) -> None:
    page = Elements(built.page("game-zone/p/steam/index.html"))
    assert page.first("meta", name="viewport")["content"] == "width=device-width, initial-scale=1"
    assert page.first("meta", name="description")["content"] == "全球通用 Steam 钱包码"
    assert page.first("link", rel="canonical")["href"] == "https://games.example.net/p/steam/"
    assert page.first("meta", property="og:url")["content"] == "https://games.example.net/p/steam/"
    assert page.first("meta", property="og:title")["content"] == "Steam 钱包充值卡"
    assert page.first("meta", property="og:type")["content"] == "product"
    assert re.fullmatch(r"https://games\.example\.net/assets/img/steam\.[0-9a-f]{10}\.svg",
                        page.first("meta", property="og:image")["content"])
    assert "<title>Steam 钱包充值卡 - 游戏小站</title>" in built.page("game-zone/p/steam/index.html")


def test_product_json_ld_lists_this_stations_offers_as_major_unit_strings(built: Project) -> None:
    data = json_ld(built.page("game-zone/p/steam/index.html"))
    assert data["@type"] == "Product" and data["name"] == "Steam 钱包充值卡"
    assert [(o["sku"], o["price"], o["priceCurrency"]) for o in data["offers"]] == [
        ("steam-cny-50", "51.30", "CNY"), ("steam-cny-100", "99.00", "CNY")]
    assert "availability" not in json.dumps(data)


def test_the_buy_form_posts_to_checkout_and_works_without_javascript(built: Project) -> None:
    page = Elements(built.page("main/p/qq-coin/index.html"))
    form = page.first("form", id="buy-form")
    assert (form["method"], form["action"]) == ("post", "/api/checkout")
    assert page.first("input", name="station")["value"] == "main"
    radio = page.first("input", name="sku")
    assert (radio["value"], radio["data-min"], radio["data-max"], radio["data-price"]) == ("qq-10", "2", "20", "1000")
    assert "checked" in radio
    quantity = page.first("input", name="quantity")
    assert (quantity["min"], quantity["max"], quantity["value"]) == ("2", "20", "2")
    assert page.first("input", name="email")["type"] == "email"
    password = page.first("input", name="query_password")
    assert (password["minlength"], password["maxlength"], "required" in password) == ("4", "32", True)
    assert page.first("button", id="buy-submit")["type"] == "submit"


def test_stock_is_never_baked_into_pages_only_badges_for_the_script(built: Project) -> None:
    page = Elements(built.page("main/p/steam/index.html"))
    badges = [a for t, a in page.tags if "data-sku" in a]
    assert [b["data-sku"] for b in badges] == ["steam-cny-50", "steam-cny-100"]
    assert all("hidden" in b for b in badges)


def test_the_order_page_has_the_elements_the_script_and_browser_tests_use(built: Project) -> None:
    page = built.page("main/order/index.html")
    for element_id in ("order-status", "download-keys", "lookup-form", "order-keys"):
        assert f'id="{element_id}"' in page
    assert '<meta name="robots" content="noindex">' in page


def test_the_sitemap_lists_absolute_urls_of_this_station_sorted(built: Project) -> None:
    urls = re.findall(r"<loc>([^<]+)</loc>", built.page("game-zone/sitemap.xml"))
    assert urls == sorted(urls)
    assert urls == [
        "https://games.example.net/", "https://games.example.net/about/",
        "https://games.example.net/c/game-cards/", "https://games.example.net/faq/",
        "https://games.example.net/p/qq-coin/", "https://games.example.net/p/steam/",
        "https://games.example.net/terms/",
    ]


def test_robots_txt_points_at_the_sitemap(built: Project) -> None:
    assert "Sitemap: https://games.example.net/sitemap.xml" in built.page("game-zone/robots.txt")


def test_assets_have_content_hashed_names_and_pages_load_them(built: Project) -> None:
    names = sorted(p.name for p in (built.site / "main/assets").iterdir() if p.is_file())
    assert {"app.#.js", "favicon.#.svg", "style.#.css"} <= {re.sub(r"\.[0-9a-f]{10}\.", ".#.", name) for name in names}
    assert all(re.search(r"\.[0-9a-f]{10}\.", name) for name in names)
    page = Elements(built.page("main/index.html"))
    stylesheets = [a["href"] or "" for a in page.all("link") if a.get("rel") == "stylesheet"]
    script = next(a for a in page.all("script") if a.get("src"))
    assert stylesheets and all((built.site / "main" / href.lstrip("/")).is_file() for href in stylesheets)
    assert (built.site / "main" / script["src"].lstrip("/")).is_file()
    assert "defer" in script


def test_station_colours_are_in_its_stylesheet(built: Project) -> None:
    def stylesheet(station: str) -> str:
        href = Elements(built.page(f"{station}/index.html")).first("link", rel="stylesheet")["href"]
        return (built.site / station / href.lstrip("/")).read_text()

    assert "--primary:#112233;" in stylesheet("main") and "--accent:#abc;" in stylesheet("main")
    assert "--primary:#0a7d32;" in stylesheet("game-zone")


def test_images_are_copied_with_hashed_names_and_referenced_by_them(built: Project) -> None:
    page = Elements(built.page("game-zone/p/steam/index.html"))
    sources = {a["src"] for a in page.all("img")}
    assert all(re.fullmatch(r"/assets/img/(steam|zone)\.[0-9a-f]{10}\.svg", src) for src in sources)
    assert all((built.site / "game-zone" / src.lstrip("/")).is_file() for src in sources)


def test_no_output_has_inline_script_style_attributes_or_event_handlers(built: Project) -> None:
    for name, data in tree(built.site).items():
        if not name.endswith(".html"):
            continue
        page = Elements(data.decode())
        for tag, attributes in page.tags:
            assert "style" not in attributes, name
            assert not [a for a in attributes if a.startswith("on")], name
            assert tag != "style", name
        for attributes, text in page.scripts:
            assert attributes.get("src") or attributes.get("type") == "application/ld+json", name


def test_every_product_page_with_its_css_and_scripts_is_under_30_kb_transferred(built: Project) -> None:
    # The budget is what a shopper's browser downloads before images: compressed, as CloudFront and the local
    # server send it (gzip here; brotli is smaller still).
    pages = sorted(built.site.glob("*/p/*/index.html"))
    assert pages
    for path in pages:
        station = path.relative_to(built.site).parts[0]
        page = path.read_text("utf-8")
        elements = Elements(page)
        linked = [a["href"] or "" for a in elements.all("link") if a.get("rel") == "stylesheet"]
        linked += [a["src"] for a in elements.all("script") if a.get("src")]
        files = [page.encode()] + [(built.site / station / name.lstrip("/")).read_bytes() for name in linked]
        transferred = sum(len(gzip.compress(data, 6)) for data in files)
        assert transferred <= 30 * 1024, (path, transferred)


def test_the_price_books_file_stays_outside_every_station_folder(built: Project) -> None:
    assert (built.site / ".price-books.json").is_file()
    assert not [p for p in built.site.rglob("*price*") if p.parent != built.site]
