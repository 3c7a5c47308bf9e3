"""What every command shares: how it is declared, how it fails, and the deps it works on."""
from __future__ import annotations

import argparse
import getpass
import sqlite3
from typing import Callable, NamedTuple

from kameng import config as configuration
from kameng import wiring
from kameng.deps import Deps

EXIT_OK = 0
EXIT_FAILED = 1  # what was asked for cannot be done: unknown SKU/station/order, unreadable file
EXIT_USAGE = 2  # the command line or the configuration is wrong


class Command(NamedTuple):
    name: str
    summary: str
    epilog: str
    run: Callable[[argparse.Namespace], int]
    add_arguments: Callable[[argparse.ArgumentParser], None]


class Failure(Exception):
    def __init__(self, message: str, code: int = EXIT_FAILED):
        super().__init__(message)
        self.message = message
        self.code = code


def open_deps() -> Deps:
    try:
        return wiring.deps()
    except configuration.ConfigError:
        raise
    except (OSError, sqlite3.Error, ValueError) as error:
        # A data folder that cannot be opened is a set-up problem, not a bug: say where to look.
        raise Failure(f"cannot open the data folder {data_dir()} (KAMENG_DATA_DIR): {error}", EXIT_USAGE) from None


def data_dir() -> str:
    return str(configuration.load().data_dir)


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value


def add_json(sub: argparse.ArgumentParser, help: str = "print JSON for scripts") -> None:
    sub.add_argument("--json", action="store_true", help=help)


def actor() -> str:
    """Who the audit log says acted: the signed-in OS user, at the command line."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        # A container may run as a uid with no name; the action is still recorded.
        user = "unknown"
    return f"{user} (cli)"
