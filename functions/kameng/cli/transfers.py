"""`transfers`: bank transfers (对公): orders awaiting one, a statement imported, one confirmed by hand."""
from __future__ import annotations

import argparse
from pathlib import Path

from kameng.cli.command import EXIT_OK, Command, Failure, actor, add_json, open_deps
from kameng.cli.output import print_json, table, utc
from kameng.domain.money import format_minor, parse_major
from kameng.domain.owners import Owner, Role
from kameng.services import bank_transfers

TRANSFERS_EPILOG = """\
examples:
  kameng transfers list
  kameng transfers import statement-2026-12.csv --station game-zone
  kameng transfers confirm 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7 --amount 1020.00 --bank-ref ICBC202612020001
  kameng transfers refund-paid 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7 --bank-ref ICBC202612090042 --note "退回付款账户"

A buyer who pays by bank transfer writes the order's reference (KM…) in the
memo (附言). Import the bank's CSV statement (UTF-8 or GBK, as the bank
exports it): a line with a reference and the order's exact amount pays the
order; a different amount, an unknown or missing reference, or a second
transfer is listed for you to look at. Importing a file again counts nothing
twice. Refunds of bank payments are paid back by hand: `list` shows them;
once you have transferred one back, record it with `refund-paid` and your
bank's reference (the first reference recorded stands). Each import,
confirmation and refund paid back leaves an entry in `kameng audit`.
"""


def _owner() -> Owner:
    # At the command line the owner of the data folder acts, with every station's powers.
    return Owner("cli", actor(), Role.PLATFORM_OWNER, None)


def _amount(text: str) -> int:
    try:
        return parse_major(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _money(view: dict, name: str = "amount", currency: str = "CNY") -> str:
    return format_minor(view[name], view.get("currency", currency))


def _list(args: argparse.Namespace) -> int:
    deps = open_deps()
    found = bank_transfers.transfers(_owner(), args.station or deps.settings.main_station, deps)
    if args.json:
        print_json(found)
        return EXIT_OK
    if found["awaiting"]:
        print(table(["order", "reference", "total", "status", "expires (UTC)", "invoice"],
                    [[o["id"], o["reference"], _money(o, "total"), o["status"], utc(o["expires_at"]),
                      o["invoice_title"] or ""] for o in found["awaiting"]], right=(2,)))
    else:
        print("no orders awaiting a bank transfer")
    if found["refunds_owed"]:
        print("\nrefunds to pay back by hand:")
        print(table(["order", "amount", "paid with", "refund"],
                    [[o["id"], format_minor(o["refund_amount"], o["refund_currency"]), o["payment_ref"] or "",
                      o["refund_id"]] for o in found["refunds_owed"]], right=(1,)))
    if found["refunds_paid"]:
        print("\nrefunds paid back:")
        print(table(["order", "amount", "bank ref", "paid (UTC)", "by"],
                    [[o["id"], format_minor(o["refund_amount"], o["refund_currency"]), o["bank_ref"], utc(o["paid_at"]),
                      o["by"]] for o in found["refunds_paid"]], right=(1,)))
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    try:
        data = Path(args.file).read_bytes()
    except OSError as error:
        raise Failure(f"cannot read {args.file}: {error.strerror or error}") from None
    deps = open_deps()
    report = bank_transfers.import_statement(_owner(), args.station or deps.settings.main_station, data, deps)
    if args.json:
        print_json(report)
        return EXIT_OK
    print(f"{report['lines']} line(s) of money received: {len(report['applied'])} applied, "
          f"{len(report['already_imported'])} imported before, {len(report['for_person'])} for you to look at")
    for line in report["applied"]:
        print(f"  line {line['line']}: {format_minor(line['amount'], 'CNY')} → order {line['order_id']} "
              f"({line['status']})")
    for line in report["for_person"]:
        print(f"  line {line['line']}: {format_minor(line['amount'], 'CNY')} from {line['payer'] or '?'} "
              f"({line['memo'] or 'no memo'}): {line['why']}")
    return EXIT_OK


def _confirm(args: argparse.Namespace) -> int:
    done = bank_transfers.confirm(_owner(), args.order_id, args.amount, args.bank_ref, open_deps())
    if args.json:
        print_json(done)
    elif not done["applied"]:
        print(f"order {done['order']['id']}: nothing was done ({done.get('why') or done['order']['status']})")
    else:
        why = f" — {done['reason']}" if done.get("reason") else ""
        print(f"order {done['order']['id']} is {done['order']['status']}{why}")
    return EXIT_OK


def _refund_paid(args: argparse.Namespace) -> int:
    done = bank_transfers.record_refund_paid(_owner(), args.order_id, args.bank_ref, args.note, open_deps())
    if args.json:
        print_json(done)
        return EXIT_OK
    refund = done["refund"]
    what = "recorded" if done["recorded"] else "was already recorded"
    print(f"order {done['order']['id']}: refund of {format_minor(refund['refund_amount'], refund['refund_currency'])} "
          f"paid back {what} (bank ref {refund['bank_ref']})")
    return EXIT_OK


def _arguments(sub: argparse.ArgumentParser) -> None:
    actions = sub.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="orders awaiting a transfer, and refunds owed",
                                 description="Orders awaiting a bank transfer, and bank refunds to pay back by hand.")
    listing.add_argument("--station", metavar="ID", help="the station (default: the main station)")
    add_json(listing)
    listing.set_defaults(run=_list)
    importing = actions.add_parser("import", help="import a bank statement (CSV)",
                                   description="Apply a bank's CSV statement to the orders awaiting a transfer.")
    importing.add_argument("file", metavar="FILE", help="the bank's CSV export, UTF-8 or GBK")
    importing.add_argument("--station", metavar="ID", help="the station the account belongs to (default: main)")
    add_json(importing)
    importing.set_defaults(run=_import)
    confirm = actions.add_parser("confirm", help="confirm one transfer by hand",
                                 description="Record that a transfer for the order arrived.")
    confirm.add_argument("order_id", metavar="ORDER", help="the order's id")
    confirm.add_argument("--amount", type=_amount, required=True, metavar="AMOUNT", help="what arrived, e.g. 1020.00")
    confirm.add_argument("--bank-ref", required=True, metavar="REF", help="the bank's 流水号 of the transfer")
    add_json(confirm)
    confirm.set_defaults(run=_confirm)
    paid = actions.add_parser("refund-paid", help="record a bank refund as paid back to the buyer",
                              description="Record that you transferred the order's refund back to the buyer.")
    paid.add_argument("order_id", metavar="ORDER_ID", help="the refunded order's id")
    paid.add_argument("--bank-ref", required=True, metavar="REF", help="your bank's reference of the transfer back")
    paid.add_argument("--note", metavar="TEXT", help="a note kept with the record (at most 200 characters)")
    add_json(paid)
    paid.set_defaults(run=_refund_paid)


TRANSFERS = Command("transfers", "Bank transfers (对公): orders awaiting one, statements, confirmations.",
                    TRANSFERS_EPILOG, lambda args: args.run(args), _arguments)
