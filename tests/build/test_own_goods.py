"""A substation's own goods (独立商品库): content/<station>/products/, sold at that station alone."""
from __future__ import annotations

import textwrap

import pytest

from kameng.domain.price_book import PriceBook
from kameng.sitegen import ContentError
from tests.build.conftest import Project, book_of

OWN = """
    ---
    title: 代练陪玩
    category: game-cards
    summary: 本站自营
    images: [zone.svg]
    skus:
      - id: coach-1h
        name: 1 小时
        face_value: 30
        wholesale: 12.00
        retail: 30.00
      - id: coach-5h
        name: 5 小时
        face_value: 150
        wholesale: 60.00
        retail: 139.00
        tiers:
          - {min: 3, price: 129.00}
    ---
    资深玩家一对一陪练。
    """


@pytest.fixture
def own(project: Project) -> Project:
    project.write("game-zone/products/coach.md", textwrap.dedent(OWN).lstrip())
    return project


def published(project: Project) -> list[PriceBook]:
    calls: list[list[PriceBook]] = []
    project.build(publish=calls.append)
    return calls[0]


def errors(project: Project) -> list[str]:
    with pytest.raises(ContentError) as raised:
        project.build()
    return raised.value.messages


def test_own_goods_sell_at_their_station_alone_at_their_retail(own: Project) -> None:
    books = published(own)
    zone = book_of(books, "game-zone")
    assert (zone.skus["coach-1h"].price, zone.skus["coach-5h"].price) == (3000, 13900)  # no 8 % markup
    assert zone.skus["coach-5h"].tiers[0].price == 12900
    assert {zone.skus[sku].owner for sku in ("coach-1h", "coach-5h")} == {"game-zone"}
    assert zone.skus["qq-10"].owner is None and zone.skus["qq-10"].price == 1026
    for other in ("main", "en-shop"):
        assert not {"coach-1h", "coach-5h"} & set(book_of(books, other).skus)


def test_a_book_without_own_goods_keeps_its_version(project: Project) -> None:
    before = {book.station: book.version for book in published(project)}
    project.write("game-zone/products/coach.md", textwrap.dedent(OWN).lstrip())
    after = {book.station: book.version for book in published(project)}
    assert after["main"] == before["main"] and after["en-shop"] == before["en-shop"]
    assert after["game-zone"] != before["game-zone"]


def test_own_goods_have_pages_at_their_station_only(own: Project) -> None:
    own.build()
    page = own.page("game-zone/p/coach/index.html")
    assert "代练陪玩" in page and "¥30.00" in page
    assert "/p/coach/" in own.page("game-zone/index.html")
    assert "/p/coach/" in own.page("game-zone/c/game-cards/index.html")
    assert not (own.site / "main/p/coach").exists() and not (own.site / "en-shop/p/coach").exists()


def test_an_own_sku_id_used_by_main_names_both_files(project: Project) -> None:
    project.write("game-zone/products/coach.md", textwrap.dedent(OWN).lstrip().replace("coach-1h", "qq-10"))
    assert errors(project) == [
        "content/game-zone/products/coach.md: skus[0].id: expected a SKU id used once in the catalogue;"
        " content/main/products/qq-coin.md skus[0] has it too (got 'qq-10')"
    ]


def test_an_own_product_id_used_by_main_names_both_files(project: Project) -> None:
    project.write("game-zone/products/mobile.md", textwrap.dedent(OWN).lstrip())
    assert errors(project) == [
        "content/game-zone/products/mobile.md: file name: expected a product id no other file uses;"
        " content/main/products/mobile.md has it too (got 'mobile')"
    ]


def test_own_goods_use_the_main_station_categories(project: Project) -> None:
    project.write("game-zone/products/coach.md", textwrap.dedent(OWN).lstrip().replace("game-cards", "coaching"))
    assert errors(project) == [
        "content/game-zone/products/coach.md: category: expected one of game-cards, top-up, empty (got 'coaching')"
    ]


def test_own_goods_are_neither_listed_in_sells_nor_given_fixed_prices(own: Project) -> None:
    own.edit("game-zone/station.yaml", "steam-cny-100: 99.00", "steam-cny-100: 99.00\n    coach-1h: 25.00")
    assert errors(own) == [
        "content/game-zone/station.yaml: pricing.fixed.coach-1h: expected a main-station SKU:"
        " the station's own goods sell at their retail (got 'coach-1h')"
    ]


def test_an_own_retail_below_its_cost_names_the_product_file(project: Project) -> None:
    project.write("game-zone/products/coach.md", textwrap.dedent(OWN).lstrip().replace("retail: 30.00", "retail: 10.00"))
    messages = errors(project)
    assert len(messages) == 1 and messages[0].startswith("content/game-zone/products/coach.md: skus[0].retail:")
