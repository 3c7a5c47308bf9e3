"""price_order: the server's whole price for an order line, never below the wholesale cost."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kameng.domain.coupons import CouponNotApplicable, CouponRule
from kameng.domain.errors import QuantityOutOfRange, UnknownSku
from kameng.domain.price_book import PriceBook, PricedSku, price_order, quote
from kameng.domain.pricing import FlashSale, Level, Tier

NOW = datetime(2026, 12, 12, 12, 30, tzinfo=timezone.utc)
LEVELS = (
    Level(name="普通", spend=0, discount_percent=Decimal(0)),
    Level(name="白银", spend=50000, discount_percent=Decimal(5)),
    Level(name="黄金", spend=200000, discount_percent=Decimal(12)),
)
SALE = FlashSale(sku="qq-coin-10", price=899, starts=NOW - timedelta(hours=1), ends=NOW + timedelta(hours=1),
                 quantity=100, per_shopper=2)


def book_with(price=990, wholesale=960, tiers=(), levels=LEVELS, flash_sales=(), max_quantity=50) -> PriceBook:
    line = PricedSku(sku="qq-coin-10", product="qq-coin", title="Q 币 10", price=price, wholesale=wholesale,
                     min_quantity=1, max_quantity=max_quantity, low_stock=3, tiers=tiers)
    return PriceBook(station="game-zone", domain="game-zone.example", currency="CNY", skus={"qq-coin-10": line},
                     levels=levels, flash_sales=flash_sales)


def test_a_book_published_before_these_rules_still_loads():
    old = {"station": "s", "domain": "s.example", "currency": "CNY", "skus": {"a": {
        "sku": "a", "product": "p", "title": "t", "price": 100, "wholesale": 90,
        "min_quantity": 1, "max_quantity": 5, "low_stock": 1}}}
    book = PriceBook.model_validate(old)
    assert (book.levels, book.flash_sales, book.referrals, book.points) == ((), (), None, None)
    assert book.skus["a"].tiers == () and book.skus["a"].max_per_shopper_per_day is None


def test_the_old_quote_still_charges_the_base_price():
    book = book_with(tiers=(Tier(min_quantity=10, price=970),))
    assert quote(book, "qq-coin-10", 10).total == 9900


def test_a_new_shopper_pays_the_tier_price_times_the_quantity():
    priced = price_order(book_with(tiers=(Tier(min_quantity=10, price=970),)), "qq-coin-10", 10, NOW)
    assert (priced.unit_price, priced.subtotal, priced.level, priced.level_discount, priced.total) == \
        (970, 9700, "普通", 0, 9700)


def test_a_gold_member_gets_twelve_percent_off_down_to_the_wholesale_cost():
    priced = price_order(book_with(price=1200, wholesale=1000), "qq-coin-10", 1, NOW, spend=200000)
    assert (priced.level, priced.level_discount, priced.total) == ("黄金", 144, 1056)
    thin = price_order(book_with(), "qq-coin-10", 1, NOW, spend=200000)
    assert (thin.level_discount, thin.total) == (30, 960)  # 12 % would be 1.19, the margin is 0.30


def test_the_coupon_comes_off_after_the_level_discount():
    coupon = CouponRule(code="P10", kind="percent", percent=Decimal(10))
    priced = price_order(book_with(price=2000, wholesale=1000), "qq-coin-10", 1, NOW, spend=50000, coupon=coupon)
    assert (priced.level_discount, priced.coupon, priced.coupon_discount, priced.total) == (100, "P10", 190, 1710)


def test_an_open_flash_sale_sets_the_price_and_no_level_discount_applies():
    priced = price_order(book_with(flash_sales=(SALE,)), "qq-coin-10", 2, NOW, spend=200000)
    assert (priced.unit_price, priced.level_discount, priced.total, priced.flash_sale) == (899, 0, 1798, SALE)


def test_a_flash_sale_outside_its_window_changes_nothing():
    priced = price_order(book_with(flash_sales=(SALE,)), "qq-coin-10", 2, NOW + timedelta(hours=1))
    assert (priced.unit_price, priced.flash_sale) == (990, None)


def test_an_order_larger_than_one_shoppers_share_of_the_sale_pays_the_usual_price():
    priced = price_order(book_with(flash_sales=(SALE,)), "qq-coin-10", 3, NOW)
    assert (priced.unit_price, priced.flash_sale, priced.total) == (990, None, 2970)


def test_a_tier_cheaper_than_the_flash_sale_wins_and_the_sale_limit_does_not_apply():
    priced = price_order(book_with(tiers=(Tier(min_quantity=10, price=880),), flash_sales=(SALE,)),
                         "qq-coin-10", 10, NOW)
    assert (priced.unit_price, priced.flash_sale) == (880, None)


def test_price_order_keeps_quotes_checks():
    with pytest.raises(UnknownSku):
        price_order(book_with(), "steam", 1, NOW)
    with pytest.raises(QuantityOutOfRange):
        price_order(book_with(max_quantity=5), "qq-coin-10", 6, NOW)


@given(
    wholesale=st.integers(0, 10**6), markup=st.integers(0, 10**6), quantity=st.integers(1, 50),
    tier_cut=st.integers(0, 10**6), spend=st.integers(0, 10**7),
    coupon=st.one_of(st.none(), st.builds(lambda a: CouponRule(code="F", kind="fixed", amount=a), st.integers(1, 10**8)),
                     st.builds(lambda p: CouponRule(code="P", kind="percent", percent=p),
                               st.decimals(min_value="0.01", max_value=100, places=2))),
    flash=st.booleans(), flash_extra=st.integers(0, 10**6),
)
def test_the_total_is_never_below_the_wholesale_cost(wholesale, markup, quantity, tier_cut, spend, coupon, flash,
                                                      flash_extra):
    price = wholesale + markup
    tiers = (Tier(min_quantity=2, price=max(wholesale, price - tier_cut)),)
    sales = (SALE.model_copy(update={"price": wholesale + flash_extra, "per_shopper": 50}),) if flash else ()
    book = book_with(price=price, wholesale=wholesale, tiers=tiers, flash_sales=sales)
    try:
        priced = price_order(book, "qq-coin-10", quantity, NOW, spend=spend, coupon=coupon)
    except CouponNotApplicable as refused:
        # Only when it would take nothing off (no room above wholesale, or a percentage that
        # rounds to 0): it is refused rather than spent.
        assert refused.reason == "coupon_no_room"
        without = price_order(book, "qq-coin-10", quantity, NOW, spend=spend)
        room = without.total - without.wholesale_total
        assert room == 0 or coupon.kind == "percent" and without.total * coupon.percent / 100 < Decimal("0.5")
        return
    assert priced.total >= priced.wholesale_total == wholesale * quantity
    assert priced.total == priced.subtotal - priced.level_discount - priced.coupon_discount
    assert priced.level_discount >= 0 and priced.coupon_discount >= 0
    assert priced.total <= price * quantity
