"""The owner's dashboard, read from the statistics rollups only: exact figures for today, 7 and 30 days."""
from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from kameng.domain.stats import Counted, Figures, StatsDelta
from kameng.services.dashboard import overview

STATION = "game-zone"
TODAY = date(2026, 3, 2)


def delivery(sku: str, total: int, keys: int, day: date, buyer: str = "buyer-1") -> StatsDelta:
    return StatsDelta(STATION, sku, day, buyer, Figures(gmv=total, orders=1, keys=keys), total, 1)


def refund_of(delta: StatsDelta) -> StatsDelta:
    f = delta.figures
    taken = Figures(gmv=-f.gmv, orders=-1, keys=-f.keys, refunded=f.gmv, refunds=1)
    return dataclasses.replace(delta, figures=taken, spend=-delta.spend, buyer_orders=-1)


@pytest.fixture
def counted(deps):
    """Four deliveries (today, 3 days ago, 20 days ago, 40 days ago) and today's windows order refunded."""
    statistics = deps.store.statistics
    deliveries = {
        "a": delivery("steam", 1001, 1, TODAY),
        "b": delivery("windows", 19900, 1, TODAY),
        "c": delivery("qq-coin", 1000, 10, TODAY - timedelta(days=3)),
        "d": delivery("steam", 2002, 2, TODAY - timedelta(days=20)),
        "e": delivery("windows", 99999, 1, TODAY - timedelta(days=40)),
    }
    for order_id, delta in deliveries.items():
        assert statistics.record(order_id, Counted.DELIVERED, delta)
    assert statistics.record("b", Counted.REFUNDED, refund_of(deliveries["b"]))
    return deps


def test_today_is_net_of_its_refund_with_the_rate_in_basis_points(counted):
    today = overview(STATION, TODAY, counted).periods[1]

    assert today.figures == Figures(gmv=1001, orders=1, keys=1, refunded=19900, refunds=1)
    assert (today.average_order, today.refund_rate) == (1001, 5000)


def test_seven_days_round_the_average_order_half_up(counted):
    week = overview(STATION, TODAY, counted).periods[7]

    assert week.figures == Figures(gmv=2001, orders=2, keys=11, refunded=19900, refunds=1)
    # 2001 / 2 = 1000.5 fen: halves round up.
    assert (week.average_order, week.refund_rate) == (1001, 3333)


def test_thirty_days_leave_out_an_older_day(counted):
    month = overview(STATION, TODAY, counted).periods[30]

    assert (month.first_day, month.last_day) == (TODAY - timedelta(days=29), TODAY)
    assert month.figures == Figures(gmv=4003, orders=3, keys=13, refunded=19900, refunds=1)
    assert (month.average_order, month.refund_rate) == (1334, 2500)


def test_the_series_has_every_one_of_thirty_days_oldest_first(counted):
    series = overview(STATION, TODAY, counted).series

    assert [d.day for d in series] == [TODAY - timedelta(days=n) for n in range(29, -1, -1)]
    assert {d.day: d.figures.gmv for d in series if d.figures != Figures()} == {
        TODAY - timedelta(days=20): 2002, TODAY - timedelta(days=3): 1000, TODAY: 1001}


def test_best_sellers_rank_by_net_revenue_and_by_keys_a_refunded_sku_selling_nothing(counted):
    dashboard = overview(STATION, TODAY, counted)

    assert [(s.sku, s.figures.gmv) for s in dashboard.by_revenue] == [("steam", 3003), ("qq-coin", 1000)]
    assert [(s.sku, s.figures.keys) for s in dashboard.by_keys] == [("qq-coin", 10), ("steam", 3)]


def test_a_station_without_statistics_shows_zeros(deps):
    dashboard = overview(STATION, TODAY, deps)

    assert dashboard.periods[30].figures == Figures()
    assert (dashboard.periods[30].average_order, dashboard.periods[30].refund_rate) == (0, 0)
    assert (dashboard.by_revenue, dashboard.by_keys) == ([], [])


class NoOrders:
    """An Orders port that fails on any use: the dashboard must answer from the rollups alone."""

    def __getattr__(self, name: str):
        raise AssertionError(f"the dashboard read orders ({name})")


def test_the_dashboard_never_reads_orders(counted):
    rollups_only = dataclasses.replace(counted, store=dataclasses.replace(counted.store, orders=NoOrders()))

    assert overview(STATION, TODAY, rollups_only).periods[7].figures.gmv == 2001
