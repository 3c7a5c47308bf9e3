"""The price books the build publishes are the prices the pages show."""
from __future__ import annotations

import pytest

from kameng.domain.price_book import PriceBook
from kameng.sitegen import ContentError
from tests.build.conftest import Project, book_of


def published(project: Project) -> list[PriceBook]:
    calls: list[list[PriceBook]] = []
    project.build(publish=calls.append)
    assert len(calls) == 1
    return calls[0]


def test_the_main_station_charges_suggested_retail(project: Project) -> None:
    book = book_of(published(project), "main")
    assert {sku: line.price for sku, line in book.skus.items()} == {
        "mobile-100": 9950, "qq-10": 1000, "steam-cny-100": 10200, "steam-cny-50": 5200}


def test_a_substation_charges_its_markup_and_fixed_prices_for_what_it_sells(project: Project) -> None:
    book = book_of(published(project), "game-zone")
    assert {sku: line.price for sku, line in book.skus.items()} == {
        "qq-10": 1026, "steam-cny-100": 9900, "steam-cny-50": 5130}


def test_a_price_book_line_carries_wholesale_quantities_and_low_stock(project: Project) -> None:
    line = book_of(published(project), "game-zone").skus["steam-cny-100"]
    assert (line.product, line.title, line.wholesale) == ("steam", "Steam 钱包充值卡 100 元", 9500)
    assert (line.min_quantity, line.max_quantity, line.low_stock) == (1, 5, 20)


def test_a_price_book_names_its_station_domain_language_and_currency(project: Project) -> None:
    book = book_of(published(project), "en-shop")
    assert (book.domain, book.language, book.currency) == ("cards.example.org", "en", "CNY")


def test_an_up_to_date_build_still_publishes_the_same_price_books(project: Project) -> None:
    first = published(project)
    calls: list[list[PriceBook]] = []
    report = project.build(publish=calls.append)
    assert report.up_to_date
    assert calls == [first] and report.price_books == first


def test_a_failed_build_publishes_nothing(project: Project) -> None:
    calls: list[list[PriceBook]] = []
    project.edit("main/products/steam.md", 'retail: "102.00"', "retail: 90")
    with pytest.raises(ContentError):
        project.build(publish=calls.append)
    assert calls == []
