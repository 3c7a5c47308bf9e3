"""Statistics on every store: each delivery and refund counted once, on the station's own day."""
from __future__ import annotations

from datetime import date, datetime, timezone

from kameng.domain.stats import Counted, Figures, contribution

from .store_world import START, an_order
from .test_store_concurrency import race

DAY = START.date()
D, R = Counted.DELIVERED, Counted.REFUNDED


def count(store, order, kind=D) -> bool:
    return store.statistics.record(order.id, kind, contribution(order, kind))


def test_a_delivery_adds_its_order_to_the_station_and_sku_day(store):
    order = an_order("sku-1", 2)
    assert count(store, order) is True
    (day,) = store.statistics.days("main", DAY, DAY)
    (sku_day,) = store.statistics.sku_days("main", "sku-1", DAY, DAY)
    assert (day.day, day.sku, day.figures) == (DAY, None, Figures(gmv=20400, orders=1, keys=2))
    assert (sku_day.sku, sku_day.figures) == ("sku-1", day.figures)


def test_a_delivery_recorded_twice_counts_once(store):
    order = an_order("sku-1")
    assert (count(store, order), count(store, order)) == (True, False)
    assert store.statistics.days("main", DAY, DAY)[0].figures.orders == 1


def test_racing_records_of_one_delivery_count_once(store):
    order = an_order("sku-1")
    outcomes = race(6, lambda _: count(store, order))
    assert sorted(outcomes) == [False] * 5 + [True]
    assert store.statistics.days("main", DAY, DAY)[0].figures == Figures(gmv=10200, orders=1, keys=1)
    assert store.statistics.buyer("main", "shopper-a").orders == 1


def test_a_refund_takes_back_exactly_its_delivery(store):
    kept, refunded = an_order("sku-1"), an_order("sku-1", 3)
    count(store, kept), count(store, refunded)
    assert count(store, refunded, R) is True and count(store, refunded, R) is False
    (day,) = store.statistics.days("main", DAY, DAY)
    assert day.figures == Figures(gmv=10200, orders=1, keys=1, refunded=30600, refunds=1)
    buyer = store.statistics.buyer("main", "shopper-a")
    assert (buyer.orders, buyer.spend) == (1, 10200)


def test_a_refund_of_an_order_never_counted_as_delivered_changes_nothing(store):
    order = an_order("sku-1")
    assert count(store, order, R) is False
    assert store.statistics.days("main", DAY, DAY) == []
    assert count(store, order) is True and count(store, order, R) is True


def test_an_order_at_half_past_eleven_utc_counts_on_the_next_shanghai_day(store):
    late = an_order("sku-1", at=datetime(2026, 3, 2, 23, 30, tzinfo=timezone.utc))
    early = an_order("sku-1", at=datetime(2026, 3, 2, 15, 59, tzinfo=timezone.utc))
    count(store, late), count(store, early)
    days = store.statistics.days("main", date(2026, 3, 1), date(2026, 3, 4))
    assert [(d.day, d.figures.orders) for d in days] == [(date(2026, 3, 2), 1), (date(2026, 3, 3), 1)]


def test_days_are_kept_per_station_and_sku(store):
    count(store, an_order("sku-1")), count(store, an_order("sku-2", 2)), count(store, an_order("sku-1", station="sub"))
    every_sku = store.statistics.sku_days("main", None, DAY, DAY)
    assert [(d.sku, d.figures.keys) for d in every_sku] == [("sku-1", 1), ("sku-2", 2)]
    assert store.statistics.days("main", DAY, DAY)[0].figures.orders == 2
    assert store.statistics.days("sub", DAY, DAY)[0].figures.orders == 1
    assert store.statistics.sku_days("main", "sku-3", DAY, DAY) == []


def test_a_buyer_record_keeps_first_and_last_order_days_and_totals(store):
    days = [datetime(2026, 3, d, 4, tzinfo=timezone.utc) for d in (9, 2, 5)]
    for at in days:
        count(store, an_order("sku-1", at=at, shopper_key="buyer-b"))
    buyer = store.statistics.buyer("main", "buyer-b")
    assert (buyer.first_day, buyer.last_day, buyer.orders, buyer.spend) == (date(2026, 3, 2), date(2026, 3, 9), 3, 30600)
    assert store.statistics.buyer("main", "nobody") is None
    assert store.statistics.buyer("sub", "buyer-b") is None
