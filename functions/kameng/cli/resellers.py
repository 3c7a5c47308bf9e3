"""`resellers`: other platforms that buy the main station's keys through the wholesale API (货源对接)."""
from __future__ import annotations

import argparse

from kameng.cli.command import EXIT_OK, Command, Failure, actor, add_json, open_deps
from kameng.cli.output import print_json, table, utc
from kameng.domain.money import format_minor, parse_major
from kameng.ports.store import UnknownRecord
from kameng.services import resellers

RESELLERS_EPILOG = """\
examples:
  kameng resellers add "某某卡盟" --credit-limit 500.00
  kameng resellers top-up r3fa9c01b2e 1000.00 --reference "ICBC 20261205-0042"
  kameng resellers list

A reseller signs every request to /api/wholesale/ with its id and secret
(docs/supply.md, "Kameng upstream"). The secret is printed once, when the
reseller is added; the store keeps it sealed. Orders are charged to the
prepaid balance, which may go below zero as far as the credit limit. Each
action leaves an entry in `kameng audit`.
"""


def _amount(text: str) -> int:
    try:
        return parse_major(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _add(args: argparse.Namespace) -> int:
    reseller, secret = resellers.add_reseller(open_deps(), actor(), args.name, args.credit_limit)
    print(f"reseller id: {reseller.id}")
    print(f"secret:      {secret}")
    print(f"{reseller.name} buys from {reseller.station} in {reseller.currency}, credit limit "
          f"{format_minor(reseller.credit_limit, reseller.currency)}; the secret is shown only now, the store keeps it sealed")
    return EXIT_OK


def _top_up(args: argparse.Namespace) -> int:
    deps = open_deps()
    try:
        added, balance = resellers.top_up(deps, actor(), args.reseller, args.amount, args.reference)
    except UnknownRecord:
        raise Failure(f"no reseller {args.reseller}: `kameng resellers list` shows them") from None
    currency = deps.store.resellers.reseller(args.reseller).currency
    if added:
        print(f"added {format_minor(args.amount, currency)}: balance {format_minor(balance, currency)}")
    else:
        print(f"reference {args.reference!r} was counted before: nothing added, balance {format_minor(balance, currency)}")
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    found = resellers.roster(open_deps())
    if args.json:
        print_json([{"id": s.reseller.id, "name": s.reseller.name, "active": s.reseller.active,
                     "balance": s.balance, "credit_limit": s.reseller.credit_limit, "available": s.available,
                     "currency": s.reseller.currency, "created_at": s.reseller.created_at.isoformat()} for s in found])
    elif not found:
        print("no resellers yet: add one with `kameng resellers add`")
    else:
        print(table(["id", "name", "balance", "credit limit", "available", "since (UTC)", "state"],
                    [[s.reseller.id, s.reseller.name, format_minor(s.balance, s.reseller.currency),
                      format_minor(s.reseller.credit_limit, s.reseller.currency),
                      format_minor(s.available, s.reseller.currency), utc(s.reseller.created_at),
                      "active" if s.reseller.active else "inactive"] for s in found], right=(2, 3, 4)))
    return EXIT_OK


def _arguments(sub: argparse.ArgumentParser) -> None:
    actions = sub.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a reseller and print its secret once",
                             description="Add a reseller of the main station; prints its id and API secret once.")
    add.add_argument("name")
    add.add_argument("--credit-limit", type=_amount, default=0, metavar="AMOUNT",
                     help="how far below zero the balance may go, e.g. 500.00 (default 0)")
    add.set_defaults(run=_add)
    top_up = actions.add_parser("top-up", help="add money the reseller paid in",
                                description="Add to a reseller's balance, once per reference.")
    top_up.add_argument("reseller", metavar="ID")
    top_up.add_argument("amount", type=_amount, metavar="AMOUNT", help="e.g. 1000.00")
    top_up.add_argument("--reference", required=True, help="the payment's reference: the same one twice counts once")
    top_up.set_defaults(run=_top_up)
    listing = actions.add_parser("list", help="resellers and their balances", description="List resellers.")
    add_json(listing)
    listing.set_defaults(run=_list)


RESELLERS = Command("resellers", "Wholesale to other platforms (货源对接): resellers, balances, top-ups.",
                    RESELLERS_EPILOG, lambda args: args.run(args), _arguments)
