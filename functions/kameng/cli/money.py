"""Money owed and paid: `settlement`, `withdrawals`."""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

from kameng.cli.command import EXIT_OK, EXIT_USAGE, Command, Failure, actor, add_json, open_deps
from kameng.cli.output import indent, print_json, table, utc
from kameng.domain.errors import NotFound
from kameng.domain.member import WithdrawalStatus
from kameng.domain.money import format_minor
from kameng.domain.order import OrderStatus
from kameng.domain.settlement import Settlement
from kameng.services.membership import settle_withdrawal, station_withdrawals
from kameng.services.settlement import station_settlement
from kameng.services.stations import published_book

SETTLEMENT_EPILOG = """\
examples:
  kameng settlement game-zone --from 2026-11-01 --to 2026-12-01
  kameng settlement game-zone --from 2026-11-01T00:00+08:00 --to 2026-12-01T00:00+08:00 --csv game-zone-11.csv
  kameng settlement game-zone --from 2026-11-01 --to 2026-12-01 --csv -     (the CSV on stdout)

A station's orders placed in [--from, --to) (dates without a time zone are
UTC), read from the ledger: what shoppers paid, the station's gross margin,
the discounts, platform fee and referral commissions it bore, refunds (a
refund reverses its order's entries exactly, in the period of the order),
and its net. For a substation paid through Stripe Connect, "paid out by
Stripe" is what Stripe transferred (the charges minus the application fees
sent with them); "balance due" is what is still owed to the station
(negative: what the station owes the main station). A substation's own
goods show apart: "own goods' sales" is their whole sale (the gross margin
counts the main station's goods only), and "wholesale to main station"
counts only the main station's goods.

On the main station it also shows the margin per key batch: each delivered
key's share of its order's sales less its batch's cost per key (kameng
batches SKU lists them; keys imported before batches show as one row).
"""

WITHDRAWALS_EPILOG = """\
examples:
  kameng withdrawals game-zone --status requested
  kameng withdrawals game-zone --pay 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7 --note "支付宝转账 2026-12-01"
  kameng withdrawals game-zone --reject 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7 --note "账号与姓名不符"

Referrers ask on their account page to be paid their withdrawable
commissions (matured past the holding period, less what they asked for
before), to an Alipay, WeChat or bank account. Pay each by hand, then mark it
paid; a rejected request makes its amount withdrawable again. Each request is
settled once: a second --pay or --reject is refused.
"""


def settlement_command(args: argparse.Namespace) -> int:
    deps = open_deps()
    book = published_book(args.station, deps)
    start, end = args.start, args.end
    if end <= start:
        raise Failure(f"--to ({end.isoformat()}) must be after --from ({start.isoformat()}): --to is the first "
                      "moment after the period, so one day is --from 2026-11-27 --to 2026-11-28", EXIT_USAGE)
    report = station_settlement(book, start, end, deps, with_batches=True)
    if args.csv is not None:
        text = report.csv()
        if str(args.csv) == "-":
            sys.stdout.write(text)
            return EXIT_OK
        args.csv.write_text(text, encoding="utf-8")
    if args.json:
        print_json({"station": report.station, "currency": report.currency, "from": start.isoformat(),
                    "to": end.isoformat(), "orders": len(report.lines), **report.totals,
                    "batches": [{"batch_id": b.batch_id, "keys": b.keys, "refunded": b.refunded, "sales": b.sales,
                                 "cost": b.cost, "margin": b.margin} for b in report.batches]})
        return EXIT_OK
    print(f"settlement of {report.station}, orders placed {start.isoformat()} to {end.isoformat()}:")
    for label, value in _settlement_rows(report, is_main=report.station == deps.settings.main_station):
        print(f"  {label:<26}{value}")
    if report.batches:
        print("margin per key batch (sales: each key's share of its order's sales; refunded keys sell nothing):")
        print(indent(table(["batch", "keys", "refunded", "sales", "cost", "margin"], _batch_rows(report),
                           right=range(1, 6))))
    print("(times are UTC unless --from/--to carry an offset; the CSV's amounts are in minor units, fen)")
    if args.csv is not None:
        print(f"one line per order: {args.csv}")
    return EXIT_OK


def _batch_rows(report: Settlement) -> list[list[object]]:
    def money(amount: int | None) -> str:
        return "cost unknown" if amount is None else format_minor(amount, report.currency)

    return [[b.batch_id or "(before batches)", b.keys, b.refunded, money(b.sales), money(b.cost), money(b.margin)]
            for b in report.batches]


def _settlement_rows(report: Settlement, is_main: bool) -> list[tuple[str, str]]:
    totals = report.totals

    def money(amount: int) -> str:
        return format_minor(amount, report.currency)

    refunded = sum(1 for line in report.lines if line.status == OrderStatus.REFUNDED.value)
    owed = " (negative: the station owes the main station)" if totals["balance_due"] < 0 else ""
    # A substation's own goods apart: their whole sale is the station's, and no wholesale is due on them.
    resold = [] if is_main else [("own goods' sales", money(totals["own_sales"])),
                                 ("wholesale to main station", money(totals["wholesale"]) + " (its goods only)")]
    return [
        ("orders delivered", f"{len(report.lines)} ({refunded} refunded since)"),
        ("shoppers paid", money(totals["paid"]) + " (before refunds)"),
        ("sales" if is_main else "gross margin", money(totals["gross"])),
        *resold,
        ("discounts", money(-totals["discounts"])), ("platform fee", money(-totals["platform_fee"])),
        ("referral commissions", money(-totals["commissions"])),
        ("refunds, station's share", money(-totals["refunded"])),
        ("net", money(totals["net"])), ("paid out by Stripe", money(totals["transferred"])),
        ("balance due to station", money(totals["balance_due"]) + owed),
    ]


def withdrawals_command(args: argparse.Namespace) -> int:
    deps = open_deps()
    book = published_book(args.station, deps)
    if args.pay or args.reject:
        wanted, status = (args.pay, WithdrawalStatus.PAID) if args.pay else (args.reject, WithdrawalStatus.REJECTED)
        try:
            settled = settle_withdrawal(book, wanted, status, args.note, deps, actor=actor())
        except NotFound as error:
            raise Failure(f"{error.message}: see `kameng withdrawals {book.station}`") from None
        if args.json:
            print_json(settled.model_dump(mode="json"))
        else:
            done = "marked paid" if status is WithdrawalStatus.PAID else "rejected, its amount is withdrawable again"
            print(f"withdrawal {settled.id} of {format_minor(settled.amount, book.currency)}: {done}")
        return EXIT_OK
    found = station_withdrawals(book, WithdrawalStatus(args.status) if args.status else None, deps)
    if args.json:
        print_json([w.model_dump(mode="json") for w in found])
    elif not found:
        print("no withdrawals")
    else:
        headers = ["id", "requested (UTC)", "amount", "method", "account", "name", "status"]
        rows = [[w.id, utc(w.requested_at), format_minor(w.amount, book.currency), w.method, w.account, w.name,
                 w.status.value] for w in found]
        print(table(headers, rows, right=(2,)))
    return EXIT_OK


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date such as 2026-11-01 or 2026-11-01T00:00+08:00, got {text!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _settlement_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("station", metavar="STATION", help="a station id, e.g. game-zone")
    sub.add_argument("--from", dest="start", metavar="WHEN", type=_moment, required=True,
                     help="first day (or instant) of the period")
    sub.add_argument("--to", dest="end", metavar="WHEN", type=_moment, required=True,
                     help="the day (or instant) after the period")
    sub.add_argument("--csv", metavar="FILE", type=Path, help="also write one line per order to FILE (- for stdout)")
    add_json(sub, help="print the totals as JSON for scripts")


def _withdrawals_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("station", metavar="STATION", help="a station id, e.g. game-zone")
    sub.add_argument("--status", choices=[s.value for s in WithdrawalStatus], help="only withdrawals in this status")
    action = sub.add_mutually_exclusive_group()
    action.add_argument("--pay", metavar="ID", help="mark this requested withdrawal paid")
    action.add_argument("--reject", metavar="ID", help="reject this requested withdrawal")
    sub.add_argument("--note", metavar="TEXT", help="kept with a paid or rejected withdrawal")
    add_json(sub)


SETTLEMENT = Command("settlement",
                     "A station's settlement for a period: sales, margin, commissions, refunds, balance.",
                     SETTLEMENT_EPILOG, settlement_command, _settlement_arguments)
WITHDRAWALS = Command("withdrawals", "List referrers' withdrawal requests; mark one paid or rejected.",
                      WITHDRAWALS_EPILOG, withdrawals_command, _withdrawals_arguments)
