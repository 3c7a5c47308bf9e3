"""Pricing rules: quantity tiers, flash-sale windows, member levels, one rounding rule."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from kameng.domain.money import percent_of, round_half_up
from kameng.domain.pricing import (
    FlashSale,
    Level,
    Tier,
    level_discount,
    level_for,
    next_level,
    open_flash_sale,
    scaled_tier_price,
    tier_price,
)

UTC = timezone.utc
BEIJING = timezone(timedelta(hours=8))
TIERS = (Tier(min_quantity=10, price=950), Tier(min_quantity=30, price=930))
LEVELS = (
    Level(name="普通", spend=0, discount_percent=Decimal(0)),
    Level(name="白银", spend=50000, discount_percent=Decimal(5)),
    Level(name="黄金", spend=200000, discount_percent=Decimal(12)),
)


def sale(**changes) -> FlashSale:
    fields = dict(sku="qq-coin-10", price=899, starts=datetime(2026, 12, 12, 20, tzinfo=BEIJING),
                  ends=datetime(2026, 12, 12, 22, tzinfo=BEIJING), quantity=100, per_shopper=2)
    return FlashSale(**{**fields, **changes})


@pytest.mark.parametrize(("amount", "rounded"), [
    (Decimal("0.5"), 1), (Decimal("1.5"), 2), (Decimal("2.5"), 3), (Decimal("2.4999"), 2), (Decimal("-0.4"), 0),
])
def test_money_rounds_half_up_to_the_fen(amount, rounded):
    assert round_half_up(amount) == rounded


def test_a_percentage_of_an_amount_rounds_half_up():
    assert percent_of(1050, 5) == 53  # 52.5 fen
    assert percent_of(1030, Decimal("12.5")) == 129  # 128.75 fen


@pytest.mark.parametrize(("quantity", "unit"), [(1, 990), (9, 990), (10, 950), (29, 950), (30, 930), (50, 930)])
def test_the_unit_price_is_the_last_tier_the_quantity_reaches(quantity, unit):
    assert tier_price(990, TIERS, quantity) == unit


def test_without_tiers_every_quantity_pays_the_base_price():
    assert tier_price(990, (), 50) == 990


@given(base=st.integers(1, 10**6), quantities=st.lists(st.integers(1, 50), min_size=2, max_size=2))
def test_buying_more_never_raises_the_unit_price(base, quantities):
    tiers = (Tier(min_quantity=5, price=base * 9 // 10), Tier(min_quantity=20, price=base * 8 // 10))
    small, large = sorted(quantities)
    assert tier_price(base, tiers, large) <= tier_price(base, tiers, small)


def test_a_substation_keeps_a_tiers_share_of_its_own_price():
    # main: 9.90 → 9.50 from 10 keys; a substation selling at 10.18 sells at 10.18 × 9.50 / 9.90 = 9.7687…
    assert scaled_tier_price(1018, 990, 950, 960) == 977


def test_a_substations_tier_is_never_below_wholesale():
    assert scaled_tier_price(970, 990, 960, 960) == 960


@given(station=st.integers(0, 10**6), retail=st.integers(0, 10**6), tier=st.integers(0, 10**6),
       wholesale=st.integers(0, 10**6))
def test_a_scaled_tier_is_never_below_wholesale(station, retail, tier, wholesale):
    assert scaled_tier_price(station, retail, tier, wholesale) >= wholesale


def test_a_flash_sale_is_open_from_its_start_until_just_before_its_end():
    window = sale()
    assert not window.is_open(datetime(2026, 12, 12, 11, 59, 59, tzinfo=UTC))
    assert window.is_open(datetime(2026, 12, 12, 12, 0, tzinfo=UTC))
    assert window.is_open(datetime(2026, 12, 12, 21, 59, 59, tzinfo=BEIJING))
    assert not window.is_open(datetime(2026, 12, 12, 22, 0, tzinfo=BEIJING))


def test_a_flash_sale_window_is_kept_in_utc():
    assert sale().starts == datetime(2026, 12, 12, 12, 0, tzinfo=UTC)
    assert sale().starts.utcoffset() == timedelta(0)


def test_a_flash_sale_needs_times_with_a_timezone():
    with pytest.raises(ValidationError, match="timezone"):
        sale(starts=datetime(2026, 12, 12, 20))


def test_a_flash_sale_ends_after_it_starts():
    with pytest.raises(ValidationError, match="ends must be after starts"):
        sale(ends=datetime(2026, 12, 12, 20, tzinfo=BEIJING))


def test_a_naive_now_is_refused_rather_than_guessed():
    with pytest.raises(ValueError, match="timezone"):
        sale().is_open(datetime(2026, 12, 12, 21))


def test_the_open_sale_of_the_sku_is_found_and_only_it():
    during = datetime(2026, 12, 12, 13, tzinfo=UTC)
    other = sale(sku="steam-cny-100")
    assert open_flash_sale((other, sale()), "qq-coin-10", during) == sale()
    assert open_flash_sale((other, sale()), "qq-coin-10", during + timedelta(days=1)) is None
    assert open_flash_sale((sale(price=950), sale()), "qq-coin-10", during).price == 899


@pytest.mark.parametrize(("spend", "name"), [(0, "普通"), (49999, "普通"), (50000, "白银"), (199999, "白银"),
                                             (200000, "黄金"), (10**9, "黄金")])
def test_the_level_is_the_highest_threshold_reached(spend, name):
    assert level_for(LEVELS, spend).name == name


def test_no_levels_means_no_level_and_no_discount():
    assert level_for((), 10**6) is None
    assert level_discount((), 10**6, 10000) == 0


def test_the_next_level_is_the_first_threshold_not_yet_reached():
    assert next_level(LEVELS, 60000).name == "黄金"
    assert next_level(LEVELS, 200000) is None


def test_the_level_discount_is_its_percentage_of_the_amount():
    assert level_discount(LEVELS, 200000, 10000) == 1200
    assert level_discount(LEVELS, 50000, 1050) == 53


@given(spends=st.lists(st.integers(0, 10**7), min_size=2, max_size=2), amount=st.integers(0, 10**7))
def test_more_spend_never_lowers_the_level_or_its_discount(spends, amount):
    low, high = sorted(spends)
    assert level_for(LEVELS, high).spend >= level_for(LEVELS, low).spend
    assert level_discount(LEVELS, high, amount) >= level_discount(LEVELS, low, amount)
