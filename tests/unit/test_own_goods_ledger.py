"""A substation's own goods in the ledger and the settlement: the whole sale is the station's, no wholesale
is due to the main station, and the Stripe Connect split keeps none for it."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from kameng.domain.member import Commission
from kameng.domain.order import OrderStatus, deliver, ledger_for, supply_entries
from kameng.domain.price_book import PriceBook, PricedSku, price_order
from kameng.domain.refund import refund_delivered
from kameng.domain.settlement import settle
from kameng.domain.split import application_fee, platform_fee

from .orders import NOW, an_order

MAIN = "main"


def own_order(**fields):
    return an_order(OrderStatus.PAID, quantity=1, unit_price=10500, unit_wholesale=4000, total=10300,
                    level="白银", level_discount=100, coupon="C", coupon_discount=100, own_goods=True, **fields)


def test_an_own_sale_is_the_stations_whole_sale_and_owes_main_only_the_platform_fee():
    order = own_order(platform_fee=50, commissions=(Commission(referrer="r" * 16, level=1, amount=80),))
    memos = {(e.account, e.memo): e.amount for e in ledger_for(order, MAIN)}
    assert memos == {
        ("shopper:aaaaaaaaaaaaaaaa", "paid"): -10300, ("station:game-zone", "sale"): 10500,
        ("station:game-zone", "level discount (白银)"): -100, ("station:game-zone", "coupon C"): -100,
        ("station:game-zone", "platform fee"): -50, ("station:main", "platform fee"): 50,
        ("station:game-zone", "referral commission, level 1"): -80,
        ("referrer:rrrrrrrrrrrrrrrr", "referral commission, level 1"): 80,
    }


def test_what_a_supplier_charged_for_own_goods_is_borne_by_the_selling_station():
    order = own_order(supply_charges=(("sim-a", 3900),))
    entries = {(e.account, e.memo): e.amount for e in supply_entries(order, MAIN)}
    assert entries == {("station:game-zone", "supply cost (sim-a)"): -3900, ("supplier:sim-a", "supply cost"): 3900}
    resold = order.model_copy(update={"own_goods": False})
    assert {e.account for e in supply_entries(resold, MAIN)} == {"station:main", "supplier:sim-a"}


def test_the_settlement_shows_own_sales_apart_and_wholesale_for_mains_goods_only():
    own = own_order(id="01JNM8Z4Y6T3K2Q9W7E5R10001")
    resold = an_order(OrderStatus.PAID, id="01JNM8Z4Y6T3K2Q9W7E5R10002", quantity=2, unit_price=5000,
                      unit_wholesale=4500, total=10000)
    books = []
    for order in (own, resold):
        entries = list(deliver(order, MAIN, NOW).ledger)
        books.append((order.model_copy(update={"status": OrderStatus.DELIVERED}), entries))
    report = settle("game-zone", "CNY", books)
    lines = {line.order_id: line for line in report.lines}
    assert (lines[own.id].own_sales, lines[own.id].gross, lines[own.id].wholesale) == (10500, 0, 0)
    assert (lines[resold.id].own_sales, lines[resold.id].gross, lines[resold.id].wholesale) == (0, 1000, 9000)
    totals = report.totals
    assert (totals["own_sales"], totals["gross"], totals["wholesale"], totals["net"]) == (10500, 1000, 9000, 11300)
    header, *rows = report.csv().splitlines()
    assert header.endswith(",own_sales,wholesale") and rows[-1].endswith(",10500,9000")


def test_a_refunded_own_sale_gives_the_whole_sale_back():
    order = own_order()
    sale = list(deliver(order, MAIN, NOW).ledger)
    delivered = order.model_copy(update={"status": OrderStatus.DELIVERED})
    entries = sale + list(refund_delivered(delivered, sale, "re_1", "owner").ledger)
    line = settle("game-zone", "CNY", [(delivered.model_copy(update={"status": OrderStatus.REFUNDED}), entries)]).lines[0]
    assert (line.own_sales, line.refunded, line.net, line.wholesale) == (10500, 10300, 0, 0)


@settings(max_examples=200, deadline=None)
@given(wholesale=st.integers(0, 50_000), extra=st.integers(0, 20_000), quantity=st.integers(1, 20),
       fee=st.decimals(0, 20, places=1), connect=st.booleans(), own=st.booleans())
def test_own_or_resold_every_sale_balances_and_connect_leaves_nothing_due(wholesale, extra, quantity, fee, connect,
                                                                          own):
    book = PriceBook(
        station="game-zone", domain="x.example", currency="CNY", platform_fee_percent=fee,
        payout_account="acct_1Station00" if connect else None,
        skus={"s": PricedSku(sku="s", product="p", title="t", price=wholesale + extra, wholesale=wholesale,
                             min_quantity=1, max_quantity=50, low_stock=0, owner="game-zone" if own else None)})
    priced = price_order(book, "s", quantity, NOW)
    order = an_order(OrderStatus.PAID, quantity=quantity, unit_price=priced.unit_price, unit_wholesale=wholesale,
                     total=priced.total, own_goods=own, platform_fee=platform_fee(priced, book, ()),
                     application_fee=application_fee(priced, book, ()), payout_account=book.payout_account)
    entries = list(deliver(order, MAIN, NOW).ledger)
    assert sum(entry.amount for entry in entries) == 0
    main = sum(entry.amount for entry in entries if entry.account == "station:main")
    assert main == order.platform_fee + (0 if own else order.wholesale_total)
    line = settle("game-zone", "CNY", [(order.model_copy(update={"status": OrderStatus.DELIVERED}), entries)]).lines[0]
    assert line.wholesale == (0 if own else order.wholesale_total)
    if connect:
        # Stripe keeps the platform's share (no wholesale for own goods): the station is owed nothing more.
        assert line.balance_due == 0 and order.application_fee == main
