"""Card keys: `import-keys`, `stock`, `demo-stock`, `batches` (and `batches export`), `void-batch`."""
from __future__ import annotations

import argparse
import csv
import io
import os
import sys
from pathlib import Path

from kameng.cli.command import EXIT_OK, EXIT_USAGE, Command, Failure, actor, add_json, open_deps, positive
from kameng.cli.output import Progress, plain, print_json, table
from kameng.domain.money import parse_major
from kameng.services.demo_stock import stock_demo
from kameng.services.import_keys import BatchSource, import_file
from kameng.domain.card_key import CardKey
from kameng.services.key_batches import export_batch, list_batches, void_batch
from kameng.services.stations import published_book
from kameng.services.stock import sku_counts

IMPORT_EPILOG = """\
examples:
  kameng import-keys steam-cny-100 keys.txt
  kameng import-keys win11-pro-retail licences.csv
  kameng import-keys steam-cny-100 keys.txt --supplier 卡商A --cost 95.50 --note "11月进货"

file formats (UTF-8):
  .txt   one key per line
  .csv   key[,password] per line; a header row (key,password) is skipped
  Blank lines and lines starting with # are skipped too. A line with a space or a control character
  inside a key is reported as FILE:LINE: reason and skipped.

Importing is idempotent: a key already held (in any SKU) counts as a
duplicate and is not added again, so an interrupted import can simply be run
again. The SKU must be in the main station's published price book (run the
build first).

Every import is a batch: its id is printed, each key it added carries it, and
`kameng batches SKU` lists them (--cost is what one key cost, in yuan).
"""

BATCHES_EPILOG = """\
examples:
  kameng batches steam-cny-100
  kameng batches steam-cny-100 --json
  kameng batches export 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7 --out batch.csv

One row per import of the SKU, oldest first, with its keys by status
(keys imported before batches were kept belong to no batch); cost_per_key is
in fen. It reads every key
of the SKU: an owner's report, not for a script that runs every minute.

`batches export BATCH_ID --out FILE` writes the batch's keys that are still
available, in full, to FILE: .csv as key,password (what import-keys reads), .txt
one key a line (keys with passwords need .csv). The file is created with mode
0600; the audit log records the export and its count, never the keys. The keys
stay in stock: void the batch (`kameng void-batch`) if they should no longer sell.
"""

VOID_BATCH_EPILOG = """\
example:
  kameng void-batch 01JD3ZC4W8M2V5Q7R9T1X3Y5Z7

Voids every key of the batch that is still available (a supplier recalled
them, say). Keys reserved by a checkout or sold are left as they are and
counted as held. Voiding cannot be undone; it is written to the audit log.
"""

BATCH_COLUMNS = ["batch_id", "supplier", "cost_per_key", "imported_at", "available", "reserved", "sold", "void",
                 "note"]

STOCK_EPILOG = """\
examples:
  kameng stock
  kameng stock --station game-zone
  kameng stock --json

For every SKU: available + reserved + sold + void = imported. With --station, a
substation's own goods (its own products/, keys imported by it) are listed with
its resold SKUs and marked [own goods] ("own_goods": true with --json).
"""

DEMO_STOCK_EPILOG = """\
example:
  kameng demo-stock

For the demo shop (`make serve`): in a store that has never held a card key,
every SKU of the main station gets fake DEMO-... keys, so checkout can be
tried end to end. A store with any keys at all is left alone, so fake keys
are never sold beside real ones.
"""

OWN_MARK = "[own goods]"
STOCK_COLUMNS = ["sku", "title", "available", "reserved", "sold", "void", "imported"]


def import_keys_command(args: argparse.Namespace) -> int:
    deps = open_deps()
    path = Path(args.file)
    progress = Progress(path, sys.stderr)
    finished = False
    try:
        report = import_file(args.sku, path, deps, progress, actor=actor(),
                             source=BatchSource(args.supplier, args.cost, args.note))
        finished = True
    except OSError as error:
        raise Failure(f"cannot read {args.file}: {error.strerror or error}") from None
    finally:
        progress.close(finished)
    print(f"imported {report.imported}, duplicates {report.duplicates}, malformed {report.malformed}")
    for number, reason in report.malformed_lines:
        print(f"{plain(args.file)}:{number}: {reason}")
    hidden = report.malformed - len(report.malformed_lines)
    if hidden > 0:
        print(f"... and {hidden} more malformed lines")
    print(f"batch {report.batch_id} (kameng batches {args.sku})")
    return EXIT_OK


def stock_command(args: argparse.Namespace) -> int:
    deps = open_deps()
    book = published_book(args.station, deps)
    # A substation's own goods (独立商品库) are its alone: its owner imports and voids their keys.
    rows = [row | {"own_goods": book.skus[row["sku"]].owner is not None} for row in sku_counts(book, deps)]
    if args.json:
        print_json({"station": book.station, "skus": rows})
    elif not rows:
        print(f"station {book.station} sells no SKU")
    else:
        print(f"stock for station {book.station}")
        print(table(STOCK_COLUMNS, ([_marked(row) if column == "title" else row[column] for column in STOCK_COLUMNS]
                                    for row in rows), right=range(2, 7)))
    return EXIT_OK


def _marked(row: dict) -> str:
    return f"{row['title']} {OWN_MARK}" if row["own_goods"] else row["title"]


def demo_stock_command(args: argparse.Namespace) -> int:
    reports = stock_demo(open_deps(), per_sku=args.per_sku)
    if args.json:
        print_json({sku: {"imported": r.imported, "duplicates": r.duplicates} for sku, r in reports.items()})
    elif not reports:
        print("this store already holds card keys; demo keys are only added to a store that never had any")
    else:
        print(table(["sku", "fake keys imported"], ([sku, r.imported] for sku, r in reports.items()), right=(1,)))
    return EXIT_OK


def _import_keys_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("sku", metavar="SKU", help="a SKU id of the main station, e.g. steam-cny-100")
    sub.add_argument("file", metavar="FILE", help="a .txt (one key per line) or .csv (key[,password]) file")
    sub.add_argument("--supplier", metavar="NAME", default="", help="who supplied the keys (kept with the batch)")
    sub.add_argument("--cost", metavar="YUAN", type=_cost, default=None, help="what one key cost, e.g. 95.50")
    sub.add_argument("--note", metavar="TEXT", default="", help="a note kept with the batch")


def _cost(text: str) -> int:
    try:
        return parse_major(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def batches_command(args: argparse.Namespace) -> int:
    if args.sku == "export":
        return _export_command(args)
    if args.batch_id is not None or args.out is not None:
        raise Failure("BATCH_ID and --out go with `kameng batches export BATCH_ID --out FILE`", EXIT_USAGE)
    rows = list_batches(args.sku, open_deps())
    if args.json:
        print_json({"sku": args.sku, "batches": rows})
    elif not rows:
        print(f"no batches of {args.sku} (keys imported before batches were kept belong to none)")
    else:
        print(table(BATCH_COLUMNS, ([plain("" if row[c] is None else row[c]) for c in BATCH_COLUMNS] for row in rows),
                    right=range(4, 8)))
    return EXIT_OK


def _export_command(args: argparse.Namespace) -> int:
    if args.batch_id is None or args.out is None:
        raise Failure("expected `kameng batches export BATCH_ID --out FILE`", EXIT_USAGE)
    out = Path(args.out)
    kind = out.suffix.lower()
    if kind not in (".txt", ".csv"):
        raise Failure(f"--out {plain(args.out)}: expected a .txt or .csv file name", EXIT_USAGE)
    if out.exists():
        raise Failure(f"{plain(args.out)} exists already: give a new file name (keys are never written over a file)")

    def write(keys: list[CardKey]) -> None:
        if kind == ".txt" and any(key.password for key in keys):
            raise Failure("these keys have passwords: export to a .csv file (key,password)", EXIT_USAGE)
        _write_private(out, _csv_text(keys) if kind == ".csv" else "".join(key.code + "\n" for key in keys))

    batch, count = export_batch(args.batch_id, write, open_deps(), actor=actor())
    if args.json:
        print_json({"batch_id": batch.batch_id, "sku": batch.sku, "exported": count, "file": str(out)})
    else:
        print(f"exported {count} available key(s) of batch {batch.batch_id} ({batch.sku}) to {plain(args.out)}")
    return EXIT_OK


def _csv_text(keys: list[CardKey]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["key", "password"])
    writer.writerows([key.code, key.password or ""] for key in keys)
    return buffer.getvalue()


def _write_private(path: Path, text: str) -> None:
    """Readable by this user only from the first byte: the keys are the goods."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            os.fchmod(file.fileno(), 0o600)  # whatever the umask
            file.write(text)
    except OSError as error:
        raise Failure(f"cannot write {plain(str(path))}: {error.strerror or error}") from None


def void_batch_command(args: argparse.Namespace) -> int:
    done = void_batch(args.batch_id, open_deps(), actor=actor())
    print(f"batch {done['batch_id']} of {done['sku']}: voided {done['voided']}, "
          f"held {done['held']} (reserved or sold: left as they are)")
    return EXIT_OK


def _batches_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("sku", metavar="SKU", help="a SKU id, e.g. steam-cny-100; or `export` to export a batch")
    sub.add_argument("batch_id", metavar="BATCH_ID", nargs="?", help="with export: the batch to export")
    sub.add_argument("--out", metavar="FILE", help="with export: the .txt or .csv file to write (created, mode 0600)")
    add_json(sub)


def _void_batch_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("batch_id", metavar="BATCH_ID", help="a batch id, as `kameng batches SKU` lists it")


def _stock_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--station", metavar="ID",
                     help="list this station's SKUs, its own goods marked (default: the main station)")
    add_json(sub)


def _demo_stock_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--per-sku", metavar="N", type=positive, default=40, help="fake keys per SKU (default 40)")
    add_json(sub)


IMPORT_KEYS = Command("import-keys", "Import card keys for a SKU from a .txt or .csv file.", IMPORT_EPILOG,
                      import_keys_command, _import_keys_arguments)
STOCK = Command("stock", "Show stock counts per SKU.", STOCK_EPILOG, stock_command, _stock_arguments)
DEMO_STOCK = Command("demo-stock", "Give a fresh store fake keys (the demo shop only).", DEMO_STOCK_EPILOG,
                     demo_stock_command, _demo_stock_arguments)
BATCHES = Command("batches", "List a SKU's key batches with their counts.", BATCHES_EPILOG, batches_command,
                  _batches_arguments)
VOID_BATCH = Command("void-batch", "Void the keys of a batch still available.", VOID_BATCH_EPILOG,
                     void_batch_command, _void_batch_arguments)
