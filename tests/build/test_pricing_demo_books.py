"""The demo's published price books keep every pricing promise, whoever the shopper and whatever the quantity."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kameng.domain.commissions import MAX_REFERRAL_LEVELS, commissions
from kameng.domain.price_book import PriceBook, price_order
from kameng.sitegen import build
from tests.build.conftest import REPO, TEMPLATES


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> list[PriceBook]:
    site: Path = tmp_path_factory.mktemp("demo") / "site"
    return build(REPO / "content", site, TEMPLATES).price_books


def test_the_demo_configures_levels_referrals_points_a_flash_sale_and_tiers(books: list[PriceBook]) -> None:
    zone = next(book for book in books if book.station == "game-zone")
    assert [(level.name, level.discount_percent) for level in zone.levels] == [("普通", 0), ("白银", 5), ("黄金", 12)]
    assert zone.referrals is not None and zone.referrals.levels_percent == (10, 5, 3)
    assert (zone.referrals.welcome_coupon, zone.referrals.referrer_reward) == (500, 200)
    assert len(zone.flash_sales) == 1
    assert sum(1 for line in next(b for b in books if b.station == "main").skus.values() if line.tiers) == 2


def test_every_demo_tier_rises_in_quantity_falls_in_price_and_stays_above_wholesale(books: list[PriceBook]) -> None:
    for book in books:
        for line in book.skus.values():
            minimums = [tier.min_quantity for tier in line.tiers]
            prices = [line.price, *(tier.price for tier in line.tiers)]
            assert minimums == sorted(set(minimums)), (book.station, line.sku)
            assert prices == sorted(prices, reverse=True), (book.station, line.sku)
            assert min(prices) >= line.wholesale, (book.station, line.sku)


def test_no_demo_order_is_priced_below_wholesale_nor_pays_commissions_past_its_margin(books: list[PriceBook]) -> None:
    moments = [datetime(2026, 12, 12, 12, 30, tzinfo=timezone.utc), datetime(2026, 12, 13, tzinfo=timezone.utc)]
    for book in books:
        sale_skus = {sale.sku: sale.per_shopper for sale in book.flash_sales}
        for line in book.skus.values():
            for quantity in range(line.min_quantity, line.max_quantity + 1):
                for now in moments:
                    if quantity > sale_skus.get(line.sku, quantity) and now == moments[0]:
                        continue
                    for spend in (0, 50000, 200000):
                        priced = price_order(book, line.sku, quantity, now, spend=spend)
                        assert priced.total >= priced.wholesale_total
                        if book.referrals is not None:
                            paid = commissions(book.referrals, priced.total, priced.wholesale_total, referrers=5)
                            assert len(paid) <= MAX_REFERRAL_LEVELS and sum(paid) <= priced.margin


def test_the_demo_flash_sale_is_open_only_inside_its_window(books: list[PriceBook]) -> None:
    zone = next(book for book in books if book.station == "game-zone")
    sale, = zone.flash_sales
    assert price_order(zone, sale.sku, 1, sale.starts).unit_price == sale.price
    assert price_order(zone, sale.sku, 1, sale.starts - timedelta(seconds=1)).unit_price != sale.price
    assert price_order(zone, sale.sku, 1, sale.ends).unit_price != sale.price
