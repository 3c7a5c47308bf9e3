"""Catalogue text in each station's language: translations in content, the original where none was written."""
from __future__ import annotations

import logging
import re

import pytest

from tests.build.conftest import Project, book_of
from tests.build.test_own_goods import errors, published

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def translated(project: Project) -> Project:
    project.edit("main/products/steam.md", "title: Steam 钱包充值卡",
                 "title: {zh-CN: Steam 钱包充值卡, en: Steam Wallet Card}")
    project.edit("main/products/steam.md", "summary: 全球通用 Steam 钱包码",
                 "summary:\n  zh-CN: 全球通用 Steam 钱包码\n  en: Steam Wallet codes for every region")
    project.edit("main/products/steam.md", "tags: [Steam, PC 游戏]",
                 "tags: {zh-CN: [Steam, PC 游戏], en: [Steam, PC games]}")
    project.edit("main/products/steam.md", "name: 50 元", "name: {zh-CN: 50 元, en: ¥50 card}")
    project.edit("main/products/steam.md", "name: 100 元", "name: {zh-CN: 100 元, en: ¥100 card}")
    project.write("main/products/steam.en.md", "Spend Steam Wallet codes on games.\n")
    project.edit("main/station.yaml", "name: 游戏点卡", "name: {zh-CN: 游戏点卡, en: Game cards}")
    return project


def _visible(html: str) -> str:
    return re.sub(r"<script.*?</script>|<[^>]+>", " ", html, flags=re.S)


def test_an_english_station_shows_the_translation_and_a_chinese_one_the_original(translated: Project) -> None:
    translated.build()
    english = translated.page("en-shop/p/steam/index.html")
    for text in ("Steam Wallet Card", "Steam Wallet codes for every region", "¥50 card", "¥100 card", "PC games",
                 "Spend Steam Wallet codes on games.", "Game cards"):
        assert text in english
    assert "钱包" not in english and "游戏点卡" not in english and "PC 游戏" not in english
    assert "Game cards" in translated.page("en-shop/c/game-cards/index.html")
    assert "Steam Wallet Card" in translated.page("en-shop/index.html")

    chinese = translated.page("game-zone/p/steam/index.html")
    for text in ("Steam 钱包充值卡", "全球通用 Steam 钱包码", "50 元", "Steam 钱包码可用于购买游戏", "游戏点卡"):
        assert text in chinese
    assert "Steam Wallet Card" not in chinese and "Spend Steam Wallet" not in chinese


def test_the_english_station_price_book_carries_english_names(translated: Project) -> None:
    books = published(translated)
    assert book_of(books, "en-shop").skus["steam-cny-50"].title == "Steam Wallet Card ¥50 card"
    assert book_of(books, "game-zone").skus["steam-cny-50"].title == "Steam 钱包充值卡 50 元"


def test_each_missing_translation_a_station_shows_is_warned_of_by_file_field_and_language(
        translated: Project, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="kameng.sitegen"):
        translated.build()
    warned = [record.getMessage() for record in caplog.records]
    # qq-coin and mobile are not translated at all; steam is, fully.
    # One line per file: every field it lacks, the language, the stations that show the original.
    qq_coin = next(message for message in warned if message.startswith("content/main/products/qq-coin.md: "))
    assert qq_coin.startswith("content/main/products/qq-coin.md: title, summary, ")
    assert "skus[0].name" in qq_coin and qq_coin.endswith(": no en translation; station en-shop shows the original")
    assert any(message.startswith("content/main/products/mobile.md: ") and "description" in message
               for message in warned)
    assert any(message.startswith("content/main/station.yaml: categories[1].name: no en") for message in warned)
    assert not any("steam.md" in message or "categories[0]" in message for message in warned)
    # A Chinese station showing Chinese text lacks nothing.
    assert not any("zh-CN" in message for message in warned)
    # The build still went through: the untranslated product shows its original text.
    assert "Q 币" in translated.page("en-shop/p/qq-coin/index.html")


def test_a_fully_translated_station_shows_no_chinese_catalogue_text(translated: Project) -> None:
    translated.edit("en-shop/station.yaml", "sells: all", "sells: [steam]")
    translated.build()
    for page in ("index.html", "c/game-cards/index.html", "p/steam/index.html"):
        # The page's own content: the footer's links to the pages inherited from main are not catalogue text.
        main = re.search(r"<main.*</main>", translated.page(f"en-shop/{page}"), re.S)
        assert main is not None and not CJK.search(_visible(main.group())), page


@pytest.mark.parametrize("field, written, expected", [
    ("title", "title: {zh-CN: Steam 钱包充值卡, fr: Carte Steam}", "expected languages zh-CN or en as keys"),
    ("title", "title: {zh-CN: Steam 钱包充值卡, en: [Steam, Wallet]}", "expected text for en"),
    ("skus[0].name", "name: {zh-CN: 50 元, en: null}", "expected text for en"),
    ("tags", "tags: {zh-CN: [Steam], english: [Steam]}", "expected languages zh-CN or en as keys"),
])
def test_a_malformed_translation_is_a_content_error_naming_file_and_field(
        project: Project, field: str, written: str, expected: str) -> None:
    original = {"title": "title: Steam 钱包充值卡", "skus[0].name": "name: 50 元", "tags": "tags: [Steam, PC 游戏]"}
    project.edit("main/products/steam.md", original[field], written)
    messages = errors(project)
    assert any(message.startswith(f"content/main/products/steam.md: {field}: {expected}") for message in messages), \
        messages


def test_a_translated_description_without_its_product_is_a_content_error(project: Project) -> None:
    project.write("main/products/stream.en.md", "A typo in the file name.\n")
    assert any(message.startswith("content/main/products/stream.en.md: file name: expected a product stream.md")
               for message in errors(project))


def test_a_malformed_category_name_is_a_content_error(project: Project) -> None:
    project.edit("main/station.yaml", "name: 游戏点卡", "name: {zh-CN: 游戏点卡, ja: ゲーム}")
    assert any(message.startswith("content/main/station.yaml: categories[0].name: expected languages")
               for message in errors(project))


def test_the_demo_english_station_is_translated_throughout(tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    from kameng.sitegen import build
    from tests.build.conftest import REPO, TEMPLATES

    with caplog.at_level(logging.WARNING, logger="kameng.sitegen"):
        build(REPO / "content", tmp_path / "site", TEMPLATES)
    assert [record.getMessage() for record in caplog.records if "global-cards" in record.getMessage()] == []
    steam = (tmp_path / "site/global-cards/p/steam-wallet/index.html").read_text(encoding="utf-8")
    main = re.search(r"<main.*</main>", steam, re.S)
    assert main is not None and not CJK.search(_visible(main.group()))



def test_a_catalogue_new_to_a_language_is_warned_of_in_a_few_lines(
        translated: Project, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    from kameng.sitegen import untranslated

    monkeypatch.setattr(untranslated, "NAMED_FILES", 1)
    with caplog.at_level(logging.WARNING, logger="kameng.sitegen"):
        translated.build()
    warned = [record.getMessage() for record in caplog.records if "translation" in record.getMessage()]
    assert len(warned) == 2 and warned[1].startswith("… and ") and "more files without a translation" in warned[1]


def test_a_product_many_stations_show_untranslated_names_a_few_and_counts_the_rest(
        translated: Project, caplog: pytest.LogCaptureFixture) -> None:
    station, landing = ((translated.content / "en-shop" / name).read_text("utf-8") for name in ("station.yaml", "landing.md"))
    for number in range(1, 8):
        translated.write(f"en-shop-{number}/station.yaml", station.replace("domain: ", f"domain: s{number}.", 1))
        translated.write(f"en-shop-{number}/landing.md", landing)
    with caplog.at_level(logging.WARNING, logger="kameng.sitegen"):
        translated.build()
    qq_coin = next(record.getMessage() for record in caplog.records
                   if record.getMessage().startswith("content/main/products/qq-coin.md: "))
    # Eight stations show it: five are named, a line stays readable at a thousand.
    assert qq_coin.endswith(": no en translation; stations en-shop, en-shop-1, en-shop-2, en-shop-3, en-shop-4 "
                            "and 3 more show the original"), qq_coin
