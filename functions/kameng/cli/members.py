"""Shoppers as members: `member`, `give-coupon`."""
from __future__ import annotations

import argparse

from kameng.cli.command import EXIT_OK, EXIT_USAGE, Command, Failure, actor, add_json, open_deps, positive
from kameng.cli.output import plain, print_json, utc
from kameng.domain.money import format_minor, parse_major
from kameng.domain.shopper import is_email
from kameng.services.account import member_view
from kameng.services.lookup import shopper_key
from kameng.services.membership import give_coupon
from kameng.services.stations import published_book

MEMBER_EPILOG = """\
examples:
  kameng member game-zone buyer@example.com
  kameng member game-zone buyer@example.com --json

A shopper's standing at a station: spend (delivered orders net of refunds)
and level, points, referral code and invitees, commissions, and their own
coupons, each used, expired or available as their account page shows it.
The e-mail is looked up by its keyed hash, as checkout does.
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


def member_command(args: argparse.Namespace) -> int:
    deps = open_deps()
    book = published_book(args.station, deps)
    facts = member_view(book, args.email, deps)
    if args.json:
        print_json(facts)
        return EXIT_OK

    def money(amount: int) -> str:
        return format_minor(amount, book.currency)

    upcoming, earned = facts["next_level"], facts["commissions"]
    rows = [
        ("spend (delivered, net)", money(facts["spend"])),
        ("level", (facts["level"] or "-")
         + (f" (next: {upcoming['name']} in {money(upcoming['remaining'])})" if upcoming else "")),
        ("orders ever delivered", str(facts["orders_delivered"])), ("points", str(facts["points"])),
        ("referral code", facts["referral_code"] or "- (never signed in)"),
        ("referred by", facts["referred_by"] or "-"), ("invitees", str(facts["invitees"])),
        ("commissions", f"{money(earned['pending'])} held, {money(earned['withdrawable'])} withdrawable, "
                        f"{money(earned['withdrawn'])} asked for, {money(earned['reversed'])} reversed"),
    ]
    print(f"{args.email} at {book.station}:")
    for label, value in rows:
        print(f"  {label:<24}{plain(value)}")
    for coupon in facts["coupons"]:
        print(f"  coupon {coupon['code']}  {money(coupon['amount'])}  {coupon['source']}  {coupon['state']}")
    return EXIT_OK


def give_coupon_command(args: argparse.Namespace) -> int:
    if not is_email(args.email.strip()):
        raise Failure(f"EMAIL: expected an e-mail address such as buyer@example.com (got {args.email!r})", EXIT_USAGE)
    deps = open_deps()
    book = published_book(args.station, deps)
    try:
        amount = parse_major(args.amount)
    except ValueError as error:
        raise Failure(f"AMOUNT: {error}", EXIT_USAGE) from None
    if amount == 0:
        raise Failure("AMOUNT: expected an amount above 0.00", EXIT_USAGE)
    coupon = give_coupon(book, shopper_key(args.email, deps), amount, args.days, deps, actor=actor())
    if args.json:
        print_json({"code": coupon.code, "amount": amount, "ends": coupon.rule.ends.isoformat()})
    else:
        print(f"coupon {coupon.code}: {format_minor(amount, book.currency)} off one order at {book.station}, "
              f"for {args.email} only, until {utc(coupon.rule.ends)} UTC; it shows on their account page")
    return EXIT_OK


def _member_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("station", metavar="STATION", help="a station id, e.g. game-zone")
    sub.add_argument("email", metavar="EMAIL", help="the shopper's e-mail")
    add_json(sub)


def _give_coupon_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("station", metavar="STATION", help="a station id, e.g. game-zone")
    sub.add_argument("email", metavar="EMAIL", help="the shopper's e-mail")
    sub.add_argument("amount", metavar="AMOUNT", help="the amount off, e.g. 5.00")
    sub.add_argument("--days", metavar="N", type=positive, default=90, help="valid for N days (default 90)")
    add_json(sub)


MEMBER = Command("member", "Show a shopper's level, points, referrals, commissions and coupons.", MEMBER_EPILOG,
                 member_command, _member_arguments)
GIVE_COUPON = Command("give-coupon", "Give one shopper a single-use coupon.", GIVE_COUPON_EPILOG,
                      give_coupon_command, _give_coupon_arguments)
