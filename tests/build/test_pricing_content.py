"""Tiers, member levels, flash sales, referrals and points: from content to the price book, every mistake named."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from kameng.domain.pricing import Level, Tier
from kameng.sitegen import ContentError
from tests.build.conftest import Project, book_of

QQ_TIERS = ("max_per_order: 20", "max_per_order: 20\n    tiers:\n      - {min: 5, price: 9.80}\n"
            "      - {min: 10, price: 9.60}")
LEVELS = """
levels:
  - {name: 普通, spend: 0, discount_percent: 0}
  - {name: 白银, spend: 500, discount_percent: 5}
  - {name: 黄金, spend: 2000, discount_percent: 12}
"""
FLASH = """
flash_sales:
  - sku: qq-10
    price: 9.60
    starts: 2026-12-12T20:00:00+08:00
    ends: 2026-12-12T22:00:00+08:00
    quantity: 500
    per_shopper: 2
"""
REFERRALS = """
referrals:
  basis: margin
  levels_percent: [10, 5, 3]
  welcome_coupon: 5.00
  referrer_reward: 2.00
  holding_days: 7
"""
POINTS = """
points:
  per_yuan: 1
  redeem: {points: 100, coupon: 1.00}
"""


def errors(project: Project) -> list[str]:
    with pytest.raises(ContentError) as raised:
        project.build()
    return raised.value.messages


def append(project: Project, station: str, text: str) -> None:
    path = project.content / station / "station.yaml"
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


# --- tiers and daily limits ------------------------------------------------------


def test_tiers_reach_every_stations_book_the_substations_in_proportion_to_their_price(project: Project) -> None:
    project.edit("main/products/qq-coin.md", *QQ_TIERS)
    books = project.build().price_books
    assert book_of(books, "main").skus["qq-10"].tiers == (Tier(min_quantity=5, price=980),
                                                          Tier(min_quantity=10, price=960))
    # game-zone sells at 10.26 (+8 %): 10.26 × 9.80 / 10.00 = 10.0548, 10.26 × 9.60 / 10.00 = 9.8496
    assert book_of(books, "game-zone").skus["qq-10"].tiers == (Tier(min_quantity=5, price=1005),
                                                               Tier(min_quantity=10, price=985))
    assert book_of(books, "game-zone").skus["qq-10"].unit_price(10) == 985


def test_a_substations_tier_is_never_below_wholesale(project: Project) -> None:
    project.edit("main/products/steam.md", "max_per_order: 5",
                 "max_per_order: 5\n    tiers: [{min: 3, price: 95.00}]")
    # game-zone fixes 99.00: 99.00 × 95.00 / 102.00 = 92.21, below the wholesale 95.00
    assert book_of(project.build().price_books, "game-zone").skus["steam-cny-100"].tiers == (
        Tier(min_quantity=3, price=9500),)


def test_a_skus_daily_limit_per_shopper_reaches_the_book(project: Project) -> None:
    project.edit("main/products/qq-coin.md", "max_per_order: 20", "max_per_order: 20\n    max_per_shopper_per_day: 40")
    books = project.build().price_books
    assert book_of(books, "en-shop").skus["qq-10"].max_per_shopper_per_day == 40
    assert book_of(books, "en-shop").skus["mobile-100"].max_per_shopper_per_day is None


@pytest.mark.parametrize(("tiers", "message"), [
    ("[{min: 10, price: 9.80}, {min: 10, price: 9.60}]",
     "skus[0].tiers[1].min: must be greater than tiers[0].min 10 (got 10)"),
    ("[{min: 2, price: 9.80}]", "skus[0].tiers[0].min: must be greater than min_per_order 2 (got 2)"),
    ("[{min: 21, price: 9.80}]",
     "skus[0].tiers[0].min: must be ≤ max_per_order 20, or no order could reach it (got 21)"),
    ("[{min: 5, price: 9.60}, {min: 10, price: 9.80}]",
     "skus[0].tiers[1].price: must be ≤ tiers[0].price 9.60: buying more never costs more each (got 9.80)"),
    ("[{min: 5, price: 10.50}]",
     "skus[0].tiers[0].price: must be ≤ retail 10.00: buying more never costs more each (got 10.50)"),
    ("[{min: 5, price: 9.40}]", "skus[0].tiers[0].price: must be ≥ the wholesale price 9.50 (got 9.40)"),
    ("[{min: 5, price: 9.80, label: 批发}]",
     "skus[0].tiers[0].label: unknown field; expected one of: min, price"),
    ("[{min: 5}]", "skus[0].tiers[0].price: is required"),
    ("[{min: 51, price: 9.80}]", "skus[0].tiers[0].min: expected a number ≤ 50 (got 51)"),
])
def test_a_wrong_tier_is_named_at_its_field(project: Project, tiers: str, message: str) -> None:
    project.edit("main/products/qq-coin.md", "max_per_order: 20", f"max_per_order: 20\n    tiers: {tiers}")
    assert errors(project) == [f"content/main/products/qq-coin.md: {message}"]


def test_a_daily_limit_below_one_order_is_reported(project: Project) -> None:
    project.edit("main/products/qq-coin.md", "max_per_order: 20", "max_per_order: 20\n    max_per_shopper_per_day: 1")
    assert errors(project) == [
        "content/main/products/qq-coin.md: skus[0].max_per_shopper_per_day: must be ≥ min_per_order 2 (got 1)"
    ]


# --- member levels ---------------------------------------------------------------


def test_levels_reach_the_stations_book(project: Project) -> None:
    append(project, "game-zone", LEVELS)
    books = project.build().price_books
    assert book_of(books, "game-zone").levels == (
        Level(name="普通", spend=0, discount_percent=Decimal(0)),
        Level(name="白银", spend=50000, discount_percent=Decimal(5)),
        Level(name="黄金", spend=200000, discount_percent=Decimal(12)),
    )
    assert book_of(books, "en-shop").levels == ()


@pytest.mark.parametrize(("old", "new", "message"), [
    ("spend: 0,", "spend: 10,", "levels[0].spend: the first level is every shopper's: expected 0.00 (got 10.00)"),
    ("spend: 2000,", "spend: 500,", "levels[2].spend: must be greater than levels[1].spend 500.00 (got 500.00)"),
    ("discount_percent: 12", "discount_percent: 4",
     "levels[2].discount_percent: must be ≥ levels[1].discount_percent 5: a higher level never gives less (got 4)"),
    ("discount_percent: 12", "discount_percent: 120",
     "levels[2].discount_percent: expected a percentage from 0 to 100 (got 120)"),
    ("name: 黄金", "name: 白银", "levels[2].name: expected a name no other level uses; levels[1] has it (got '白银')"),
    ("name: 黄金,", "name: 黄金, colour: gold,",
     "levels[2].colour: unknown field; expected one of: discount_percent, name, spend"),
    ("spend: 2000,", "spend: lots,", "levels[2].spend: expected an amount such as 95.00 (got 'lots')"),
])
def test_a_wrong_level_is_named_at_its_field(project: Project, old: str, new: str, message: str) -> None:
    append(project, "game-zone", LEVELS.replace(old, new))
    assert errors(project) == [f"content/game-zone/station.yaml: {message}"]


# --- flash sales -------------------------------------------------------------------


def test_a_flash_sale_reaches_the_book_in_utc(project: Project) -> None:
    append(project, "game-zone", FLASH)
    sale, = book_of(project.build().price_books, "game-zone").flash_sales
    assert (sale.sku, sale.price, sale.quantity, sale.per_shopper) == ("qq-10", 960, 500, 2)
    assert (sale.starts, sale.ends) == (datetime(2026, 12, 12, 12, tzinfo=timezone.utc),
                                        datetime(2026, 12, 12, 14, tzinfo=timezone.utc))


@pytest.mark.parametrize(("old", "new", "message"), [
    ("sku: qq-10", "sku: mobile-100", "flash_sales[0].sku: expected the id of a SKU this station sells (got 'mobile-100')"),
    ("price: 9.60", "price: 9.00", "flash_sales[0].price: must be ≥ the wholesale price 9.50 (got 9.00)"),
    ("ends: 2026-12-12T22:00:00+08:00", "ends: 2026-12-12T19:00:00+08:00",
     "flash_sales[0].ends: must be after starts 2026-12-12T20:00:00+08:00 (got 2026-12-12T19:00:00+08:00)"),
    ("starts: 2026-12-12T20:00:00+08:00", "starts: 2026-12-12T20:00:00",
     "flash_sales[0].starts: expected a time with a timezone, such as 2026-12-12T20:00:00+08:00"
     " (got 2026-12-12T20:00:00)"),
    ("per_shopper: 2", "per_shopper: 501", "flash_sales[0].per_shopper: must be ≤ quantity 500 (got 501)"),
    ("quantity: 500", "quantity: 0", "flash_sales[0].quantity: expected a number ≥ 1 (got 0)"),
    ("per_shopper: 2", "per_shopper: 2\n    limit: 3",
     "flash_sales[0].limit: unknown field; expected one of: ends, per_shopper, price, quantity, sku, starts"),
])
def test_a_wrong_flash_sale_is_named_at_its_field(project: Project, old: str, new: str, message: str) -> None:
    append(project, "game-zone", FLASH.replace(old, new))
    assert errors(project) == [f"content/game-zone/station.yaml: {message}"]


# --- referrals ---------------------------------------------------------------------


def test_the_referral_rule_reaches_the_book(project: Project) -> None:
    append(project, "game-zone", REFERRALS)
    rule = book_of(project.build().price_books, "game-zone").referrals
    assert (rule.basis, rule.levels_percent) == ("margin", (Decimal(10), Decimal(5), Decimal(3)))
    assert (rule.welcome_coupon, rule.referrer_reward, rule.holding_days) == (500, 200, 7)


def test_a_fourth_referral_level_is_refused_by_law(project: Project) -> None:
    append(project, "game-zone", REFERRALS.replace("[10, 5, 3]", "[10, 5, 3, 1]"))
    assert errors(project) == [
        "content/game-zone/station.yaml: referrals.levels_percent: at most 3 levels:"
        " 三级以上多级分销 is not allowed (got 4)"
    ]


def test_margin_percentages_above_a_hundred_are_refused(project: Project) -> None:
    append(project, "game-zone", REFERRALS.replace("[10, 5, 3]", "[60, 30, 20]"))
    assert errors(project) == [
        "content/game-zone/station.yaml: referrals.levels_percent: expected percentages of the margin"
        " adding up to at most 100 (got '60 + 30 + 20 = 110')"
    ]


def test_price_percentages_that_pay_more_than_a_skus_margin_are_refused(project: Project) -> None:
    # game-zone sells steam-cny-100 at a fixed 99.00 over a wholesale of 95.00: 18 % of 99.00 is 17.82 > 4.00
    append(project, "game-zone", REFERRALS.replace("basis: margin", "basis: price"))
    assert errors(project) == [
        "content/game-zone/station.yaml: referrals.levels_percent: expected commissions within the margin:"
        " 18 % of qq-10's price 10.26 is more than its margin 0.76 (got '10 + 5 + 3 = 18')"
    ]


def test_price_percentages_that_fit_every_margin_are_accepted(project: Project) -> None:
    append(project, "game-zone", REFERRALS.replace("basis: margin", "basis: price").replace("[10, 5, 3]", "[2, 1, 1]"))
    assert book_of(project.build().price_books, "game-zone").referrals.basis == "price"


def test_the_price_basis_check_counts_the_lowest_tier_and_flash_price(project: Project) -> None:
    # 4 % of 10.26 = 0.41 ≤ 0.76; but the flash sale's 9.60 leaves a margin of 0.10 < 0.38
    append(project, "game-zone", REFERRALS.replace("basis: margin", "basis: price").replace("[10, 5, 3]", "[2, 1, 1]")
           + FLASH)
    assert errors(project) == [
        "content/game-zone/station.yaml: referrals.levels_percent: expected commissions within the margin:"
        " 4 % of qq-10's price 9.60 is more than its margin 0.10 (got '2 + 1 + 1 = 4')"
    ]


@pytest.mark.parametrize(("old", "new", "message"), [
    ("basis: margin", "basis: profit", "referrals.basis: expected 'margin' or 'price' (got 'profit')"),
    ("[10, 5, 3]", "[101]", "referrals.levels_percent: each level must be a percentage from 0 to 100 (got 101)"),
    ("welcome_coupon: 5.00", "welcome_coupon: -5", "referrals.welcome_coupon: must not be negative (got -5)"),
    ("holding_days: 7", "holding_days: -1", "referrals.holding_days: expected a number ≥ 0 (got -1)"),
    ("holding_days: 7", "holding_days: 7\n  depth: 4",
     "referrals.depth: unknown field; expected one of: basis, holding_days, levels_percent, min_withdrawal,"
     " referrer_reward, welcome_coupon"),
])
def test_a_wrong_referral_field_is_named(project: Project, old: str, new: str, message: str) -> None:
    append(project, "game-zone", REFERRALS.replace(old, new))
    assert errors(project) == [f"content/game-zone/station.yaml: {message}"]


# --- points ------------------------------------------------------------------------


def test_the_points_rule_reaches_the_book(project: Project) -> None:
    append(project, "main", POINTS)
    rule = book_of(project.build().price_books, "main").points
    assert (rule.per_yuan, rule.redeem_points, rule.redeem_coupon) == (Decimal(1), 100, 100)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("coupon: 1.00", "coupon: 0", "points.redeem.coupon: expected an amount above 0.00 (got 0.00)"),
    ("points: 100", "points: 0", "points.redeem.points: expected a number ≥ 1 (got 0)"),
    ("per_yuan: 1", "per_yuan: -1", "points.per_yuan: expected a number from 0 to 1000 (got -1)"),
    ("per_yuan: 1", "per_yuan: 1\n  expire_days: 30", "points.expire_days: unknown field; expected one of: per_yuan, redeem"),
])
def test_a_wrong_points_field_is_named(project: Project, old: str, new: str, message: str) -> None:
    append(project, "main", POINTS.replace(old, new))
    assert errors(project) == [f"content/main/station.yaml: {message}"]


def test_every_mistake_of_the_new_sections_is_reported_at_once(project: Project) -> None:
    project.edit("main/products/qq-coin.md", "max_per_order: 20", "max_per_order: 20\n    tiers: [{min: 5, price: 9.40}]")
    append(project, "en-shop", LEVELS.replace("spend: 0,", "spend: 1,"))
    append(project, "game-zone", REFERRALS.replace("[10, 5, 3]", "[1, 1, 1, 1]"))
    assert [message.split(":")[0] for message in errors(project)] == [
        "content/main/products/qq-coin.md", "content/en-shop/station.yaml", "content/game-zone/station.yaml"]


# --- coupons -----------------------------------------------------------------------

COUPONS = """
coupons:
  - code: welcome10
    amount: 10.00
    min_spend: 100.00
    max_uses: 1000
  - code: QQ-95
    percent: 5
    products: [qq-coin]
    starts: 2026-12-01T00:00:00+08:00
    ends: 2026-12-31T00:00:00+08:00
    per_shopper: 3
"""


def test_coupons_reach_the_book_with_their_codes_in_capitals(project: Project) -> None:
    append(project, "game-zone", COUPONS)
    welcome, qq = book_of(project.build().price_books, "game-zone").coupons
    assert (welcome.code, welcome.kind, welcome.amount, welcome.min_spend, welcome.max_uses, welcome.per_shopper,
            welcome.products) == ("WELCOME10", "fixed", 1000, 10000, 1000, 1, None)
    assert (qq.code, qq.kind, qq.percent, qq.products, qq.per_shopper, qq.max_uses) == (
        "QQ-95", "percent", Decimal(5), ("qq-coin",), 3, None)
    assert qq.ends == datetime(2026, 12, 30, 16, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("amount: 10.00", "amount: 10.00\n    percent: 5",
     "coupons[0]: expected exactly one of amount (such as 5.00) or percent (such as 10)"),
    ("amount: 10.00", "per_shopper: 2", "coupons[0]: expected exactly one of amount (such as 5.00) or percent (such as 10)"),
    ("percent: 5", "percent: 150", "coupons[1].percent: expected a percentage above 0 and at most 100 (got 150)"),
    ("code: welcome10", "code: 满减",
     "coupons[0].code: expected 3 to 32 letters, digits or dashes, such as WELCOME10 (got '满减')"),
    ("products: [qq-coin]", "products: [netflix]",
     "coupons[1].products: expected all or ids of products this station sells (got 'netflix')"),
    ("code: QQ-95", "code: WELCOME10", "coupons[1].code: expected a code used by one coupon only (got 'WELCOME10')"),
    ("ends: 2026-12-31T00:00:00+08:00", "ends: 2026-11-30T00:00:00+08:00",
     "coupons[1].ends: must be after starts 2026-12-01T00:00:00+08:00 (got 2026-11-30T00:00:00+08:00)"),
    ("max_uses: 1000", "max_uses: 0", "coupons[0].max_uses: expected a number ≥ 1 (got 0)"),
])
def test_a_wrong_coupon_is_named_at_its_field(project: Project, old: str, new: str, message: str) -> None:
    append(project, "game-zone", COUPONS.replace(old, new))
    found = errors(project)
    assert len(found) == 1 and found[0].startswith(f"content/game-zone/station.yaml: {message}"), found
