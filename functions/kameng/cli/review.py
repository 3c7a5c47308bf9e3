"""`kameng orders review | approve ID | reject ID --reason TEXT`: the orders the risk rules hold (风控)."""
from __future__ import annotations

import argparse

from kameng.cli.command import EXIT_OK, Failure, actor, open_deps
from kameng.cli.output import print_json, table, utc
from kameng.domain.errors import NotFound
from kameng.domain.money import format_minor
from kameng.domain.owners import Owner, Role
from kameng.services import risk_review as risk

ACTIONS = ("review", "approve", "reject")

REVIEW_EPILOG = """\
held orders (风控):
  kameng orders review                        orders the risk rules hold, with the rule
  kameng orders approve 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7
  kameng orders reject 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7 --reason "stolen card"

An approved order is delivered as usual; a rejected one gives its keys back
to stock and its payment back through its rail. Doing either twice does
nothing more.
"""


def review_command(args: argparse.Namespace) -> int:
    deps = open_deps()
    # At the command line the owner of the data folder acts, with every station's powers.
    owner = Owner("cli", actor(), Role.PLATFORM_OWNER, None)
    if args.action == "review":
        _list(risk.held_orders(owner, args.station, deps), args.json)
        if args.station and not args.json:
            refused = risk.refusals_today(owner, args.station, deps)
            print(f"refused today at {args.station}: {refused['blocked']} by a blocklist, "
                  f"{refused['throttled']} over orders per hour")
        return EXIT_OK
    if not args.order_id:
        raise Failure(f"kameng orders {args.action} needs the order's id, as `kameng orders review` lists it")
    try:
        if args.action == "approve":
            order = risk.approve(owner, args.order_id, deps)
        else:
            order = risk.reject(owner, args.order_id, args.reason, deps)
    except NotFound as error:
        raise Failure(error.message) from None
    if args.json:
        print_json({"order_id": order.id, "status": order.status.value, "review": order.review,
                    "reviewed": order.reviewed})
    else:
        print(f"order {order.id} is {order.status.value} ({order.reviewed or 'not reviewed'})")
    return EXIT_OK


def _list(held: list[dict], as_json: bool) -> None:
    if as_json:
        print_json(held)
    elif not held:
        print("no orders held for review")
    else:
        headers = ["id", "created (UTC)", "station", "qty", "total", "e-mail", "rule"]
        rows = [[o["id"], utc(o["created_at"]), o["station"], o["quantity"], format_minor(o["total"], o["currency"]),
                 o["email"], o["review"]] for o in held]
        print(table(headers, rows, right=(3, 4)))


def add_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("action", nargs="?", choices=ACTIONS, metavar="ACTION",
                     help="review: list held orders; approve ID: deliver one; reject ID: refund one")
    sub.add_argument("order_id", nargs="?", metavar="ORDER_ID", help="the held order (approve and reject)")
    sub.add_argument("--reason", metavar="TEXT", help="why an order is rejected, kept with it")
