"""The dashboard's rollups on every store: buyers per day and week, cohorts, referrers and day tallies, each
kept as deliveries and refunds are counted (once per order and kind) and never by reading orders back."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from kameng.domain.errors import SoldOut
from kameng.domain.member import Commission
from kameng.domain.stats import BuyerCounts, CohortCell, Counted, ReferrerShare, Tally, contribution

from .store_world import START, an_order
from .test_store_concurrency import race

DAY = START.date()  # a Monday
WEEK = DAY
D, R = Counted.DELIVERED, Counted.REFUNDED


def count(store, order, kind=D) -> bool:
    return store.statistics.record(order.id, kind, contribution(order, kind))


def on(day: date, hour: int = 4) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)


def test_paying_buyers_count_each_buyer_once_and_repeat_buyers_by_their_orders_kept(store):
    for shopper, days in {"a": (0, 2), "b": (1,), "c": (0, 0, 10)}.items():
        for offset in days:
            count(store, an_order("sku-1", at=on(DAY + timedelta(days=offset)), shopper_key=shopper))
    stats = store.statistics
    assert stats.paying_buyers("main", DAY, DAY + timedelta(days=6)) == BuyerCounts(paying=3, repeat=2)
    assert stats.paying_buyers("main", DAY + timedelta(days=1), DAY + timedelta(days=1)) == BuyerCounts(1, 0)
    assert stats.paying_buyers("sub", DAY, DAY + timedelta(days=30)) == BuyerCounts(0, 0)


def test_a_refund_takes_the_order_out_of_its_buyers_period_exactly(store):
    first, second = (an_order("sku-1", at=on(DAY, hour)) for hour in (3, 5))
    count(store, first), count(store, second)
    assert count(store, second, R) and not count(store, second, R)
    assert store.statistics.paying_buyers("main", DAY, DAY) == BuyerCounts(paying=1, repeat=0)
    count(store, first, R)
    assert store.statistics.paying_buyers("main", DAY, DAY) == BuyerCounts(0, 0)


def test_a_first_delivery_makes_a_new_buyer_once_and_a_refund_leaves_it(store):
    first, later = an_order("sku-1", at=on(DAY)), an_order("sku-1", at=on(DAY + timedelta(days=1)))
    count(store, first), count(store, first), count(store, later), count(store, first, R)
    tallies = store.statistics.tallies("main", DAY, DAY + timedelta(days=1))
    assert tallies[DAY][Tally.NEW_BUYERS] == 1
    assert Tally.NEW_BUYERS not in tallies.get(DAY + timedelta(days=1), {})


def test_racing_first_deliveries_of_one_buyer_make_one_new_buyer(store):
    orders = [an_order("sku-1", at=on(DAY, hour)) for hour in range(1, 5)]
    assert race(4, lambda i: count(store, orders[i])) == [True] * 4
    assert store.statistics.tallies("main", DAY, DAY)[DAY][Tally.NEW_BUYERS] == 1
    assert store.statistics.cohorts("main", WEEK, WEEK) == [CohortCell(WEEK, 0, 1)]


def test_cohorts_count_each_buyer_once_per_following_week_and_refunds_take_the_week_back(store):
    later_week = WEEK + timedelta(weeks=2)
    count(store, an_order("sku-1", at=on(DAY), shopper_key="a"))
    count(store, an_order("sku-1", at=on(DAY + timedelta(days=3)), shopper_key="b"))
    twice = [an_order("sku-1", at=on(later_week, hour), shopper_key="a") for hour in (1, 2)]
    for order in twice + [an_order("sku-1", at=on(later_week), shopper_key="b")]:
        count(store, order)
    count(store, an_order("sku-1", at=on(WEEK + timedelta(weeks=9)), shopper_key="a"))
    assert store.statistics.cohorts("main", WEEK, WEEK) == [CohortCell(WEEK, 0, 2), CohortCell(WEEK, 2, 2)]
    count(store, twice[0], R)
    assert store.statistics.cohorts("main", WEEK, WEEK)[1] == CohortCell(WEEK, 2, 2)
    count(store, twice[1], R), count(store, twice[1], R)
    assert store.statistics.cohorts("main", WEEK, WEEK)[1] == CohortCell(WEEK, 2, 1)
    # The cohort of the week of the third order's buyer (none: both buyers joined in WEEK) stays empty.
    assert store.statistics.cohorts("main", later_week, later_week) == []


def test_weeks_start_on_monday_in_the_stations_day(store):
    sunday_night_utc = datetime(2026, 3, 8, 17, 0, tzinfo=timezone.utc)  # Monday 01:00 in Shanghai
    count(store, an_order("sku-1", at=sunday_night_utc))
    assert store.statistics.cohorts("main", WEEK, WEEK + timedelta(weeks=1)) == [
        CohortCell(WEEK + timedelta(weeks=1), 0, 1)]


def commissioned(at: datetime = START, total_each: int = 10200):
    order = an_order("sku-1", at=at, shopper_key="invitee", unit_price=total_each)
    return order.model_copy(update={"commissions": (Commission(referrer="ref-1", level=1, amount=500),
                                                    Commission(referrer="ref-2", level=2, amount=200))})


def test_an_invitees_order_adds_its_gmv_and_commissions_to_the_day_and_each_referrer(store):
    order = commissioned()
    count(store, order), count(store, order), count(store, an_order("sku-1"))
    day = store.statistics.tallies("main", DAY, DAY)[DAY]
    assert (day[Tally.INVITEE_ORDERS], day[Tally.INVITEE_GMV], day[Tally.COMMISSIONS]) == (1, 10200, 700)
    assert sorted(store.statistics.referrers("main", DAY, DAY), key=lambda r: r.referrer) == [
        ReferrerShare("ref-1", 1, 10200, 500), ReferrerShare("ref-2", 1, 10200, 200)]


def test_a_refund_of_an_invitees_order_takes_back_exactly_its_referral_figures(store):
    kept, refunded = commissioned(), commissioned(at=START + timedelta(hours=1))
    count(store, kept), count(store, refunded), count(store, refunded, R), count(store, refunded, R)
    day = store.statistics.tallies("main", DAY, DAY)[DAY]
    assert (day[Tally.INVITEE_ORDERS], day[Tally.INVITEE_GMV], day[Tally.COMMISSIONS]) == (1, 10200, 700)
    shares = {r.referrer: r for r in store.statistics.referrers("main", DAY, DAY + timedelta(days=1))}
    assert shares["ref-1"] == ReferrerShare("ref-1", 1, 10200, 500)


def test_count_once_adds_a_tally_once_per_marker(store):
    stats = store.statistics
    assert stats.count_once("member:main:a", "main", DAY, Tally.MEMBERS) is True
    assert stats.count_once("member:main:a", "main", DAY, Tally.MEMBERS) is False
    assert stats.count_once("member:main:b", "main", DAY, Tally.MEMBERS) is True
    assert stats.count_once("order-1", "main", DAY, Tally.CHECKOUTS) is True
    assert stats.tallies("main", DAY, DAY) == {DAY: {Tally.MEMBERS: 2, Tally.CHECKOUTS: 1}}
    assert stats.tallies("main", DAY + timedelta(days=1), DAY + timedelta(days=2)) == {}
    assert stats.tallies("sub", DAY, DAY) == {}


def test_placing_an_order_with_its_day_counts_one_checkout_started_there(store, inventory):
    inventory.add("steam-100", 3)
    store.orders.place_order(an_order("steam-100", station="game-zone"), day=DAY)
    store.orders.place_order(an_order("steam-100", station="game-zone", at=START + timedelta(seconds=1)),
                             day=DAY + timedelta(days=1))
    # Without a day (the order of a test, a script) nothing is counted.
    store.orders.place_order(an_order("steam-100", station="game-zone", at=START + timedelta(seconds=2)))
    counted = store.statistics.tallies("game-zone", DAY, DAY + timedelta(days=1))
    assert counted == {DAY: {Tally.CHECKOUTS: 1}, DAY + timedelta(days=1): {Tally.CHECKOUTS: 1}}


def test_a_checkout_refused_for_stock_counts_nothing(store, inventory):
    inventory.add("steam-100", 1)
    with pytest.raises(SoldOut):
        store.orders.place_order(an_order("steam-100", quantity=2, station="game-zone"), day=DAY)
    assert store.statistics.tallies("game-zone", DAY, DAY) == {}
