"""Checkout prices an order from the published price book alone."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kameng.domain.errors import QuantityOutOfRange, UnknownSku
from kameng.domain.price_book import PriceBook, PricedSku, quote


def book_with(price: int = 10500, min_quantity: int = 1, max_quantity: int = 5, currency: str = "CNY") -> PriceBook:
    line = PricedSku(sku="steam-100", product="steam-wallet", title="Steam 100", price=price, wholesale=9500,
                     min_quantity=min_quantity, max_quantity=max_quantity, low_stock=3)
    return PriceBook(station="game-zone", domain="game-zone.example", currency=currency, skus={"steam-100": line})


def test_quote_refuses_a_sku_the_station_does_not_sell():
    with pytest.raises(UnknownSku):
        quote(book_with(), "steam-500", 1)


@pytest.mark.parametrize("quantity", [0, 1, 6, -1])
def test_quote_refuses_a_quantity_outside_the_lines_bounds(quantity):
    with pytest.raises(QuantityOutOfRange):
        quote(book_with(min_quantity=2, max_quantity=5), "steam-100", quantity)


@pytest.mark.parametrize("quantity", [2, 5])
def test_quote_accepts_the_bounds_themselves(quantity):
    assert quote(book_with(min_quantity=2, max_quantity=5), "steam-100", quantity).quantity == quantity


@given(price=st.integers(min_value=0, max_value=10**9), quantity=st.integers(min_value=1, max_value=50))
def test_quote_total_is_the_books_price_times_the_quantity(price, quantity):
    priced = quote(book_with(price=price, max_quantity=50), "steam-100", quantity)
    assert (priced.total, priced.line.price) == (price * quantity, price)


@pytest.mark.parametrize("currency", ["CNY", "USD"])
def test_quote_is_in_the_stations_currency(currency):
    assert quote(book_with(currency=currency), "steam-100", 1).currency == currency


def test_price_book_version_changes_when_a_price_changes():
    assert book_with(price=10500).version != book_with(price=10400).version


def test_price_book_version_is_stable_for_the_same_book():
    assert book_with().version == book_with().version
