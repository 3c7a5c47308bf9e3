"""`owners`: the people of the owner console, and the API tokens the console and a remote CLI sign in with."""
from __future__ import annotations

import argparse
from datetime import datetime

from kameng.cli.command import EXIT_OK, Command, Failure, actor, add_json, open_deps, positive
from kameng.cli.output import print_json, table, utc
from kameng.domain.owners import OwnerToken, Role
from kameng.ports.store import Duplicate
from kameng.services import owners

OWNERS_EPILOG = """\
examples:
  kameng owners add boss@example.com --role platform_owner
  kameng owners add zhang@example.com --role station_owner --station game-zone
  kameng owners add li@example.com --role staff --station game-zone
  kameng owners list --station game-zone
  kameng owners token zhang@example.com --label "console laptop" --days 30
  kameng owners revoke 3f9a2c71be04
  kameng owners reset-factor zhang@example.com

Roles: platform_owner (every station), station_owner (everything at their
station), staff (orders and after-sales of their station: no refunds,
payouts, prices or content). A token is printed once, when it is issued;
the store keeps only its hash. Adding owners, issuing and revoking tokens
each leave an entry in `kameng audit`.
"""

ADD_EPILOG = """\
examples:
  kameng owners add boss@example.com --role platform_owner
  kameng owners add li@example.com --role staff --station game-zone
"""
LIST_EPILOG = """\
examples:
  kameng owners list                       every owner and their tokens
  kameng owners list --station game-zone --json
"""
TOKEN_EPILOG = f"""\
examples:
  kameng owners token zhang@example.com --label "console laptop"
  kameng owners token zhang@example.com --label ci --days 7

The token is printed once and never again: copy it now. It lasts
{owners.DEFAULT_TOKEN_DAYS} days unless --days says otherwise (at most {owners.MAX_TOKEN_DAYS}).
"""
REVOKE_EPILOG = """\
examples:
  kameng owners revoke 3f9a2c71be04        by the id `owners list` shows
  kameng owners revoke kmo_…               by the token itself

A revoked token signs no one in from that moment; revoking it again is harmless.
"""


def _state(token: OwnerToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    return "active" if token.valid_at(now) else "expired"


def _token_json(token: OwnerToken, now: datetime) -> dict:
    return {"id": token.token_id, "label": token.label, "issued_at": token.issued_at.isoformat(),
            "expires_at": token.expires_at.isoformat(), "state": _state(token, now)}


def _add(args: argparse.Namespace) -> int:
    try:
        owner = owners.add_owner(open_deps(), actor(), args.email, args.role, args.station)
    except Duplicate:
        raise Failure(f"{args.email} is an owner already: `kameng owners list` shows their role") from None
    print(f"added {owner.email} as {owner.role.value}" + (f" of {owner.station}" if owner.station else ""))
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    deps = open_deps()
    now = deps.clock()
    found = owners.roster(deps, args.station)
    if args.json:
        print_json([{"id": owner.id, "email": owner.email, "role": owner.role.value, "station": owner.station,
                     "tokens": [_token_json(t, now) for t in tokens]} for owner, tokens in found])
    elif not found:
        print("no owners yet: add one with `kameng owners add`")
    else:
        print(table(["e-mail", "role", "station", "token", "label", "expires (UTC)", "state"],
                    [[owner.email, owner.role.value, owner.station or "*", t.token_id if t else "-",
                      t.label if t else "-", utc(t.expires_at) if t else "-", _state(t, now) if t else "-"]
                     for owner, tokens in found for t in (tokens or [None])]))
    return EXIT_OK


def _token(args: argparse.Namespace) -> int:
    plain, token = owners.issue_token(open_deps(), actor(), args.email, args.label, args.days)
    print(plain)
    print(f"token {token.token_id} ({token.label}) expires {utc(token.expires_at)} UTC; "
          "it is shown only now, the store keeps its hash")
    return EXIT_OK


def _revoke(args: argparse.Namespace) -> int:
    token = owners.revoke(open_deps(), actor(), args.token)
    print(f"token {token.token_id} ({token.label}) revoked")
    return EXIT_OK


def _reset_factor(args: argparse.Namespace) -> int:
    if owners.reset_second_factor(open_deps(), actor(), args.email):
        print(f"{args.email}'s second factor is forgotten: their next sign-in link sets up a new one")
    else:
        print(f"{args.email} had no second factor set up: nothing to reset")
    return EXIT_OK


def _owners_arguments(sub: argparse.ArgumentParser) -> None:
    actions = sub.add_subparsers(dest="action", metavar="ACTION", required=True)
    formatter = argparse.RawDescriptionHelpFormatter
    add = actions.add_parser("add", help="add an owner", description="Add an owner of the console.",
                             epilog=ADD_EPILOG, formatter_class=formatter)
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.add_argument("--station", metavar="ID", help="their station (not for a platform_owner)")
    add.set_defaults(run=_add)
    listing = actions.add_parser("list", help="owners and their tokens", description="List owners and their tokens.",
                                 epilog=LIST_EPILOG, formatter_class=formatter)
    listing.add_argument("--station", metavar="ID", help="only this station's owners")
    add_json(listing)
    listing.set_defaults(run=_list)
    token = actions.add_parser("token", help="issue an API token", description="Issue an owner an API token.",
                               epilog=TOKEN_EPILOG, formatter_class=formatter)
    token.add_argument("email")
    token.add_argument("--label", required=True, help="where the token is used, to tell tokens apart")
    token.add_argument("--days", type=positive, default=owners.DEFAULT_TOKEN_DAYS, help="how long it lasts")
    token.set_defaults(run=_token)
    revoke = actions.add_parser("revoke", help="revoke an API token", description="Revoke an owner's API token.",
                                epilog=REVOKE_EPILOG, formatter_class=formatter)
    revoke.add_argument("token", metavar="TOKEN_PREFIX_OR_HASH", help="the token's id (or more of its hash), "
                        "or the token itself")
    revoke.set_defaults(run=_revoke)
    reset = actions.add_parser("reset-factor", help="forget an owner's TOTP secret (a lost phone)",
                               description="Forget an owner's TOTP secret: their next sign-in sets up a new one.")
    reset.add_argument("email")
    reset.set_defaults(run=_reset_factor)


OWNERS = Command("owners", "Add console owners and staff; issue and revoke their API tokens.", OWNERS_EPILOG,
                 lambda args: args.run(args), _owners_arguments)
