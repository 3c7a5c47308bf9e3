"""Orders: `orders`, `order`, `sweep`, `refund`, `deliver`."""
from __future__ import annotations

import argparse
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from kameng.cli import review
from kameng.cli.command import EXIT_OK, Command, Failure, actor, add_json, data_dir, open_deps, positive
from kameng.cli.output import indent, pairs, print_json, table, utc
from kameng.domain.errors import NotFound
from kameng.domain.money import format_minor
from kameng.domain.order import OrderStatus
from kameng.domain.owners import Owner, Role
from kameng.domain.refund import paid_amount
from kameng.services.hand_delivery import deliver
from kameng.services.lookup import order_named, owner_orders, owner_view
from kameng.services.refunds import refund_order
from kameng.services.sweeper import sweep

ORDERS_LIMIT = 20
ORDERS_LIMIT_MAX = 1000

ORDERS_EPILOG = f"""\
examples:
  kameng orders
  kameng orders --station game-zone --status delivered --limit 50
  kameng orders --status needs_attention --json

statuses: {", ".join(s.value for s in OrderStatus)}

{review.REVIEW_EPILOG}"""

ORDER_EPILOG = """\
examples:
  kameng order 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7
  kameng order 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7 --json

Card keys are always shown masked (only their first and last characters);
the shopper sees them in full on the order page.
"""

SWEEP_EPILOG = """\
example:
  kameng sweep

Lapsed reservations go back to stock (and their payment sessions are
expired); paid orders whose delivery stalled are delivered; payments that
could not be delivered and whose refund failed are refunded again. The local
server runs this periodically; one run handles up to 200 due orders.
"""

REFUND_EPILOG = """\
examples:
  kameng refund 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7
  kameng refund 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7 --reason "key did not work"

Refunds a delivered order's total through the payment gateway. The order
becomes refunded, its ledger gets entries that reverse the sale exactly, and
its card keys stay sold (the shopper has seen them) but are flagged refunded.
Running it again refunds nothing more. Only a delivered order can be refunded
here: a payment that could not be delivered is refunded automatically.
"""


@contextmanager
def _naming_the_data_folder() -> Iterator[None]:
    # An order id that is not there often means the wrong KAMENG_DATA_DIR: say which folder was read.
    try:
        yield
    except NotFound as error:
        raise Failure(f"{error.message} in {data_dir()}") from None


def orders_command(args: argparse.Namespace) -> int:
    if args.action:
        return review.review_command(args)
    status = OrderStatus(args.status) if args.status else None
    orders = owner_orders(args.limit, args.station, status, open_deps())
    if args.json:
        print_json(orders)
    elif not orders:
        print("no orders")
    else:
        headers = ["id", "created (UTC)", "station", "sku", "qty", "total", "status", "e-mail"]
        rows = [[o["id"], utc(o["created_at"]), o["station"], o["sku"], o["quantity"],
                 format_minor(o["total"], o["currency"]), o["status"], o["email"]] for o in orders]
        print(table(headers, rows, right=(4, 5)))
    return EXIT_OK


def order_command(args: argparse.Namespace) -> int:
    deps = open_deps()
    with _naming_the_data_folder():
        shown = owner_view(args.order_id, deps)
    if args.json:
        print_json(shown)
        return EXIT_OK
    order = shown["order"]
    print(pairs(_facts(order)))
    print()
    print("ledger")
    print(_ledger(shown["ledger"], order["currency"]))
    print()
    print("keys (masked)")
    print(_keys(shown["keys"]))
    return EXIT_OK


def _facts(order: dict) -> list[tuple[str, object]]:
    def money(minor: int) -> str:
        return format_minor(minor, order["currency"])

    facts: list[tuple[str, object]] = [
        ("order", order["id"]),
        ("status", order["status"]),
        ("station", order["station"]),
        ("sku", f"{order['sku']} ({order['title']})"),
        ("quantity", f"{order['quantity']} x {money(order['unit_price'])}"),
        ("total", money(order["total"])),
        ("wholesale", f"{order['quantity']} x {money(order['unit_wholesale'])}"),
        ("e-mail", order["email"]),
        ("created (UTC)", utc(order["created_at"])),
        ("updated (UTC)", utc(order["updated_at"])),
        ("reservation ends (UTC)", utc(order["reservation_expires_at"])),
        ("payment session", order["payment_session"] or "-"),
        ("payment ref", order["payment_ref"] or "-"),
    ]
    if order["attention_reason"]:
        facts.append(("needs attention", order["attention_reason"]))
    if order["refund_id"]:
        facts.append(("refund", f"{order['refund_id']} ({order['refund_reason'] or '-'})"))
    return facts


def _ledger(entries: list[dict], currency: str) -> str:
    if not entries:
        return "  no entries (written when the order is delivered)"
    rows = [[e["account"], format_minor(e["amount"], e["currency"]), e["memo"]] for e in entries]
    rows.append(["balance", format_minor(sum(e["amount"] for e in entries), currency), ""])
    return indent(table(["account", "amount", "memo"], rows, right=(1,)))


def _keys(keys: list[dict]) -> str:
    if not keys:
        return "  none held by this order"
    has_password = {True: "yes", False: "no", None: "-"}
    rows = [[key["key_id"], key["masked"] or key["problem"], has_password[key["has_password"]],
             "yes" if key["refunded"] else "no"] for key in keys]
    return indent(table(["key id", "key", "password", "refunded"], rows))


def sweep_command(args: argparse.Namespace) -> int:
    done = sweep(open_deps())
    counts = {"expired": done.get("expired", 0), "delivered": done.get("delivered", 0),
              "refunded": done.get("refunded", 0)}
    if args.json:
        print_json(counts)
    else:
        print(f"expired {counts['expired']}, delivered {counts['delivered']}, refunded {counts['refunded']}")
    return EXIT_OK


def refund_command(args: argparse.Namespace) -> int:
    deps = open_deps()
    with _naming_the_data_folder():
        refunded, now = refund_order(args.order_id, args.reason, deps, actor=actor())
    amount, currency = paid_amount(refunded)
    if args.json:
        print_json({"order_id": refunded.id, "status": refunded.status.value, "refund_id": refunded.refund_id,
                    "amount": amount, "currency": currency, "refunded_now": now})
    elif now:
        # A payment that was never delivered held no keys: only a delivered order's keys stay sold.
        keys = (f"its {refunded.quantity} key(s) stay sold, flagged refunded" if refunded.key_ids
                else "it was never delivered, so no key was sold")
        print(f"refunded order {refunded.id}: {format_minor(amount, currency)} back to the shopper "
              f"(refund {refunded.refund_id}); {keys}")
    else:
        print(f"order {refunded.id} was already refunded (refund {refunded.refund_id}); nothing was done")
    return EXIT_OK


DELIVER_EPILOG = """\
examples:
  kameng deliver 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7 --message "账号 abc123 已开通，密码已发到你的邮箱"
  kameng deliver 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7 --file delivery.txt

Delivers a manual product's order (status awaiting_delivery) with the text the
shopper reads on the order page and in the delivery mail: an account, a code,
what was done. The text is kept sealed; the audit log records that it was
sent and its length, never what it says. An order not delivered by its
promised time is refunded by the sweeper.
"""


def message_text(args: argparse.Namespace) -> str:
    """The delivery's text, from --message or from the UTF-8 file --file names."""
    if args.file is None:
        return args.message
    try:
        return Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise Failure(f"cannot read {args.file}: {getattr(error, 'strerror', None) or error}") from None


def deliver_command(args: argparse.Namespace) -> int:
    deps = open_deps()
    text = message_text(args)
    order = order_named(args.order_id, deps)
    if order is None:
        raise Failure(f"no order {args.order_id.strip()!r} in the data folder {data_dir()}")
    if order.status is not OrderStatus.AWAITING_DELIVERY:
        raise Failure(f"order {order.id} is {order.status.value}: only a manual product's order awaiting "
                      "delivery is delivered with a message")
    # At the command line the owner of the data folder acts, with every station's powers.
    done = deliver(Owner("cli", actor(), Role.PLATFORM_OWNER, None), order.id, deps, text)
    if args.json:
        print_json(done)
    else:
        print(f"delivered order {done['order']['id']} ({len(text.strip())} characters); the shopper is mailed")
    return EXIT_OK


def _deliver_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("order_id", metavar="ORDER_ID", help="an order awaiting delivery, as `kameng orders "
                     "--status awaiting_delivery` lists it")
    add_message(sub)
    add_json(sub)


def add_message(sub: argparse.ArgumentParser, required: bool = True) -> None:
    which = sub.add_mutually_exclusive_group(required=required)
    which.add_argument("--message", metavar="TEXT", help="what the shopper receives (up to 4000 characters)")
    which.add_argument("--file", metavar="PATH", help="read it from a UTF-8 text file instead")


def _limit(text: str) -> int:
    value = positive(text)
    if value > ORDERS_LIMIT_MAX:
        raise argparse.ArgumentTypeError(f"must be at most {ORDERS_LIMIT_MAX} (got {value})")
    return value


def _orders_arguments(sub: argparse.ArgumentParser) -> None:
    review.add_arguments(sub)
    sub.add_argument("--station", metavar="ID", help="only this station's orders")
    sub.add_argument("--status", metavar="STATUS", choices=[s.value for s in OrderStatus],
                     help="only orders in this status (see the list below)")
    sub.add_argument("--limit", metavar="N", type=_limit, default=ORDERS_LIMIT,
                     help=f"at most N orders (default {ORDERS_LIMIT}, at most {ORDERS_LIMIT_MAX})")
    add_json(sub)


def _order_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("order_id", metavar="ORDER_ID", help="the order id, as listed by `kameng orders`")
    add_json(sub)


def _sweep_arguments(sub: argparse.ArgumentParser) -> None:
    add_json(sub)


def _refund_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("order_id", metavar="ORDER_ID", help="a delivered order's id, as listed by `kameng orders`")
    sub.add_argument("--reason", metavar="TEXT", help="why, kept with the order (default: owner refund)")
    add_json(sub)


ORDERS = Command("orders", "List recent orders, newest first.", ORDERS_EPILOG, orders_command, _orders_arguments)
ORDER = Command("order", "Show one order: details, ledger entries and masked keys.", ORDER_EPILOG,
                order_command, _order_arguments)
SWEEP = Command("sweep", "Run the sweeper once and print what it did.", SWEEP_EPILOG, sweep_command, _sweep_arguments)
REFUND = Command("refund", "Refund a delivered order through the payment gateway.", REFUND_EPILOG,
                 refund_command, _refund_arguments)
DELIVER = Command("deliver", "Deliver a manual product's order with a message.", DELIVER_EPILOG,
                  deliver_command, _deliver_arguments)
