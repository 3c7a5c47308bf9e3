"""A station's figures: `stats`."""
from __future__ import annotations

import argparse

from kameng.cli.command import EXIT_OK, Command, add_json, open_deps
from kameng.cli.output import print_json, table
from kameng.domain.dashboard import COHORT_WEEKS
from kameng.domain.money import format_minor
from kameng.services.dashboard import PERIODS, Dashboard, station_overview
from kameng.services.stations import published_book

STATS_EPILOG = """\
examples:
  kameng stats game-zone                  the last 7 days, day by day, and the totals
  kameng stats game-zone --days 30 --json the last 30 days, for scripts

Figures come from the statistics kept as orders are delivered and refunded,
never from reading orders back. An order counts on the day it was placed
(in the station's time_zone, Asia/Shanghai by default); a refund takes it back out of that day. GMV, orders and keys
are net of refunds; the average order is net GMV per order kept, halves
rounded up; the refund rate is orders refunded per order delivered. With
--json, money is in minor units (fen) and the refund rate in basis points
(100 = 1%). Buyers, conversion, retention cohorts, referrers and stock cover
are explained in docs/console.md ("Dashboard").
"""

SERIES_CHOICES = (7, 30)


def _percent(basis_points: int) -> str:
    return f"{basis_points // 100}.{basis_points % 100:02d}%"


def _print_dashboard(dashboard: Dashboard, days: int, currency: str) -> None:
    def money(amount: int) -> str:
        return format_minor(amount, currency)

    print(f"statistics of {dashboard.station}, the {days} days to {dashboard.today.isoformat()} "
          f"({dashboard.time_zone}):")
    rows = [[d.day.isoformat(), money(d.figures.gmv), d.figures.orders, d.figures.keys, money(d.figures.refunded),
             d.figures.refunds] for d in dashboard.series[-days:]]
    print(table(["day", "GMV", "orders", "keys", "refunded", "refunds"], rows, right=range(1, 6)))
    print("\ntotals:")
    labels = {1: "today", 7: "7 days", 30: "30 days"}
    totals = [[labels[n], money(s.figures.gmv), s.figures.orders, money(s.average_order), money(s.figures.refunded),
               s.figures.refunds, _percent(s.refund_rate)] for n, s in dashboard.periods.items()]
    print(table(["period", "GMV", "orders", "average order", "refunded", "refunds", "refund rate"], totals,
                right=range(1, 7)))
    for title, ranked in (("by revenue", dashboard.by_revenue), ("by keys", dashboard.by_keys)):
        print(f"\nbest sellers, 30 days, {title}:")
        if not ranked:
            print("  none")
            continue
        print(table(["sku", "GMV", "keys", "orders"],
                    [[s.sku, money(s.figures.gmv), s.figures.keys, s.figures.orders] for s in ranked], right=(1, 2, 3)))
    _print_people(dashboard, labels, money)


def _print_people(dashboard: Dashboard, labels: dict[int, str], money) -> None:
    print("\nbuyers, members and conversion:")
    people = [[labels[n], a.paying_buyers, a.repeat_buyers, _percent(a.repeat_rate), a.new_members, a.new_buyers,
               a.checkouts, _percent(a.conversion), a.invitee_orders, money(a.commissions)]
              for n, a in dashboard.activity.items()]
    print(table(["period", "buyers", "repeat", "repeat rate", "members", "new buyers", "checkouts", "conversion",
                 "invitee orders", "commissions"], people, right=range(1, 10)))
    print("\nretention, share of each week's new buyers buying again in the weeks after:")
    print(table(["week", "buyers", *(f"+{n}" for n in range(1, COHORT_WEEKS + 1))],
                [[c.week.isoformat(), c.buyers, *("" if share is None else _percent(share) for share in c.shares)]
                 for c in dashboard.cohorts if c.buyers], right=range(1, COHORT_WEEKS + 2)))
    if dashboard.referrers:
        print("\ntop referrers, 30 days:")
        print(table(["referrer", "orders", "GMV", "commissions"],
                    [[r.referrer, r.orders, money(r.gmv), money(r.commissions)] for r in dashboard.referrers],
                    right=(1, 2, 3)))
    print("\nstock cover (available keys / keys sold a day over 30 days):")
    print(table(["sku", "available", "sold 30 days", "days"],
                [[c.sku, c.available, c.sold, "-" if c.days is None else c.days] for c in dashboard.cover],
                right=(1, 2, 3)))


def stats_command(args: argparse.Namespace) -> int:
    deps = open_deps()
    book = published_book(args.station, deps)
    dashboard = station_overview(book.station, deps)
    if args.json:
        print_json({"currency": book.currency, **dashboard.view(args.days)})
    else:
        _print_dashboard(dashboard, args.days, book.currency)
    return EXIT_OK


def _stats_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("station", help="the station's id (its folder under content/)")
    sub.add_argument("--days", type=int, choices=SERIES_CHOICES, default=7,
                     help="how many days to list one by one (default 7); the totals always cover "
                          + ", ".join(str(n) for n in PERIODS) + " days")
    add_json(sub)


STATS = Command("stats", "a station's GMV, orders, refunds and best sellers", STATS_EPILOG, stats_command,
                _stats_arguments)
