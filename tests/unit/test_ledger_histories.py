"""The ledger over random histories: every order balances, every account holds what its sales say,
and the settlement report matches the ledger and the Stripe Connect split."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from kameng.domain.commissions import ReferralRule
from kameng.domain.coupons import CouponNotApplicable, CouponRule
from kameng.domain.member import Commission, Member
from kameng.domain.order import OrderStatus, deliver, ledger_for
from kameng.domain.price_book import PriceBook, PricedSku, price_order
from kameng.domain.pricing import Level
from kameng.domain.refund import refund_delivered, refund_undelivered
from kameng.domain.settlement import settle
from kameng.domain.split import application_fee, platform_fee
from kameng.services.membership import commissions_for

from .orders import NOW, an_order

MAIN = "main"
ANCESTORS = ("r1" * 8, "r2" * 8, "r3" * 8)


@st.composite
def a_sale(draw, index: int):
    """One order as checkout would make it, and what became of it."""
    station = draw(st.sampled_from([MAIN, "game-zone"]))
    wholesale = draw(st.integers(0, 50_000))
    price = wholesale + draw(st.integers(0, 20_000))
    connect = station != MAIN and draw(st.booleans())
    book = PriceBook(
        station=station, domain="x.example", currency="CNY",
        skus={"s": PricedSku(sku="s", product="p", title="t", price=price, wholesale=wholesale, min_quantity=1,
                             max_quantity=50, low_stock=0)},
        levels=(Level(name="v", spend=0, discount_percent=draw(st.decimals(0, 30, places=1))),),
        referrals=ReferralRule(basis=draw(st.sampled_from(["margin", "price"])),
                               levels_percent=(Decimal(10), Decimal(5), Decimal(3))),
        payout_account="acct_1Station00" if connect else None,
        platform_fee_percent=draw(st.decimals(0, 20, places=1)),
    )
    coupon = draw(st.one_of(st.none(), st.builds(
        lambda amount: CouponRule(code="C", kind="fixed", amount=amount), st.integers(1, 30_000))))
    quantity = draw(st.integers(1, 50))
    spend = draw(st.integers(0, 1))
    try:
        priced = price_order(book, "s", quantity, NOW, spend=spend, coupon=coupon)
    except CouponNotApplicable:  # no room left above wholesale: checkout refuses the coupon
        priced = price_order(book, "s", quantity, NOW, spend=spend)
    member = Member(station=station, shopper_key="k", ancestors=ANCESTORS[:draw(st.integers(0, 3))])
    commissions = commissions_for(book, member, priced)
    order = an_order(
        OrderStatus.PAID, id=f"01JNM8Z4Y6T3K2Q9W7E5R1{index:04d}", station=station, quantity=quantity,
        unit_price=priced.unit_price, unit_wholesale=wholesale, total=priced.total, shopper_key=f"{index:064d}",
        level=priced.level, level_discount=priced.level_discount, coupon=priced.coupon,
        coupon_discount=priced.coupon_discount, commissions=commissions,
        platform_fee=platform_fee(priced, book, commissions), application_fee=application_fee(priced, book, commissions),
        payout_account=book.payout_account,
    )
    fate = draw(st.sampled_from(["delivered", "refunded", "undeliverable"]))
    return order, fate


@st.composite
def histories(draw):
    return [draw(a_sale(i)) for i in range(draw(st.integers(1, 12)))]


def replay(history):
    """Each order's ledger entries after what became of it."""
    books = []
    for order, fate in history:
        if fate == "undeliverable":
            held = order.model_copy(update={"status": OrderStatus.NEEDS_ATTENTION})
            entries = list(refund_undelivered(held, "re_1").ledger)
            books.append((held.model_copy(update={"status": OrderStatus.REFUNDED}), entries))
            continue
        change = deliver(order, MAIN, NOW)
        entries = list(change.ledger)
        final = order.model_copy(update={"status": OrderStatus.DELIVERED})
        if fate == "refunded":
            entries += refund_delivered(final, entries, "re_1", "owner").ledger
            final = final.model_copy(update={"status": OrderStatus.REFUNDED})
        books.append((final, entries))
    return books


@settings(max_examples=300, deadline=None)
@given(histories())
def test_every_order_balances_and_every_account_holds_what_its_kept_sales_say(history):
    books = replay(history)
    balances: dict[str, int] = defaultdict(int)
    for order, entries in books:
        assert sum(entry.amount for entry in entries) == 0
        for entry in entries:
            assert entry.currency == order.currency
            balances[entry.account] += entry.amount
    kept = [order for (order, fate) in history if fate == "delivered"]
    expected: dict[str, int] = defaultdict(int)
    for order in kept:
        paid_out = sum(c.amount for c in order.commissions)
        expected[f"shopper:{order.shopper_key[:16]}"] -= order.total
        for commission in order.commissions:
            expected[f"referrer:{commission.referrer[:16]}"] += commission.amount
        own = order.total - paid_out - order.platform_fee
        if order.station == MAIN:
            expected["station:main"] += own
        else:
            expected["station:main"] += order.wholesale_total + order.platform_fee
            expected["station:game-zone"] += own - order.wholesale_total
    assert {a: v for a, v in balances.items() if v} == {a: v for a, v in expected.items() if v}


@settings(max_examples=200, deadline=None)
@given(histories())
def test_the_settlement_is_the_stations_ledger_and_connect_orders_owe_nothing(history):
    books = replay(history)
    substation = [(order, entries) for order, entries in books if order.station == "game-zone"]
    report = settle("game-zone", "CNY", substation)
    ledger_net = sum(entry.amount for _, entries in substation for entry in entries
                     if entry.account == "station:game-zone")
    assert report.totals["net"] == ledger_net
    orders = {order.id: order for order, _ in substation}
    for line in report.lines:
        if orders[line.order_id].payout_account is not None:
            # Stripe moved total − application fee to the station: exactly the station's net, so nothing is due.
            assert line.balance_due == 0
    delivered = {order.id for order, fate in history if fate != "undeliverable" and order.station == "game-zone"}
    assert {line.order_id for line in report.lines} == delivered


@given(st.integers(0, 10**7), st.integers(0, 10**7))
def test_commissions_and_the_platform_fee_never_take_more_than_the_margin(wholesale, extra):
    book = PriceBook(station="game-zone", domain="x.example", currency="CNY", payout_account="acct_1Station00",
                     platform_fee_percent=Decimal(100),
                     skus={"s": PricedSku(sku="s", product="p", title="t", price=wholesale + extra, wholesale=wholesale,
                                          min_quantity=1, max_quantity=1, low_stock=0)},
                     referrals=ReferralRule(basis="price", levels_percent=(Decimal(100), Decimal(100), Decimal(100))))
    priced = price_order(book, "s", 1, NOW)
    commissions = commissions_for(book, Member(station="game-zone", shopper_key="k", ancestors=ANCESTORS), priced)
    assert sum(c.amount for c in commissions) + platform_fee(priced, book, commissions) <= priced.margin
    assert application_fee(priced, book, commissions) <= priced.total
    assert all(isinstance(c, Commission) for c in commissions)


def test_ledger_for_names_each_cost_the_substation_bears():
    order = an_order(OrderStatus.PAID, quantity=1, unit_price=10500, total=9500 + 800, level="白银", level_discount=100,
                     coupon="C", coupon_discount=100, platform_fee=50,
                     commissions=(Commission(referrer="r" * 16, level=1, amount=80),))
    memos = {(e.account, e.memo): e.amount for e in ledger_for(order, MAIN)}
    assert memos == {
        ("shopper:aaaaaaaaaaaaaaaa", "paid"): -10300, ("station:main", "wholesale"): 9500,
        ("station:game-zone", "margin"): 1000, ("station:game-zone", "level discount (白银)"): -100,
        ("station:game-zone", "coupon C"): -100, ("station:game-zone", "platform fee"): -50,
        ("station:main", "platform fee"): 50, ("station:game-zone", "referral commission, level 1"): -80,
        ("referrer:rrrrrrrrrrrrrrrr", "referral commission, level 1"): 80,
    }
