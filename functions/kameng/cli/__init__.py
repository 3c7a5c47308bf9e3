"""`kameng`: the station owner's command line.

Import card keys, read stock and orders, run the sweeper once, refund, settle,
look after members. Every command works on the data folder that
KAMENG_DATA_DIR names (default ./var), through the same services the
functions call: one module per command group, output.py for what they print.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Sequence

from kameng import config as configuration
from kameng.cli import audit, backup, keys, members, money, orders, owners, publish, remote, resellers, stats, sync, transfers
from kameng.cli.command import EXIT_FAILED, EXIT_USAGE, Command, Failure
from kameng.cli.output import PROG, fail
from kameng.domain.errors import DomainError

__all__ = ["COMMANDS", "main", "parser"]

COMMANDS: tuple[Command, ...] = (
    keys.IMPORT_KEYS, keys.STOCK, orders.ORDERS, orders.ORDER, orders.SWEEP, orders.REFUND, orders.DELIVER,
    money.SETTLEMENT, members.MEMBER, members.GIVE_COUPON, money.WITHDRAWALS, publish.PUBLISH, publish.ROLLBACK, keys.DEMO_STOCK,
    audit.AUDIT, stats.STATS, owners.OWNERS, remote.REMOTE, keys.BATCHES, keys.VOID_BATCH,
    resellers.RESELLERS, sync.SYNC, transfers.TRANSFERS, backup.BACKUP, backup.RESTORE,
)

MAIN_EPILOG = """\
examples:
  kameng import-keys steam-cny-100 keys.txt   add card keys to a SKU's stock
  kameng stock                                every SKU of the main station
  kameng stock --station game-zone --json     a substation, for scripts
  kameng orders --status needs_attention      orders a person must look at
  kameng orders review                        orders the risk rules hold (approve ID / reject ID)
  kameng order 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7     one order, keys masked
  kameng sweep                                expire lapsed reservations now
  kameng refund 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7    give a delivered order's money back
  kameng deliver 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7 --message "..."
                                              deliver a manual product's order by hand
  kameng settlement game-zone --from 2026-11-01 --to 2026-12-01
                                              a station's month: margin, commissions, balance
  kameng member game-zone buyer@example.com   a shopper's level, points, referrals, coupons
  kameng give-coupon game-zone buyer@example.com 5.00
                                              a single-use coupon for one shopper
  kameng withdrawals game-zone                referrers waiting to be paid their commissions
  kameng audit verify                         check the owner actions' hash-chained log
  kameng resellers list                       other platforms buying wholesale (货源对接), their balances
  kameng sync --build                         supplier prices and stock; halt what costs more than it sells for
  kameng owners token zhang@example.com --label laptop
                                              an API token for the owner console
  kameng stats game-zone --days 30            a station's GMV, orders, refunds, best sellers
  kameng remote orders game-zone              a station's orders through the console's API, with an owner
                                              token (KAMENG_CONSOLE_URL, KAMENG_OWNER_TOKEN)

The data folder is KAMENG_DATA_DIR (default ./var in the repository).
Exit status: 0 done, 1 the command could not be done (unknown SKU, station or
order, unreadable file), 2 a usage or configuration mistake.
"""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kameng")
    except PackageNotFoundError:
        return "unknown"


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=30)


def parser() -> argparse.ArgumentParser:
    # The command list is written out by hand: argparse (before 3.13) wraps a long
    # subcommand name onto a line of its own.
    listing = "\n".join(f"  {command.name:<13} {command.summary}" for command in COMMANDS)
    root = argparse.ArgumentParser(
        prog=PROG, formatter_class=_formatter, epilog=MAIN_EPILOG,
        description=f"The station owner's tool for a Kameng shop: card keys, stock, orders.\n\ncommands:\n{listing}",
    )
    root.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = root.add_subparsers(dest="command", metavar="COMMAND",
                                   help="see `kameng COMMAND --help` for its options")
    for command in COMMANDS:
        sub = commands.add_parser(command.name, description=command.summary, epilog=command.epilog,
                                  formatter_class=_formatter)
        sub.set_defaults(run=command.run)
        command.add_arguments(sub)
    return root


class _OneLineLog(logging.Handler):
    """Warnings from the services, one line each on stderr; a traceback is for a developer's log, not the owner."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                error = record.exc_info[1]
                message = f"{message}: {type(error).__name__}: {error}"
            fail(f"{record.levelname.lower()}: {message}")
        except Exception:
            self.handleError(record)


def _log_to_stderr() -> None:
    logger = logging.getLogger("kameng")
    if not any(isinstance(handler, _OneLineLog) for handler in logger.handlers):
        logger.addHandler(_OneLineLog(logging.WARNING))


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
        fail(failure.message)
        return failure.code
    except configuration.ConfigError as error:
        fail(str(error))
        return EXIT_USAGE
    except DomainError as error:
        fail(error.message)
        return EXIT_FAILED
    except KeyboardInterrupt:
        fail("interrupted; whatever was done is kept, and running the command again is safe")
        return 130
    except BrokenPipeError:
        # `kameng orders | head`: the reader left; say nothing more into a closed pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED
