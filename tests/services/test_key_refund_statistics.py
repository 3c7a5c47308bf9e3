"""Refunding some keys through the sandbox gateway shows on the owner's dashboard: each key refund takes back its
keys' exact share of the day's GMV, keys, the buyer's spend and the referrers' commissions, and the refund of
the last keys refunds the order, so nothing of it is left but the refund."""
from __future__ import annotations

from decimal import Decimal

import pytest

from kameng.domain.commissions import ReferralRule
from kameng.domain.order import OrderStatus
from kameng.domain.stats import Figures, ReferrerShare, Tally
from kameng.services.dashboard import overview, station_today
from kameng.services.lookup import shopper_key
from kameng.services.refunds import refund_keys

from .test_owner_views import EMAIL, paid, placed


@pytest.fixture
def invitees_order(deps, stations, sku_with_keys):
    """A delivered order of 3 keys at 10001 each (margin 501 each) by a shopper two referrers brought."""
    sku = sku_with_keys(4, price=10001, substation_price=None).sku
    book = deps.store.price_books.price_book(stations.main)
    rule = ReferralRule(basis="margin", levels_percent=(Decimal("10"), Decimal("5")))
    deps.store.price_books.put_price_book(book.model_copy(update={"referrals": rule}))
    members = deps.store.members
    grand = members.open_member(stations.main, "grand-referrer", "GRAND00001")
    members.bind_referrer(stations.main, "referrer", grand, ("grand-referrer",), None)
    referrer = members.open_member(stations.main, "referrer", "REFERRER01")
    buyer = members.open_member(stations.main, shopper_key(EMAIL, deps), "BUYER00001")
    assert members.bind_referrer(stations.main, buyer.shopper_key, referrer, ("referrer", "grand-referrer"), None)
    order = paid(deps, placed(deps, stations.main, sku, quantity=3))
    assert order.status is OrderStatus.DELIVERED and order.total == 30003
    # 10 % and 5 % of the margin 1503: 150 and 75, that is 50 and 25 a key.
    assert {(c.referrer, c.amount) for c in order.commissions} == {("referrer", 150), ("grand-referrer", 75)}
    return order


def today(deps, order):
    dashboard = overview(order.station, station_today(deps), deps)
    return dashboard.periods[1].figures, sorted(dashboard.referrers, key=lambda r: r.referrer), dashboard


def spend(deps, order):
    buyer = deps.store.statistics.buyer(order.station, order.shopper_key)
    return buyer.orders, buyer.spend


def test_key_refunds_show_on_the_dashboard_and_the_last_keys_leave_only_the_refund(deps, invitees_order):
    order = invitees_order
    figures, referrers, _ = today(deps, order)
    assert figures == Figures(gmv=30003, orders=1, keys=3)

    refund_keys(order.id, [order.key_ids[1]], "key did not work", deps)

    figures, referrers, dashboard = today(deps, order)
    assert figures == Figures(gmv=20002, orders=1, keys=2, refunded=10001, refunds=0)
    assert spend(deps, order) == (1, 20002)
    assert referrers == [ReferrerShare("grand-referrer", 1, 20002, 50), ReferrerShare("referrer", 1, 20002, 100)]
    assert dashboard.periods[1].refund_rate == 0 and dashboard.series[-1].figures == figures
    assert [(s.sku, s.figures.gmv, s.figures.keys) for s in dashboard.by_revenue] == [(order.sku, 20002, 2)]
    tallies = deps.store.statistics.tallies(order.station, station_today(deps), station_today(deps))
    assert {t: tallies[station_today(deps)][t] for t in (Tally.INVITEE_ORDERS, Tally.INVITEE_GMV, Tally.COMMISSIONS)} \
        == {Tally.INVITEE_ORDERS: 1, Tally.INVITEE_GMV: 20002, Tally.COMMISSIONS: 150}

    after = refund_keys(order.id, [order.key_ids[0], order.key_ids[2]], None, deps)

    assert after.status is OrderStatus.REFUNDED
    figures, referrers, dashboard = today(deps, order)
    assert figures == Figures(gmv=0, orders=0, keys=0, refunded=30003, refunds=1)
    assert spend(deps, order) == (0, 0)
    assert referrers == [] and dashboard.by_revenue == [] and dashboard.periods[1].refund_rate == 10_000
    day = station_today(deps)
    assert sorted(deps.store.statistics.referrers(order.station, day, day), key=lambda r: r.referrer) == [
        ReferrerShare("grand-referrer", 0, 0, 0), ReferrerShare("referrer", 0, 0, 0)]


def test_a_key_refund_asked_again_is_counted_once(deps, invitees_order):
    order = invitees_order
    refund_keys(order.id, [order.key_ids[0]], None, deps)
    refund_keys(order.id, [order.key_ids[0]], None, deps)

    assert today(deps, order)[0] == Figures(gmv=20002, orders=1, keys=2, refunded=10001)


def test_a_statistics_store_that_fails_never_fails_the_key_refund(deps, invitees_order, monkeypatch):
    order = invitees_order

    def broken(*args, **kwargs):
        raise RuntimeError("statistics table unavailable")

    monkeypatch.setattr(deps.store.statistics, "record", broken)
    after = refund_keys(order.id, [order.key_ids[0]], None, deps)

    assert after.refunded_key_ids == (order.key_ids[0],) and today(deps, order)[0].keys == 3
