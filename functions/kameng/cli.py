"""`kameng`: the station owner's command line.

Import card keys, read stock and orders, run the sweeper once. Every command
works on the data folder that KAMENG_DATA_DIR names (default ./var), through
the same services the functions call.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sqlite3
import sys
import time
import unicodedata
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Sequence, TextIO

from kameng import config as configuration
from kameng import wiring
from kameng.deps import Deps
from kameng.domain.card_key import CardKey
from kameng.domain.errors import DomainError, NotFound, UnknownStation
from kameng.domain.money import format_minor
from kameng.domain.order import Order, OrderStatus
from kameng.domain.price_book import PriceBook
from kameng.ports import Conflict, UnknownRecord

PROG = "kameng"
# Below this a file imports in a moment; in a log, progress lines would only be noise.
PROGRESS_FROM_BYTES = 1024 * 1024
PROGRESS_CHUNK_BYTES = 64 * 1024
LOG_PROGRESS_STEPS = 10
ORDERS_LIMIT = 20
ORDERS_LIMIT_MAX = 1000

EXIT_OK = 0
EXIT_FAILED = 1  # what was asked for cannot be done: unknown SKU/station/order, unreadable file
EXIT_USAGE = 2  # the command line or the configuration is wrong


class Failure(Exception):
    def __init__(self, message: str, code: int = EXIT_FAILED):
        super().__init__(message)
        self.message = message
        self.code = code


# ---------------------------------------------------------------- output


def _plain(text: object) -> str:
    # Shopper-supplied text (an e-mail) reaches the owner's terminal: escape sequences
    # and bidi overrides in it must not repaint or reorder what the owner reads.
    out = []
    for ch in str(text):
        if unicodedata.category(ch) in ("Cc", "Cf"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def _width(text: str) -> int:
    # Chinese titles take two terminal columns a character.
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]], right: Iterable[int] = ()) -> str:
    cells = [[_plain(cell) for cell in row] for row in [headers, *rows]]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]
    right = set(right)
    lines = []
    for row in cells:
        parts = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - _width(cell))
            parts.append(pad + cell if i in right else cell + pad)
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


# DEL and the C1 controls pass json.dumps(ensure_ascii=False) raw; a terminal would act on them.
_JSON_RAW_CONTROLS = {code: f"\\u{code:04x}" for code in range(0x7F, 0xA0)}


def _print_json(value: object) -> None:
    text = json.dumps(value, ensure_ascii=False, indent=2).translate(_JSON_RAW_CONTROLS)
    print(text)


def _utc(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(timezone.utc).isoformat()


# ---------------------------------------------------------------- wiring


def _deps() -> Deps:
    try:
        return wiring.deps()
    except configuration.ConfigError:
        raise
    except (OSError, sqlite3.Error, ValueError) as error:
        # A data folder that cannot be opened is a set-up problem, not a bug: say where to look.
        data_dir = configuration.load().data_dir
        raise Failure(f"cannot open the data folder {data_dir} (KAMENG_DATA_DIR): {error}", EXIT_USAGE) from None


def _price_book(deps: Deps, station: str) -> PriceBook:
    book = deps.store.price_books.price_book(station)
    if book is None:
        if station == deps.settings.main_station:
            raise UnknownStation(f"no price book published for the main station {station!r}: run the build first")
        raise UnknownStation(f"unknown station {station!r}: no price book published for it (run the build first)")
    return book


# ---------------------------------------------------------------- import-keys


class _Progress:
    """Bytes read so far: a tqdm bar on a terminal, a few whole lines in a log, nothing for a small file in a log.

    It starts on the first line read, so a refused import (unknown SKU, wrong
    file type) never leaves an empty bar behind its error.
    """

    def __init__(self, path: Path, stream: TextIO):
        self.path = path
        self.stream = stream
        self.state = "waiting"  # waiting | bar | lines | off
        self.total = self.done = self.pending = self.step = self.next_line_at = self.logged = 0
        self.started = 0.0
        self.bar = None

    def __call__(self, size: int) -> None:
        if self.state == "waiting":
            self._start()
        if self.state == "off":
            return
        self.pending += size
        if self.pending >= PROGRESS_CHUNK_BYTES:
            self._flush()

    def _start(self) -> None:
        self.started = time.monotonic()
        self.total = self.path.stat().st_size
        if self.stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(
                total=self.total, unit="B", unit_scale=True, unit_divisor=1024, desc=self.path.name,
                file=self.stream, dynamic_ncols=True,
            )
            self.state = "bar"
        elif self.total > PROGRESS_FROM_BYTES:
            self.step = self.next_line_at = max(self.total // LOG_PROGRESS_STEPS, 1)
            self.state = "lines"
        else:
            self.state = "off"

    def _flush(self) -> None:
        self.done += self.pending
        if self.bar is not None:
            self.bar.update(self.pending)
        elif self.done >= self.next_line_at:
            self._log_line()
            self.next_line_at = (self.done // self.step + 1) * self.step
        self.pending = 0

    def _log_line(self) -> None:
        from tqdm import tqdm

        # Whole lines, no carriage returns: a log file or CI output stays readable.
        line = tqdm.format_meter(
            min(self.done, self.total), self.total, time.monotonic() - self.started,
            prefix=self.path.name, unit="B", unit_scale=True, unit_divisor=1024,
            bar_format="{desc}: {percentage:3.0f}% {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}]",
        )
        print(_plain(line), file=self.stream, flush=True)
        self.logged = self.done

    def close(self, finished: bool) -> None:
        if self.state == "bar":
            self._flush()
            self.bar.close()
        elif self.state == "lines" and finished:
            self.done += self.pending
            self.pending = 0
            if self.logged != self.done:
                self._log_line()


def import_keys_command(args: argparse.Namespace) -> int:
    from kameng.services.import_keys import import_file

    deps = _deps()
    path = Path(args.file)
    progress = _Progress(path, sys.stderr)
    finished = False
    try:
        report = import_file(args.sku, path, deps, progress)
        finished = True
    except OSError as error:
        raise Failure(f"cannot read {args.file}: {error.strerror or error}") from None
    finally:
        progress.close(finished)
    print(f"imported {report.imported}, duplicates {report.duplicates}, malformed {report.malformed}")
    for number, reason in report.malformed_lines:
        print(f"{_plain(args.file)}:{number}: {reason}")
    hidden = report.malformed - len(report.malformed_lines)
    if hidden > 0:
        print(f"... and {hidden} more malformed lines")
    return EXIT_OK


# ---------------------------------------------------------------- stock


def stock_command(args: argparse.Namespace) -> int:
    deps = _deps()
    book = _price_book(deps, args.station or deps.settings.main_station)
    counts = deps.store.inventory.stock(book.skus)
    rows = []
    for sku, line in sorted(book.skus.items()):
        count = counts[sku]
        rows.append({
            "sku": sku, "title": line.title, "available": count.available, "reserved": count.reserved,
            "sold": count.sold, "void": count.void, "imported": count.imported,
        })
    if args.json:
        _print_json({"station": book.station, "skus": rows})
        return EXIT_OK
    if not rows:
        print(f"station {book.station} sells no SKU")
        return EXIT_OK
    headers = ["sku", "title", "available", "reserved", "sold", "void", "imported"]
    print(f"stock for station {book.station}")
    print(_table(headers, ([row[h] for h in headers] for row in rows), right=range(2, 7)))
    return EXIT_OK


# ---------------------------------------------------------------- orders


def _order_summary(order: Order) -> dict:
    return {
        "id": order.id, "created_at": _iso(order.created_at), "station": order.station, "sku": order.sku,
        "quantity": order.quantity, "total": order.total, "currency": order.currency,
        "status": order.status.value, "email": order.email,
    }


def orders_command(args: argparse.Namespace) -> int:
    deps = _deps()
    if args.station:
        _price_book(deps, args.station)  # a mistyped station would otherwise look like a quiet shop
    status = OrderStatus(args.status) if args.status else None
    orders = deps.store.orders.recent_orders(args.limit, station=args.station, status=status)
    if args.json:
        _print_json([_order_summary(order) for order in orders])
        return EXIT_OK
    if not orders:
        print("no orders")
        return EXIT_OK
    headers = ["id", "created (UTC)", "station", "sku", "qty", "total", "status", "e-mail"]
    rows = [
        [o.id, _utc(o.created_at), o.station, o.sku, o.quantity, format_minor(o.total, o.currency),
         o.status.value, o.email]
        for o in orders
    ]
    print(_table(headers, rows, right=(4, 5)))
    return EXIT_OK


def _masked_keys(order: Order, deps: Deps) -> list[dict]:
    from kameng.services.lookup import key_context

    keys = []
    for sealed in deps.store.inventory.sealed_keys(order):
        entry: dict = {"key_id": sealed.key_id}
        try:
            card_key = CardKey.from_bytes(deps.cipher.open(sealed.ciphertext, key_context(sealed.sku, sealed.key_id)))
        except Exception as error:
            # One key this master key cannot open must not hide the rest of the order.
            entry.update(masked=None, has_password=None, problem=f"cannot be opened ({type(error).__name__})")
        else:
            entry.update(masked=card_key.masked, has_password=card_key.password is not None)
        entry["refunded"] = sealed.refunded
        keys.append(entry)
    return keys


def order_command(args: argparse.Namespace) -> int:
    deps = _deps()
    wanted = args.order_id.strip()
    order = deps.store.orders.order(wanted) or deps.store.orders.order(wanted.upper())
    if order is None:
        raise NotFound(f"no order {wanted!r} in {configuration.load().data_dir}")
    ledger = deps.store.orders.ledger(order.id)
    keys = _masked_keys(order, deps)
    if args.json:
        detail = _order_summary(order) | {
            "title": order.title, "unit_price": order.unit_price, "unit_wholesale": order.unit_wholesale,
            "updated_at": _iso(order.updated_at), "reservation_expires_at": _iso(order.expires_at),
            "payment_session": order.payment_session, "payment_ref": order.payment_ref,
            "attention_reason": order.attention_reason, "refund_id": order.refund_id,
            "refund_reason": order.refund_reason,
        }
        _print_json({
            "order": detail,
            "ledger": [{"account": e.account, "amount": e.amount, "currency": e.currency, "memo": e.memo} for e in ledger],
            "keys": keys,
        })
        return EXIT_OK
    def money(minor: int) -> str:
        return format_minor(minor, order.currency)

    facts = [
        ("order", order.id),
        ("status", order.status.value),
        ("station", order.station),
        ("sku", f"{order.sku} ({order.title})"),
        ("quantity", f"{order.quantity} x {money(order.unit_price)}"),
        ("total", money(order.total)),
        ("wholesale", f"{order.quantity} x {money(order.unit_wholesale)}"),
        ("e-mail", order.email),
        ("created (UTC)", _utc(order.created_at)),
        ("updated (UTC)", _utc(order.updated_at)),
        ("reservation ends (UTC)", _utc(order.expires_at)),
        ("payment session", order.payment_session or "-"),
        ("payment ref", order.payment_ref or "-"),
    ]
    if order.attention_reason:
        facts.append(("needs attention", order.attention_reason))
    if order.refund_id:
        facts.append(("refund", f"{order.refund_id} ({order.refund_reason or '-'})"))
    print(_pairs(facts))
    print()
    print("ledger")
    if ledger:
        rows = [[e.account, format_minor(e.amount, e.currency), e.memo] for e in ledger]
        rows.append(["balance", format_minor(sum(e.amount for e in ledger), order.currency), ""])
        print(_indent(_table(["account", "amount", "memo"], rows, right=(1,))))
    else:
        print("  no entries (written when the order is delivered)")
    print()
    print("keys (masked)")
    if keys:
        has_password = {True: "yes", False: "no", None: "-"}
        rows = [[key["key_id"], key["masked"] or key["problem"], has_password[key["has_password"]],
                 "yes" if key["refunded"] else "no"] for key in keys]
        print(_indent(_table(["key id", "key", "password", "refunded"], rows)))
    else:
        print("  none held by this order")
    return EXIT_OK


def _pairs(facts: Sequence[tuple[str, object]]) -> str:
    width = max(_width(label) for label, _ in facts)
    return "\n".join(f"{label}{' ' * (width - _width(label))}  {_plain(value)}" for label, value in facts)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.split("\n"))


# ---------------------------------------------------------------- sweep


def sweep_command(args: argparse.Namespace) -> int:
    from kameng.services.sweeper import sweep

    done = sweep(_deps())
    counts = {"expired": done.get("expired", 0), "delivered": done.get("delivered", 0),
              "refunded": done.get("refunded", 0)}
    if args.json:
        _print_json(counts)
    else:
        print(f"expired {counts['expired']}, delivered {counts['delivered']}, refunded {counts['refunded']}")
    return EXIT_OK


# ---------------------------------------------------------------- refund


def refund_command(args: argparse.Namespace) -> int:
    from kameng.services.refunds import refund_order

    deps = _deps()
    wanted = args.order_id.strip()
    order = deps.store.orders.order(wanted) or deps.store.orders.order(wanted.upper())
    if order is None:
        raise NotFound(f"no order {wanted!r} in {configuration.load().data_dir}")
    reason = " ".join((args.reason or "").split()) or "owner refund"
    refunded, now = refund_order(order.id, reason, deps)
    if args.json:
        _print_json({"order_id": refunded.id, "status": refunded.status.value, "refund_id": refunded.refund_id,
                     "amount": refunded.total, "currency": refunded.currency, "refunded_now": now})
    elif now:
        print(f"refunded order {refunded.id}: {format_minor(refunded.total, refunded.currency)} back to the shopper "
              f"(refund {refunded.refund_id}); its {refunded.quantity} key(s) stay sold, flagged refunded")
    else:
        print(f"order {refunded.id} was already refunded (refund {refunded.refund_id}); nothing was done")
    return EXIT_OK


# ---------------------------------------------------------------- settlement


def settlement_command(args: argparse.Namespace) -> int:
    from kameng.domain.settlement import settle

    deps = _deps()
    book = _price_book(deps, args.station)
    start, end = args.start, args.end
    if end <= start:
        raise Failure(f"--to ({end.isoformat()}) must be after --from ({start.isoformat()}): --to is the first "
                      "moment after the period, so one day is --from 2026-11-27 --to 2026-11-28", EXIT_USAGE)
    orders = deps.store.orders.orders_placed(book.station, start, end)
    report = settle(book.station, book.currency, ((order, deps.store.orders.ledger(order.id)) for order in orders))
    if args.csv is not None:
        text = report.csv()
        if str(args.csv) == "-":
            sys.stdout.write(text)
            return EXIT_OK
        args.csv.write_text(text, encoding="utf-8")
    totals = report.totals
    if args.json:
        _print_json({"station": report.station, "currency": report.currency, "from": start.isoformat(),
                     "to": end.isoformat(), "orders": len(report.lines), **totals})
        return EXIT_OK
    def money(amount: int) -> str:
        return format_minor(amount, report.currency)

    print(f"settlement of {report.station}, orders placed {start.isoformat()} to {end.isoformat()}:")
    refunded = sum(1 for line in report.lines if line.status == OrderStatus.REFUNDED.value)
    rows = (
        ("orders delivered", f"{len(report.lines)} ({refunded} refunded since)"),
        ("shoppers paid", money(totals["paid"]) + " (before refunds)"),
        ("gross margin" if report.station != deps.settings.main_station else "sales", money(totals["gross"])),
        ("discounts", money(-totals["discounts"])), ("platform fee", money(-totals["platform_fee"])),
        ("referral commissions", money(-totals["commissions"])),
        ("refunds, station's share", money(-totals["refunded"])),
        ("net", money(totals["net"])), ("paid out by Stripe", money(totals["transferred"])),
        ("balance due to station", money(totals["balance_due"])
         + (" (negative: the station owes the main station)" if totals["balance_due"] < 0 else "")),
    )
    for label, value in rows:
        print(f"  {label:<26}{value}")
    print("(times are UTC unless --from/--to carry an offset; the CSV's amounts are in minor units, fen)")
    if args.csv is not None:
        print(f"one line per order: {args.csv}")
    return EXIT_OK


# ---------------------------------------------------------------- members


def _shopper_key(deps: Deps, email: str) -> str:
    from kameng.domain.shopper import normalise_email

    return deps.cipher.keyed_hash("shopper", normalise_email(email))


def member_command(args: argparse.Namespace) -> int:
    from kameng.domain.member import summarize
    from kameng.domain.pricing import level_for, next_level

    deps = _deps()
    book = _price_book(deps, args.station)
    member = deps.store.members.member(book.station, _shopper_key(deps, args.email))
    now = deps.clock()
    earned = summarize(deps.store.payouts.earnings(book.station, member.shopper_key), now, member.withdrawn)
    level, upcoming = level_for(book.levels, member.spend), next_level(book.levels, member.spend)
    coupons = deps.store.members.coupons_of(book.station, member.shopper_key)
    # The referrer as the owner can look them up: by their referral code (e-mails are kept only as hashes).
    referrer_code = (deps.store.members.member(book.station, member.referrer).referral_code or "?") if member.referrer else None
    facts = {
        "station": book.station, "spend": member.spend, "level": None if level is None else level.name,
        "next_level": None if upcoming is None else {"name": upcoming.name, "remaining": upcoming.spend - member.spend},
        "orders_delivered": member.orders, "points": member.points, "referral_code": member.referral_code,
        "referred_by": referrer_code, "invitees": member.invitees,
        "commissions": {"pending": earned.pending, "withdrawable": earned.withdrawable, "reversed": earned.reversed,
                        "withdrawn": member.withdrawn},
        "coupons": [{"code": c.code, "source": c.source, "amount": c.rule.amount, "used": used,
                     "ends": None if c.rule.ends is None else c.rule.ends.isoformat()} for c, used in coupons],
    }
    if args.json:
        _print_json(facts)
        return EXIT_OK

    def money(amount: int) -> str:
        return format_minor(amount, book.currency)

    print(f"{args.email} at {book.station}:")
    rows = [
        ("spend (delivered, net)", money(member.spend)),
        ("level", (facts["level"] or "-") + (f" (next: {upcoming.name} in {money(upcoming.spend - member.spend)})"
                                             if upcoming else "")),
        ("orders ever delivered", str(member.orders)), ("points", str(member.points)),
        ("referral code", member.referral_code or "- (never signed in)"),
        ("referred by", referrer_code or "-"), ("invitees", str(member.invitees)),
        ("commissions", f"{money(earned.pending)} held, {money(earned.withdrawable)} withdrawable, "
                        f"{money(member.withdrawn)} asked for, {money(earned.reversed)} reversed"),
    ]
    for label, value in rows:
        print(f"  {label:<24}{_plain(value)}")
    for coupon, used in coupons:
        state = "used" if used else ("expired" if coupon.rule.ends and coupon.rule.ends <= now else "available")
        print(f"  coupon {coupon.code}  {money(coupon.rule.amount)}  {coupon.source}  {state}")
    return EXIT_OK


def give_coupon_command(args: argparse.Namespace) -> int:
    from kameng.domain.money import parse_major
    from kameng.services.membership import give_coupon

    from kameng.domain.shopper import EMAIL

    if not EMAIL.match(args.email.strip()):
        raise Failure(f"EMAIL: expected an e-mail address such as buyer@example.com (got {args.email!r})", EXIT_USAGE)
    deps = _deps()
    book = _price_book(deps, args.station)
    try:
        amount = parse_major(args.amount)
    except ValueError as error:
        raise Failure(f"AMOUNT: {error}", EXIT_USAGE) from None
    if amount == 0:
        raise Failure("AMOUNT: expected an amount above 0.00", EXIT_USAGE)
    coupon = give_coupon(book, _shopper_key(deps, args.email), amount, args.days, deps)
    if args.json:
        _print_json({"code": coupon.code, "amount": amount, "ends": coupon.rule.ends.isoformat()})
    else:
        print(f"coupon {coupon.code}: {format_minor(amount, book.currency)} off one order at {book.station}, "
              f"for {args.email} only, until {_utc(coupon.rule.ends)} UTC; it shows on their account page")
    return EXIT_OK


# ---------------------------------------------------------------- withdrawals


def withdrawals_command(args: argparse.Namespace) -> int:
    from kameng.domain.member import WithdrawalStatus

    deps = _deps()
    book = _price_book(deps, args.station)
    note = " ".join((args.note or "").split()) or None
    if args.pay or args.reject:
        wanted, status = (args.pay, WithdrawalStatus.PAID) if args.pay else (args.reject, WithdrawalStatus.REJECTED)
        try:
            settled = deps.store.payouts.settle_withdrawal(book.station, wanted.strip().upper(), status, deps.clock(), note)
        except (UnknownRecord, Conflict):
            raise Failure(f"no withdrawal {wanted!r} waiting at {book.station}: see `kameng withdrawals {book.station}`") from None
        if args.json:
            _print_json(settled.model_dump(mode="json"))
        else:
            done = "marked paid" if status is WithdrawalStatus.PAID else "rejected, its amount is withdrawable again"
            print(f"withdrawal {settled.id} of {format_minor(settled.amount, book.currency)}: {done}")
        return EXIT_OK
    status = WithdrawalStatus(args.status) if args.status else None
    found = deps.store.payouts.withdrawals(book.station, status)
    if args.json:
        _print_json([w.model_dump(mode="json") for w in found])
        return EXIT_OK
    if not found:
        print("no withdrawals")
        return EXIT_OK
    headers = ["id", "requested (UTC)", "amount", "method", "account", "name", "status"]
    rows = [[w.id, _utc(w.requested_at), format_minor(w.amount, book.currency), w.method, w.account, w.name,
             w.status.value] for w in found]
    print(_table(headers, rows, right=(2,)))
    return EXIT_OK


# ---------------------------------------------------------------- publish


def publish_command(args: argparse.Namespace) -> int:
    import boto3
    from botocore.config import Config as BotoConfig

    from kameng.adapters.cdn_s3 import S3CloudFrontPublisher
    from kameng.services.publish_site import PublishError, publish

    publisher = S3CloudFrontPublisher(
        boto3.client("s3", config=BotoConfig(max_pool_connections=16)),
        boto3.client("cloudfront") if args.distribution else None, max_workers=16)
    try:
        report = publish(args.site, args.station or None, args.bucket, args.distribution, publisher,
                         publish_price_books=None if args.dry_run else _deps().store.price_books.put_price_book,
                         dry_run=args.dry_run, echo=print)
    except PublishError as error:
        raise Failure(str(error)) from None
    print(report.summary())
    return EXIT_OK


# ---------------------------------------------------------------- demo-stock


def demo_stock_command(args: argparse.Namespace) -> int:
    from kameng.services.demo_stock import stock_demo

    reports = stock_demo(_deps(), per_sku=args.per_sku)
    if args.json:
        _print_json({sku: {"imported": r.imported, "duplicates": r.duplicates} for sku, r in reports.items()})
    elif not reports:
        print("this store already holds card keys; demo keys are only added to a store that never had any")
    else:
        print(_table(["sku", "fake keys imported"], ([sku, r.imported] for sku, r in reports.items()), right=(1,)))
    return EXIT_OK


# ---------------------------------------------------------------- the parser


MAIN_EPILOG = """\
examples:
  kameng import-keys steam-cny-100 keys.txt   add card keys to a SKU's stock
  kameng stock                                every SKU of the main station
  kameng stock --station game-zone --json     a substation, for scripts
  kameng orders --status needs_attention      orders a person must look at
  kameng order 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7     one order, keys masked
  kameng sweep                                expire lapsed reservations now
  kameng refund 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7    give a delivered order's money back
  kameng settlement game-zone --from 2026-11-01 --to 2026-12-01
                                              a station's month: margin, commissions, balance
  kameng member game-zone buyer@example.com   a shopper's level, points, referrals, coupons
  kameng give-coupon game-zone buyer@example.com 5.00
                                              a single-use coupon for one shopper
  kameng withdrawals game-zone                referrers waiting to be paid their commissions

The data folder is KAMENG_DATA_DIR (default ./var in the repository).
Exit status: 0 done, 1 the command could not be done (unknown SKU, station or
order, unreadable file), 2 a usage or configuration mistake.
"""

IMPORT_EPILOG = """\
examples:
  kameng import-keys steam-cny-100 keys.txt
  kameng import-keys windows-11-pro licences.csv

file formats (UTF-8):
  .txt   one key per line
  .csv   key[,password] per line, no header row
  Blank lines and lines starting with # are skipped, so a header can be
  written as "# key,password". A line with a space or a control character
  inside a key is reported as FILE:LINE: reason and skipped.

Importing is idempotent: a key already held (in any SKU) counts as a
duplicate and is not added again, so an interrupted import can simply be run
again. The SKU must be in the main station's published price book (run the
build first).
"""

STOCK_EPILOG = """\
examples:
  kameng stock
  kameng stock --station game-zone
  kameng stock --json

For every SKU: available + reserved + sold + void = imported.
"""

ORDERS_EPILOG = f"""\
examples:
  kameng orders
  kameng orders --station game-zone --status delivered --limit 50
  kameng orders --status needs_attention --json

statuses: {", ".join(s.value for s in OrderStatus)}
"""

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
(negative: what the station owes the main station).
"""


MEMBER_EPILOG = """\
examples:
  kameng member game-zone buyer@example.com
  kameng member game-zone buyer@example.com --json

A shopper's standing at a station: spend (delivered orders net of refunds)
and level, points, referral code and invitees, commissions, and their own
coupons. The e-mail is looked up by its keyed hash, as checkout does.
"""


GIVE_COUPON_EPILOG = """\
examples:
  kameng give-coupon game-zone buyer@example.com 5.00
  kameng give-coupon game-zone buyer@example.com 20 --days 30

Gives one shopper a single-use coupon (say, to make up for a key that was
slow to arrive). Only orders with that e-mail can use it; it appears on their
account page. Like every coupon it never takes an order below its wholesale
cost.
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


PUBLISH_EPILOG = """\
examples:
  kameng publish --bucket kameng-sites --distribution E2ABCDEF123 --dry-run
  kameng publish --bucket kameng-sites --distribution E2ABCDEF123

Uploads site/<station>/ to s3://BUCKET/<station>/ (only what changed, by
content hash; hashed assets cached for a year, pages revalidated), publishes
each station's price book to the store (KAMENG_STORE, e.g. dynamodb), deletes
what the build no longer has, and invalidates only the changed pages. AWS
credentials come from the usual AWS_* variables or profile. --dry-run prints
the plan and changes nothing.
"""


DEMO_STOCK_EPILOG = """\
example:
  kameng demo-stock

For the demo shop (`make serve`): in a store that has never held a card key,
every SKU of the main station gets fake DEMO-... keys, so checkout can be
tried end to end. A store with any keys at all is left alone, so fake keys
are never sold beside real ones.
"""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value


def _limit(text: str) -> int:
    value = _positive(text)
    if value > ORDERS_LIMIT_MAX:
        raise argparse.ArgumentTypeError(f"must be at most {ORDERS_LIMIT_MAX} (got {value})")
    return value


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kameng")
    except PackageNotFoundError:
        return "unknown"


def _import_keys_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("sku", metavar="SKU", help="a SKU id of the main station, e.g. steam-cny-100")
    sub.add_argument("file", metavar="FILE", help="a .txt (one key per line) or .csv (key[,password]) file")


def _stock_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--station", metavar="ID", help="list this station's SKUs (default: the main station)")
    sub.add_argument("--json", action="store_true", help="print JSON for scripts")


def _orders_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--station", metavar="ID", help="only this station's orders")
    sub.add_argument("--status", metavar="STATUS", choices=[s.value for s in OrderStatus],
                     help="only orders in this status (see the list below)")
    sub.add_argument("--limit", metavar="N", type=_limit, default=ORDERS_LIMIT,
                     help=f"at most N orders (default {ORDERS_LIMIT}, at most {ORDERS_LIMIT_MAX})")
    sub.add_argument("--json", action="store_true", help="print JSON for scripts")


def _order_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("order_id", metavar="ORDER_ID", help="the order id, as listed by `kameng orders`")
    sub.add_argument("--json", action="store_true", help="print JSON for scripts")


def _sweep_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--json", action="store_true", help="print JSON for scripts")


def _refund_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("order_id", metavar="ORDER_ID", help="a delivered order's id, as listed by `kameng orders`")
    sub.add_argument("--reason", metavar="TEXT", help="why, kept with the order (default: owner refund)")
    sub.add_argument("--json", action="store_true", help="print JSON for scripts")


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date such as 2026-11-01 or 2026-11-01T00:00+08:00, got {text!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _settlement_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("station", metavar="STATION", help="a station id, e.g. game-zone")
    sub.add_argument("--from", dest="start", metavar="WHEN", type=_moment, required=True, help="first day (or instant) of the period")
    sub.add_argument("--to", dest="end", metavar="WHEN", type=_moment, required=True, help="the day (or instant) after the period")
    sub.add_argument("--csv", metavar="FILE", type=Path, help="also write one line per order to FILE (- for stdout)")
    sub.add_argument("--json", action="store_true", help="print the totals as JSON for scripts")


def _member_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("station", metavar="STATION", help="a station id, e.g. game-zone")
    sub.add_argument("email", metavar="EMAIL", help="the shopper's e-mail")
    sub.add_argument("--json", action="store_true", help="print JSON for scripts")


def _give_coupon_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("station", metavar="STATION", help="a station id, e.g. game-zone")
    sub.add_argument("email", metavar="EMAIL", help="the shopper's e-mail")
    sub.add_argument("amount", metavar="AMOUNT", help="the amount off, e.g. 5.00")
    sub.add_argument("--days", metavar="N", type=_positive, default=90, help="valid for N days (default 90)")
    sub.add_argument("--json", action="store_true", help="print JSON for scripts")


def _withdrawals_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("station", metavar="STATION", help="a station id, e.g. game-zone")
    sub.add_argument("--status", choices=["requested", "paid", "rejected"], help="only withdrawals in this status")
    action = sub.add_mutually_exclusive_group()
    action.add_argument("--pay", metavar="ID", help="mark this requested withdrawal paid")
    action.add_argument("--reject", metavar="ID", help="reject this requested withdrawal")
    sub.add_argument("--note", metavar="TEXT", help="kept with a paid or rejected withdrawal")
    sub.add_argument("--json", action="store_true", help="print JSON for scripts")


def _publish_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--bucket", required=True, help="the S3 bucket the CDN serves from")
    sub.add_argument("--distribution", metavar="ID", help="the CloudFront distribution id to invalidate")
    sub.add_argument("--site", type=Path, default=configuration.REPO / "site", help="the build output (default ./site)")
    sub.add_argument("--station", action="append", metavar="ID", help="only this station (repeatable)")
    sub.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")


def _demo_stock_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--per-sku", metavar="N", type=_positive, default=40, help="fake keys per SKU (default 40)")
    sub.add_argument("--json", action="store_true", help="print JSON for scripts")


COMMANDS = (
    ("import-keys", "Import card keys for a SKU from a .txt or .csv file.", IMPORT_EPILOG,
     import_keys_command, _import_keys_arguments),
    ("stock", "Show stock counts per SKU.", STOCK_EPILOG, stock_command, _stock_arguments),
    ("orders", "List recent orders, newest first.", ORDERS_EPILOG, orders_command, _orders_arguments),
    ("order", "Show one order: details, ledger entries and masked keys.", ORDER_EPILOG,
     order_command, _order_arguments),
    ("sweep", "Run the sweeper once and print what it did.", SWEEP_EPILOG, sweep_command, _sweep_arguments),
    ("refund", "Refund a delivered order through the payment gateway.", REFUND_EPILOG,
     refund_command, _refund_arguments),
    ("settlement", "A station's settlement for a period: sales, margin, commissions, refunds, balance.",
     SETTLEMENT_EPILOG, settlement_command, _settlement_arguments),
    ("member", "Show a shopper's level, points, referrals, commissions and coupons.", MEMBER_EPILOG,
     member_command, _member_arguments),
    ("give-coupon", "Give one shopper a single-use coupon.", GIVE_COUPON_EPILOG,
     give_coupon_command, _give_coupon_arguments),
    ("withdrawals", "List referrers' withdrawal requests; mark one paid or rejected.", WITHDRAWALS_EPILOG,
     withdrawals_command, _withdrawals_arguments),
    ("publish", "Upload the built site to S3, publish price books, invalidate CloudFront.", PUBLISH_EPILOG,
     publish_command, _publish_arguments),
    ("demo-stock", "Give a fresh store fake keys (the demo shop only).", DEMO_STOCK_EPILOG,
     demo_stock_command, _demo_stock_arguments),
)


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=30)


def parser() -> argparse.ArgumentParser:
    # The command list is written out by hand: argparse (before 3.13) wraps a long
    # subcommand name onto a line of its own.
    listing = "\n".join(f"  {name:<13} {summary}" for name, summary, *_ in COMMANDS)
    root = argparse.ArgumentParser(
        prog=PROG, formatter_class=_formatter, epilog=MAIN_EPILOG,
        description=f"The station owner's tool for a Kameng shop: card keys, stock, orders.\n\ncommands:\n{listing}",
    )
    root.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = root.add_subparsers(dest="command", metavar="COMMAND",
                                   help="see `kameng COMMAND --help` for its options")
    for name, summary, epilog, run, add_arguments in COMMANDS:
        sub = commands.add_parser(name, description=summary, epilog=epilog, formatter_class=_formatter)
        sub.set_defaults(run=run)
        add_arguments(sub)
    return root


class _OneLineLog(logging.Handler):
    """Warnings from the services, one line each on stderr; a traceback is for a developer's log, not the owner."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                error = record.exc_info[1]
                message = f"{message}: {type(error).__name__}: {error}"
            _fail(f"{record.levelname.lower()}: {message}")
        except Exception:
            self.handleError(record)


def _log_to_stderr() -> None:
    logger = logging.getLogger("kameng")
    if not any(isinstance(handler, _OneLineLog) for handler in logger.handlers):
        logger.addHandler(_OneLineLog(logging.WARNING))


def _fail(message: str) -> None:
    print(f"{PROG}: {_plain(' '.join(message.split()))}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    root = parser()
    try:
        args = root.parse_args(argv)
    except SystemExit as exit:
        # --help and usage errors: argparse has printed what it has to say.
        return exit.code if isinstance(exit.code, int) else EXIT_USAGE
    if args.command is None:
        root.print_help(sys.stderr)
        return EXIT_USAGE
    _log_to_stderr()
    try:
        return args.run(args)
    except Failure as failure:
        _fail(failure.message)
        return failure.code
    except configuration.ConfigError as error:
        _fail(str(error))
        return EXIT_USAGE
    except DomainError as error:
        _fail(error.message)
        return EXIT_FAILED
    except KeyboardInterrupt:
        _fail("interrupted; whatever was done is kept, and running the command again is safe")
        return 130
    except BrokenPipeError:
        # `kameng orders | head`: the reader left; say nothing more into a closed pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
