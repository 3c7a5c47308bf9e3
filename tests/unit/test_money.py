"""Money is exact: integer minor units, parsed from what owners type, never through binary floats."""
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kameng.domain.money import apply_markup, format_minor, parse_major


@pytest.mark.parametrize(
    ("typed", "minor"),
    [("95", 9500), ("95.5", 9550), ("95.50", 9550), ("0.01", 1), ("0", 0), (" 19.99 ", 1999), ("1234567.89", 123456789)],
)
def test_parse_major_reads_text_amounts_exactly(typed, minor):
    assert parse_major(typed) == minor


@pytest.mark.parametrize(("typed", "minor"), [(0.1, 10), (95.5, 9550), (19.99, 1999), (0.29, 29), (1.15, 115), (4.35, 435)])
def test_parse_major_reads_yaml_floats_as_the_owner_typed_them(typed, minor):
    # 19.99 * 100 == 1998.9999999999998 and 4.35 * 100 == 434.99999999999994 in binary floating point.
    assert parse_major(typed) == minor


@pytest.mark.parametrize(("typed", "minor"), [(95, 9500), (0, 0), (Decimal("12.30"), 1230)])
def test_parse_major_reads_integers_and_decimals(typed, minor):
    assert parse_major(typed) == minor


@given(st.integers(min_value=0, max_value=10**12))
def test_parse_major_inverts_two_decimal_text(minor):
    assert parse_major(f"{minor // 100}.{minor % 100:02d}") == minor


@pytest.mark.parametrize("typed", ["95.505", "0.001", 19.999, "1.2345"])
def test_parse_major_rejects_fractions_of_a_minor_unit(typed):
    with pytest.raises(ValueError, match="decimal places"):
        parse_major(typed)


@pytest.mark.parametrize("typed", ["-1", -0.01, -5])
def test_parse_major_rejects_negative_amounts(typed):
    with pytest.raises(ValueError, match="negative"):
        parse_major(typed)


@pytest.mark.parametrize("typed", ["NaN", float("nan"), "Infinity", float("inf"), "-inf", "sNaN"])
def test_parse_major_rejects_nan_and_infinity(typed):
    with pytest.raises(ValueError):
        parse_major(typed)


@pytest.mark.parametrize("typed", [True, False, None])
def test_parse_major_rejects_booleans_and_none(typed):
    # YAML turns `yes` into True, and True == 1 in Python: it must not become a price of 0.01.
    with pytest.raises(ValueError):
        parse_major(typed)


@pytest.mark.parametrize("typed", ["", "abc", "¥95", "95元", "9 5", [95], {"price": 95}])
def test_parse_major_rejects_text_that_is_not_an_amount(typed):
    with pytest.raises(ValueError):
        parse_major(typed)


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [(1999, "CNY", "¥19.99"), (5, "CNY", "¥0.05"), (0, "USD", "$0.00"), (123456789, "CNY", "¥1,234,567.89"),
     (-1050, "CNY", "-¥10.50"), (1999, "HKD", "HK$19.99"), (250, "GBP", "GBP 2.50")],
)
def test_format_minor_shows_major_units_with_the_currency_symbol(minor, currency, shown):
    assert format_minor(minor, currency) == shown


@given(st.integers(min_value=0, max_value=10**12))
def test_format_minor_round_trips_through_parse_major(minor):
    shown = format_minor(minor, "CNY")
    assert parse_major(shown.removeprefix("¥").replace(",", "")) == minor


@pytest.mark.parametrize(
    ("wholesale", "percent", "retail"),
    [
        (10, Decimal("5"), 11),  # 10.5 rounds up, where banker's rounding would give 10
        (50, Decimal("1"), 51),  # 50.5 → 51 (banker's: 50)
        (9500, Decimal("7.5"), 10213),  # 10212.5 → 10213
        (9500, Decimal("10"), 10450),
        (333, Decimal("0"), 333),
        (1, Decimal("49"), 1),  # 1.49 → 1
    ],
)
def test_apply_markup_rounds_half_up_to_the_minor_unit(wholesale, percent, retail):
    assert apply_markup(wholesale, percent) == retail


@given(st.integers(min_value=0, max_value=10**9), st.decimals(min_value=0, max_value=500, places=2))
def test_apply_markup_is_within_half_a_minor_unit_of_the_exact_price(wholesale, percent):
    exact = Decimal(wholesale) * (100 + percent) / 100
    retail = apply_markup(wholesale, percent)
    assert isinstance(retail, int)
    assert -Decimal("0.5") < retail - exact <= Decimal("0.5")
