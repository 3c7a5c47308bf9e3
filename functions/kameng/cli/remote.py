"""`remote`: the owner's commands over the owner API, signed in with an owner API token, not the store's credentials.

Each subcommand is one call to /api/owner (an import is its three); the API applies the token owner's
role and station itself. Tables by default, --json for scripts, --csv where the API exports.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, Iterable

from kameng.cli import remote_views as views
from kameng.cli.command import EXIT_OK, EXIT_USAGE, Command, Failure, add_json, positive
from kameng.cli.orders import add_message, message_text
from kameng.cli.output import Progress, print_json
from kameng.cli.owner_client import TOKEN_VARIABLE, URL_VARIABLE, OwnerClient
from kameng.domain.order import OrderStatus

BOM = "\ufeff".encode()
REMOTE_EPILOG = f"""\
examples:
  export {URL_VARIABLE}=https://console.shop.example.com
  export {TOKEN_VARIABLE}=kmo_…              (or --token-file ~/.kameng-token, mode 600)
  kameng remote whoami                        who the token signs in as, and which stations
  kameng remote orders game-zone --status needs_attention
  kameng remote orders game-zone --from 2026-11-01 --to 2026-11-30 --csv orders-11.csv
  kameng remote order 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7
  kameng remote refund 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7 --key K1 --reason "key did not work"
  kameng remote deliver 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7 --message "账号已开通"
  kameng remote tickets game-zone
  kameng remote reply 01JD4… --message "A new key is on its way"
  kameng remote stock game-zone --json
  kameng remote import-keys keys.txt --sku steam-cny-100
  kameng remote void --sku steam-cny-100 --key-id 01JD5…
  kameng remote audit game-zone --csv -
  kameng remote stats game-zone

No data folder is read: every command asks the console's owner API, as the
owner the token belongs to (`kameng owners token` issues one; `kameng owners
revoke` ends it). A staff token cannot refund (forbidden, exit 1); another
station's records answer not_found, as ids that do not exist. The token is
never taken on the command line (it would stay in the shell's history) and
never printed. {URL_VARIABLE} must be https://, except for this machine
(localhost, 127.0.0.1, *.localhost). Exit status: 0 done, 1 the API refused
(`kameng: <code>: <message>`) or could not be reached, 2 a usage or
configuration mistake.
"""


def _client(args: argparse.Namespace) -> OwnerClient:
    return OwnerClient.from_environment(getattr(args, "token_file", None))


def _show(args: argparse.Namespace, answer: object, render: Callable[[dict], str]) -> int:
    if args.json:
        print_json(answer)
    else:
        print(render(answer))
    return EXIT_OK


def _export(pieces: Iterable[bytes], target: str) -> int:
    pieces = iter(pieces)
    first = next(pieces, b"")  # the request is made here: a refusal leaves no file behind
    if target == "-":
        out = sys.stdout.buffer
        out.write(first.removeprefix(BOM))  # the BOM is for spreadsheets, not for a pipe
        for piece in pieces:
            out.write(piece)
        out.flush()
        return EXIT_OK
    written = len(first)
    with open(target, "wb") as file:
        file.write(first)
        for piece in pieces:
            file.write(piece)
            written += len(piece)
    print(f"written to {target} ({written} bytes, CSV)")
    return EXIT_OK


# ------------------------------------------------------------------ the subcommands


def _whoami(args):
    return _show(args, _client(args).get("/me"), views.whoami)


def _stats(args):
    if not args.platform and not args.station:
        raise Failure("name a STATION, or ask for --platform", EXIT_USAGE)
    path = "/platform/dashboard" if args.platform else f"/stations/{args.station}/dashboard"
    client = _client(args)
    if args.csv:
        return _export(client.download(path, {"table": args.table}), args.csv)
    return _show(args, client.get(path), views.platform if args.platform else views.dashboard)


def _orders(args):
    params = {"order_id": args.order_id, "email": args.email, "from": args.start, "to": args.end,
              "status": args.status, "cursor": args.cursor, "limit": args.limit}
    client = _client(args)
    path = f"/stations/{args.station}/orders"
    if args.csv:
        return _export(client.download(path, params), args.csv)
    return _show(args, client.get(path, params), views.orders)


def _order(args):
    return _show(args, _client(args).get(f"/orders/{args.order_id}"), views.order)


def _refund(args):
    body = {"reason": args.reason} | ({"key_ids": args.key_ids} if args.key_ids else {})
    done = _client(args).post(f"/orders/{args.order_id}/refund", body)
    return _show(args, done, lambda d: f"order {d['order']['id']} is {d['order']['status']}" + (
        f"; {len(d['refunded_key_ids'])} of its keys refunded so far" if d["refunded_key_ids"] else ""))


def _review(args):
    # approve: delivered as usual; reject: refunded, its keys back in stock (风控).
    body = {"reason": args.reason} if args.action == "reject" else {}
    done = _client(args).post(f"/orders/{args.order_id}/{args.action}", body)
    return _show(args, done, lambda d: f"order {d['order']['id']} is {d['order']['status']}")


def _resend(args):
    done = _client(args).post(f"/orders/{args.order_id}/resend", {})
    return _show(args, done, lambda d: "delivery mail sent again" if d["sent"] else "the delivery mail was not sent")


def _deliver(args):
    # With a message: a manual product's order; without: a needs_attention order, from stock.
    body = {} if args.message is None and args.file is None else {"message": message_text(args)}
    done = _client(args).post(f"/orders/{args.order_id}/deliver", body)
    return _show(args, done, lambda d: f"order {d['order']['id']} is {d['order']['status']}")


def _tickets(args):
    return _show(args, _client(args).get(f"/stations/{args.station}/tickets", {"status": args.status}), views.tickets)


def _reply(args):
    done = _client(args).post(f"/tickets/{args.ticket_id}/reply", {"message": args.message})
    return _show(args, done, lambda d: f"ticket {d['ticket']['id']} is {d['ticket']['status']}")


def _stock(args):
    client = _client(args)
    path = f"/stations/{args.station}/stock"
    if args.csv:
        return _export(client.download(path), args.csv)
    return _show(args, client.get(path), views.stock)


def _import_keys(args):
    path: Path = args.file
    try:
        size = path.stat().st_size
        file = path.open("rb")
    except OSError as error:
        raise Failure(f"cannot read {path}: {error.strerror}") from None
    with file:
        if size == 0:
            raise Failure(f"{path} is empty: nothing to import")
        client = _client(args)
        opened = client.post("/stock/uploads", {"sku": args.sku, "filename": path.name, "size": size})
        progress = Progress(path, sys.stderr)
        sent = False
        try:
            client.upload(opened["url"], opened.get("headers") or {}, file, size, progress)
            sent = True
        finally:
            progress.close(finished=sent)
    report = client.post("/stock/imports", {"upload_id": opened["upload_id"]})
    return _show(args, report, views.imported)


def _void(args):
    codes = list(args.codes or [])
    if args.codes_file is not None:
        try:
            codes += [line.strip() for line in args.codes_file.read_text(encoding="utf-8").splitlines() if line.strip()]
        except (OSError, UnicodeDecodeError) as error:
            raise Failure(f"cannot read {args.codes_file}: {getattr(error, 'strerror', None) or error}") from None
    body = {"sku": args.sku, "codes": codes, "key_ids": list(args.key_ids or [])}
    return _show(args, _client(args).post("/stock/void", body), views.voided)


def _audit(args):
    path = f"/stations/{args.station}/audit" if args.station else "/platform/audit"
    client = _client(args)
    if args.csv:
        return _export(client.download(path), args.csv)
    return _show(args, client.get(path, {"after": args.after, "limit": args.limit}), views.audit)


def _withdrawals(args):
    found = _client(args).get(f"/stations/{args.station}/withdrawals", {"status": args.status})
    return _show(args, found, views.withdrawals)


def _payouts(args):
    return _show(args, _client(args).get(f"/stations/{args.station}/payouts"), views.payouts)


# ------------------------------------------------------------------ the command line


def _token_file(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument("--token-file", metavar="PATH", type=Path, default=default,
                        help=f"read the owner token from PATH instead of {TOKEN_VARIABLE}")


def _csv(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--csv", metavar="FILE", help="download the API's CSV export to FILE (- for stdout)")


def _station(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("station", metavar="STATION", help="the station's id")


def _order_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("order_id", metavar="ORDER_ID")


def _stats_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("station", metavar="STATION", nargs="?", help="the station's id")
    p.add_argument("--platform", action="store_true", help="every station side by side (platform owner)")
    _csv(p)
    p.add_argument("--table", default="days", help="with --csv: days, best_sellers_revenue, best_sellers_keys, "
                                                   "cohorts, referrers, cover or stations (default days)")


def _orders_arguments(p: argparse.ArgumentParser) -> None:
    _station(p)
    p.add_argument("--order-id", metavar="ID")
    p.add_argument("--email", metavar="ADDRESS", help="the shopper's e-mail (matched by its keyed hash)")
    p.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="placed on or after this day")
    p.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="placed on or before this day")
    p.add_argument("--status", choices=[s.value for s in OrderStatus])
    p.add_argument("--cursor", metavar="ID", help="the next page, as the last page's `more:` line says")
    p.add_argument("--limit", type=positive, metavar="N", help="at most N orders a page (the API's limit is 100)")
    _csv(p)


def _refund_arguments(p: argparse.ArgumentParser) -> None:
    _order_id(p)
    p.add_argument("--key", dest="key_ids", action="append", metavar="KEY_ID",
                   help="refund only this key (repeat for more); without it, the whole order")
    p.add_argument("--reason", metavar="TEXT", required=True, help="why, kept with the refund and the audit log")


def _reject_arguments(p: argparse.ArgumentParser) -> None:
    _order_id(p)
    p.add_argument("--reason", metavar="TEXT", help="why, kept with the order and the audit log")


def _void_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sku", required=True)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--code", dest="codes", action="extend", nargs="+", metavar="CODE", help="keys by their code")
    which.add_argument("--codes-file", type=Path, metavar="PATH", help="keys by their code, one a line "
                       "(kept out of the shell's history)")
    which.add_argument("--key-id", dest="key_ids", action="extend", nargs="+", metavar="KEY_ID", help="keys by id")


def _audit_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("station", metavar="STATION", nargs="?", help="one station's entries (default: the platform's)")
    p.add_argument("--after", type=int, metavar="SEQ", help="entries after this one (the `more:` line)")
    p.add_argument("--limit", type=positive, metavar="N", help="at most N entries (the API's default 50, at most 200)")
    _csv(p)


def _status(choices: tuple[str, ...]) -> Callable[[argparse.ArgumentParser], None]:
    def add(p: argparse.ArgumentParser) -> None:
        _station(p)
        p.add_argument("--status", choices=choices)
    return add


def _reply_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("ticket_id", metavar="TICKET")
    p.add_argument("--message", metavar="TEXT", required=True, help="the answer the shopper is mailed")


def _stock_arguments(p: argparse.ArgumentParser) -> None:
    _station(p)
    _csv(p)


def _import_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", type=Path, help=".txt: one key a line; .csv: key[,password]")
    p.add_argument("--sku", required=True, help="a SKU of the main station")


def _deliver_arguments(p: argparse.ArgumentParser) -> None:
    _order_id(p)
    add_message(p, required=False)


def _nothing(p: argparse.ArgumentParser) -> None:
    return None


SUBCOMMANDS: tuple[tuple[str, str, Callable, Callable], ...] = (
    ("whoami", "who the token signs in as", _nothing, _whoami),
    ("stats", "a station's dashboard (or --platform)", _stats_arguments, _stats),
    ("orders", "search a station's orders", _orders_arguments, _orders),
    ("order", "one order: details, ledger, keys masked", _order_id, _order),
    ("refund", "refund an order, or some of its keys", _refund_arguments, _refund),
    ("resend", "send a delivered order's mail again", _order_id, _resend),
    ("approve", "deliver an order the risk rules held (orders --status needs_review)", _order_id, _review),
    ("reject", "refund an order the risk rules held", _reject_arguments, _review),
    ("deliver", "deliver by hand: a manual order with --message/--file, a needs_attention one from stock",
     _deliver_arguments, _deliver),
    ("tickets", "a station's after-sales queue", _status(("open", "answered", "resolved")), _tickets),
    ("reply", "answer a ticket", _reply_arguments, _reply),
    ("stock", "a station's stock counts", _stock_arguments, _stock),
    ("import-keys", "upload a key file and import it", _import_arguments, _import_keys),
    ("void", "void available keys of a main-station SKU", _void_arguments, _void),
    ("audit", "the audit log: one station's, or the platform's", _audit_arguments, _audit),
    ("withdrawals", "referrers' withdrawals", _status(("requested", "paid", "rejected")), _withdrawals),
    ("payouts", "a station's balance and payouts", _station, _payouts),
)


def _remote_arguments(sub: argparse.ArgumentParser) -> None:
    _token_file(sub, None)
    actions = sub.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, summary, arguments, run in SUBCOMMANDS:
        action = actions.add_parser(name, help=summary, description=f"{summary[0].upper()}{summary[1:]}, "
                                    "through the owner API.", formatter_class=argparse.RawDescriptionHelpFormatter)
        arguments(action)
        # Given after the subcommand too; SUPPRESS keeps a --token-file given before it.
        _token_file(action, argparse.SUPPRESS)
        add_json(action)
        action.set_defaults(run=run)


REMOTE = Command("remote", "The owner's commands through the console's API, signed in with an owner API token.",
                 REMOTE_EPILOG, lambda args: args.run(args), _remote_arguments)
