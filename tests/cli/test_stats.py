"""`kameng stats`: a station's figures from the statistics rollups, as a table or as JSON."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from kameng import wiring

from .conftest import STEAM, SUBSTATION, json_of
from .test_orders import stocked

# The evening of the day the shop's orders are placed (2026-03-02, Asia/Shanghai).
EVENING = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


def two_orders_one_refunded(shop, kameng, keys_file):
    stocked(kameng, keys_file)
    kept = shop.pay(shop.place(STEAM, quantity=2))
    refunded = shop.pay(shop.place(STEAM, quantity=1))
    assert kameng("refund", refunded.id).code == 0
    wiring.use(dataclasses.replace(shop.deps, clock=lambda: EVENING))
    return kept, refunded


def test_stats_json_gives_the_periods_days_and_best_sellers_in_minor_units(shop, kameng, keys_file):
    kept, refunded = two_orders_one_refunded(shop, kameng, keys_file)

    shown = json_of(kameng("stats", SUBSTATION, "--days", "30", "--json"))

    assert (shown["station"], shown["today"], shown["currency"]) == (SUBSTATION, "2026-03-02", "CNY")
    today = shown["periods"]["1"]
    assert {name: today[name] for name in ("from", "to", "gmv", "orders", "keys", "refunded", "refunds",
                                           "average_order", "refund_rate_bp")} == {
        "from": "2026-03-02", "to": "2026-03-02", "gmv": kept.total, "orders": 1, "keys": 2,
        "refunded": refunded.total, "refunds": 1, "average_order": kept.total, "refund_rate_bp": 5000}
    # Two checkouts, both delivered (one refunded later), by one buyer who is new today.
    assert {name: today[name] for name in ("checkouts", "delivered", "conversion_bp", "paying_buyers",
                                           "repeat_buyers", "new_buyers")} == {
        "checkouts": 2, "delivered": 2, "conversion_bp": 10000, "paying_buyers": 1, "repeat_buyers": 0,
        "new_buyers": 1}
    assert [c["sku"] for c in shown["cover"]] and shown["cohorts"][-1]["buyers"] == 1
    assert shown["periods"]["30"]["gmv"] == kept.total
    assert len(shown["days"]) == 30 and shown["days"][-1]["day"] == "2026-03-02"
    assert [s["sku"] for s in shown["best_sellers"]["by_revenue"]] == [STEAM]


def test_stats_prints_a_row_a_day_and_the_totals(shop, kameng, keys_file):
    two_orders_one_refunded(shop, kameng, keys_file)

    ran = kameng("stats", SUBSTATION)

    assert ran.code == 0, ran.err
    lines = ran.out.splitlines()
    assert lines[0] == f"statistics of {SUBSTATION}, the 7 days to 2026-03-02 (Asia/Shanghai):"
    assert lines[1].split() == ["day", "GMV", "orders", "keys", "refunded", "refunds"]
    assert lines[8].split() == ["2026-03-02", "¥210.00", "1", "2", "¥105.00", "1"]
    assert ["today", "¥210.00", "1", "¥210.00", "¥105.00", "1", "50.00%"] in [line.split() for line in lines]
    assert "best sellers, 30 days, by revenue:" in ran.out


def test_stats_of_an_unknown_station_says_to_run_the_build(shop, kameng):
    ran = kameng("stats", "no-such-station")

    assert ran.code == 1
    assert "unknown station 'no-such-station'" in ran.err


def test_stats_help_shows_a_working_example(kameng):
    ran = kameng("stats", "--help")

    assert ran.code == 0
    assert "kameng stats game-zone --days 30 --json" in ran.out
