"""`audit`: the owner's audit log, listed, exported and verified."""
from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

from kameng.cli.command import EXIT_FAILED, EXIT_OK, Command, add_json, open_deps
from kameng.cli.output import print_json, table, utc
from kameng.domain.audit import CSV_COLUMNS, AuditEntry, compact
from kameng.services.audit import entries, verify_log

AUDIT_EPILOG = """\
examples:
  kameng audit                                 every entry, oldest first
  kameng audit --station game-zone --json      one station's entries, for scripts
  kameng audit --csv audit-2026-12.csv         the whole log as CSV (- for stdout)
  kameng audit verify                          check the hash chain end to end

Refunds, withdrawals paid or rejected, key imports (counts, never keys),
coupons given and price-book publishes each append one entry: who, when,
what, before and after. Each entry holds the hash of the one before it, so
`kameng audit verify` exits 1 naming the first entry edited, deleted,
reordered or inserted since; 0 when the chain of every entry holds.
"""

def _csv(found: list[AuditEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(entry.csv_row() for entry in found)
    return out.getvalue()


def _verify() -> int:
    count, problems = verify_log(open_deps())
    if problems:
        print(f"the audit log is broken at entry {problems[0].seq}:")
        for problem in problems:
            print(f"  {problem}")
        return EXIT_FAILED
    print(f"chain of {count} entries verified")
    return EXIT_OK


def audit_command(args: argparse.Namespace) -> int:
    if args.what == "verify":
        return _verify()
    found = list(entries(open_deps(), args.station))
    if args.csv is not None:
        text = _csv(found)
        if str(args.csv) == "-":
            sys.stdout.write(text)
            return EXIT_OK
        args.csv.write_text(text, encoding="utf-8")
        print(f"{len(found)} entries written to {args.csv}")
    elif args.json:
        print_json([entry.as_json() for entry in found])
    elif not found:
        print("the audit log has no entries" + (f" for {args.station}" if args.station else ""))
    else:
        rows = [[entry.seq, utc(entry.at), entry.actor, entry.station, entry.action, entry.subject,
                 f"{compact(entry.before)} -> {compact(entry.after)}"] for entry in found]
        print(table(["seq", "at (UTC)", "actor", "station", "action", "subject", "before -> after"], rows, right=(0,)))
    return EXIT_OK


def _audit_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("what", metavar="verify", nargs="?", choices=["verify"],
                     help="check the hash chain instead of listing entries")
    sub.add_argument("--station", metavar="ID", help="only this station's entries")
    output = sub.add_mutually_exclusive_group()
    output.add_argument("--csv", metavar="FILE", type=Path, help="write the entries as CSV to FILE (- for stdout)")
    add_json(output)


AUDIT = Command("audit", "List or export the audit log of owner actions; `audit verify` checks its chain.",
                AUDIT_EPILOG, audit_command, _audit_arguments)
