"""The dashboard's buyers, members, conversion, retention, referrers and stock cover, computed by hand from the
events counted."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from kameng.domain.member import Commission
from kameng.domain.price_book import PriceBook
from kameng.domain.stats import Counted, Figures, ReferrerShare, StatsDelta, Tally
from kameng.services import stats
from kameng.services.dashboard import overview, station_overview
from kameng.services.membership import open_account
from tests.contract.store_world import an_order

STATION = "game-zone"
TODAY = date(2026, 3, 18)  # a Wednesday
THIS_WEEK = date(2026, 3, 16)


def deliver(deps, order_id, day, buyer, total=1000, referrers=()):
    delta = StatsDelta(STATION, "steam", day, buyer, Figures(gmv=total, orders=1, keys=1), total, 1, referrers)
    assert deps.store.statistics.record(order_id, Counted.DELIVERED, delta)
    return delta


def refund(deps, order_id, delta):
    taken = StatsDelta(delta.station, delta.sku, delta.day, delta.shopper_key,
                       Figures(-delta.figures.gmv, -1, -delta.figures.keys, delta.figures.gmv, 1), -delta.spend, -1,
                       tuple(ReferrerShare(r.referrer, -r.orders, -r.gmv, -r.commissions) for r in delta.referrers))
    assert deps.store.statistics.record(order_id, Counted.REFUNDED, taken)


def test_paying_and_repeat_buyers_per_period(deps):
    deliver(deps, "a1", TODAY, "a"), deliver(deps, "a2", TODAY - timedelta(days=5), "a")
    deliver(deps, "b1", TODAY, "b")
    deliver(deps, "c1", TODAY - timedelta(days=20), "c"), deliver(deps, "c2", TODAY - timedelta(days=25), "c")
    refund(deps, "c2", deliver(deps, "c3", TODAY - timedelta(days=25), "c"))

    activity = overview(STATION, TODAY, deps).activity

    assert (activity[1].paying_buyers, activity[1].repeat_buyers, activity[1].repeat_rate) == (2, 0, 0)
    assert (activity[7].paying_buyers, activity[7].repeat_buyers, activity[7].repeat_rate) == (2, 1, 5000)
    # c kept two of three orders: a repeat buyer; 2 of 3 buyers repeat = 6666.67 bp, halves up.
    assert (activity[30].paying_buyers, activity[30].repeat_buyers, activity[30].repeat_rate) == (3, 2, 6667)


def test_members_checkouts_and_conversion_per_day(deps):
    statistics = deps.store.statistics
    for n in range(4):
        statistics.count_once(f"checkouts:o{n}", STATION, TODAY, Tally.CHECKOUTS)
    statistics.count_once("members:m1", STATION, TODAY, Tally.MEMBERS)
    statistics.count_once("members:m1", STATION, TODAY, Tally.MEMBERS)
    deliver(deps, "o0", TODAY, "a")
    refund(deps, "o1", deliver(deps, "o1", TODAY, "b"))

    dashboard = overview(STATION, TODAY, deps)

    # A refunded order was still paid: 2 of 4 checkouts converted.
    today = dashboard.activity[1]
    assert (today.checkouts, today.delivered, today.conversion, today.new_members, today.new_buyers) == (
        4, 2, 5000, 1, 2)
    assert {k: dashboard.view()["days"][-1][k] for k in ("new_members", "checkouts", "conversion_bp")} == {
        "new_members": 1, "checkouts": 4, "conversion_bp": 5000}


def test_cohorts_show_the_share_returning_in_each_following_week_and_none_for_weeks_to_come(deps):
    two_weeks_ago = THIS_WEEK - timedelta(weeks=2)
    for buyer in "abcd":
        deliver(deps, f"{buyer}0", two_weeks_ago + timedelta(days=1), buyer)
    deliver(deps, "a1", THIS_WEEK - timedelta(weeks=1), "a")
    deliver(deps, "a2", TODAY, "a"), deliver(deps, "b2", TODAY, "b"), deliver(deps, "c2", TODAY, "c")

    cohorts = {c.week: c for c in overview(STATION, TODAY, deps).cohorts}

    assert len(cohorts) == 12 and max(cohorts) == THIS_WEEK
    row = cohorts[two_weeks_ago]
    assert (row.buyers, row.returning[:3]) == (4, (1, 3, 0))
    assert row.shares == (2500, 7500) + (None,) * 6
    assert cohorts[THIS_WEEK].buyers == 0


def test_referral_figures_and_top_referrers_by_commission(deps):
    deliver(deps, "i1", TODAY, "x", 5000, (ReferrerShare("r1", 1, 5000, 500), ReferrerShare("r2", 1, 5000, 100)))
    deliver(deps, "i2", TODAY, "y", 3000, (ReferrerShare("r2", 1, 3000, 600),))
    refund(deps, "i3", deliver(deps, "i3", TODAY, "y", 9000, (ReferrerShare("r3", 1, 9000, 900),)))
    deliver(deps, "plain", TODAY, "z", 7000)
    deps.store.statistics.count_once("invitees:x", STATION, TODAY, Tally.INVITEES)

    dashboard = overview(STATION, TODAY, deps)

    month = dashboard.activity[30]
    assert (month.invitees, month.invitee_orders, month.invitee_gmv, month.commissions) == (1, 2, 8000, 1200)
    assert dashboard.referrers == [ReferrerShare("r2", 2, 8000, 700), ReferrerShare("r1", 1, 5000, 500)]


def test_stock_cover_is_available_over_a_days_sales_rounded_down(deps, stations, sku_with_keys):
    stocked = sku_with_keys(7, substation_price=10500)
    for n in range(4):
        delta = StatsDelta(STATION, stocked.sku, TODAY - timedelta(days=n), "a", Figures(10500, 1, 3), 10500, 1)
        deps.store.statistics.record(f"k{n}", Counted.DELIVERED, delta)

    (cover,) = overview(STATION, TODAY, deps).cover

    # 7 keys left, 12 sold in 30 days: 7 × 30 / 12 = 17.5 days, rounded down.
    assert (cover.sku, cover.available, cover.sold, cover.days) == (stocked.sku, 7, 12, 17)


def test_a_sku_that_sold_nothing_has_no_cover_figure(deps, stations, sku_with_keys):
    stocked = sku_with_keys(5)

    (cover,) = overview(STATION, TODAY, deps).cover

    assert (cover.sku, cover.days) == (stocked.sku, None)


def test_a_station_counts_its_days_in_the_time_zone_its_content_names(deps, clock):
    deps.store.price_books.put_price_book(PriceBook(station="london", domain="london.example", currency="CNY", skus={},
                                                    time_zone="Europe/London"))
    # 23:30 UTC on 2 March: still 2 March in London, already 3 March in Shanghai.
    late = an_order("steam", station="london", at=datetime(2026, 3, 2, 23, 30, tzinfo=timezone.utc))
    late = late.model_copy(update={"commissions": (Commission(referrer="r1", level=1, amount=10),)})
    assert stats.count(late, Counted.DELIVERED, deps)
    clock.now = datetime(2026, 3, 2, 23, 45, tzinfo=timezone.utc)

    dashboard = station_overview("london", deps)

    assert (dashboard.today, dashboard.time_zone) == (date(2026, 3, 2), "Europe/London")
    assert dashboard.periods[1].figures.orders == 1
    assert dashboard.referrers == [ReferrerShare("r1", 1, late.total, 10)]


def test_an_account_opened_counts_one_new_member_however_often_it_signs_in(deps, stations):
    clock_day = station_overview(stations.substation, deps).today
    open_account(stations.substation, "shopper-1", deps), open_account(stations.substation, "shopper-1", deps)
    open_account(stations.substation, "shopper-2", deps)

    tallies = deps.store.statistics.tallies(stations.substation, clock_day, clock_day)

    assert tallies[clock_day][Tally.MEMBERS] == 2
