"""Each order's ledger entries balance to zero; the main station earns wholesale, a substation its margin."""
from hypothesis import given
from hypothesis import strategies as st

from kameng.domain.order import KeyMove, OrderStatus, deliver, ledger_for
from .orders import an_order

MAIN = "main"
stations = st.sampled_from([MAIN, "game-zone", "av-club", "global-cards"])
prices = st.integers(min_value=0, max_value=10**9)
quantities = st.integers(min_value=1, max_value=50)


def order_of(station, price, wholesale, quantity, currency="CNY"):
    return an_order(OrderStatus.PAID, station=station, unit_price=price, unit_wholesale=wholesale,
                    quantity=quantity, currency=currency)


@given(station=stations, price=prices, wholesale=prices, quantity=quantities)
def test_an_orders_ledger_entries_sum_to_zero(station, price, wholesale, quantity):
    assert sum(e.amount for e in ledger_for(order_of(station, price, wholesale, quantity), MAIN)) == 0


@given(station=stations, price=prices, wholesale=prices, quantity=quantities, currency=st.sampled_from(["CNY", "USD"]))
def test_every_ledger_entry_is_in_the_orders_currency_and_names_the_order(station, price, wholesale, quantity, currency):
    order = order_of(station, price, wholesale, quantity, currency)
    assert {(e.currency, e.order_id) for e in ledger_for(order, MAIN)} == {(currency, order.id)}


@given(price=prices, wholesale=prices, quantity=quantities)
def test_the_shopper_is_charged_the_orders_total(price, wholesale, quantity):
    order = order_of("game-zone", price, wholesale, quantity)
    shopper = [e.amount for e in ledger_for(order, MAIN) if e.account.startswith("shopper:")]
    assert shopper == [-price * quantity]


@given(price=prices, wholesale=prices, quantity=quantities)
def test_a_substation_sale_pays_the_main_station_wholesale_and_keeps_the_margin(price, wholesale, quantity):
    entries = {e.account: e.amount for e in ledger_for(order_of("game-zone", price, wholesale, quantity), MAIN)}
    assert (entries["station:main"], entries["station:game-zone"]) == (wholesale * quantity, (price - wholesale) * quantity)


@given(price=prices, wholesale=prices, quantity=quantities)
def test_a_main_station_sale_credits_the_main_station_with_the_whole_total(price, wholesale, quantity):
    entries = [(e.account, e.amount) for e in ledger_for(order_of(MAIN, price, wholesale, quantity), MAIN) if e.amount > 0]
    assert entries == [("station:main", price * quantity)] or price == 0


def test_delivery_sells_the_reserved_keys_and_carries_the_ledger():
    order = order_of("game-zone", 10500, 9500, 2)
    change = deliver(order, MAIN, order.updated_at)
    assert (change.to_status, change.keys, change.ledger) == (OrderStatus.DELIVERED, KeyMove.SELL, ledger_for(order, MAIN))


def test_only_a_paid_order_is_delivered():
    unpaid = [s for s in OrderStatus if s is not OrderStatus.PAID]
    assert [deliver(an_order(s), MAIN, an_order(s).updated_at) for s in unpaid] == [None] * len(unpaid)
