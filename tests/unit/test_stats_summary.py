"""The dashboard's arithmetic: exact integers, halves rounded up, days outside a period left out."""
from __future__ import annotations

from datetime import date

from kameng.domain.stats import DayTotals, Figures, daily, half_up, summarise

DAY = date(2026, 3, 2)


def test_half_up_rounds_halves_up_and_an_empty_denominator_to_zero():
    assert [half_up(3, 2), half_up(5, 4), half_up(1, 3), half_up(2, 3), half_up(7, 0)] == [2, 1, 0, 1, 0]


def test_summarise_adds_only_the_days_of_the_period():
    days = [DayTotals("s", date(2026, 3, 1), None, Figures(gmv=100, orders=1, keys=1)),
            DayTotals("s", DAY, None, Figures(gmv=205, orders=2, keys=2, refunded=50, refunds=1))]

    today = summarise(days, DAY, DAY)

    assert today.figures == Figures(gmv=205, orders=2, keys=2, refunded=50, refunds=1)
    assert (today.average_order, today.refund_rate) == (103, 3333)


def test_daily_fills_the_days_without_orders_with_zeros():
    days = [DayTotals("s", DAY, None, Figures(gmv=1, orders=1))]

    series = daily("s", days, date(2026, 2, 28), DAY)

    assert [(d.day.isoformat(), d.figures.gmv) for d in series] == [
        ("2026-02-28", 0), ("2026-03-01", 0), ("2026-03-02", 1)]
