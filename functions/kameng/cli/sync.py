"""`sync`: supplier prices and stock into the store and content/suppliers/synced.yaml; --build rebuilds the site."""
from __future__ import annotations

import argparse

from kameng import config as configuration
from kameng.cli.command import EXIT_OK, Command, actor, add_json, open_deps
from kameng.cli.output import print_json, table
from kameng.domain.money import format_minor
from kameng.services.supply_sync import SkuOutcome, sync_supply

SYNC_EPILOG = """\
examples:
  kameng sync               read every supplier's catalogue, keep the figures, write the synced file
  kameng sync --build       the same, then rebuild site/ (only pages whose SKUs halted or resumed change)
  kameng sync --json        the table for scripts

For each SKU the main station buys from suppliers: the cheapest cost now,
the stock the suppliers report (unlimited: a top-up), and the stations where
it stopped selling because that cost is above the least the station charges
(docs/supply.md, "Sync"). Checkout and /api/stock follow at once; the pages
show it after a build. A supplier that does not answer keeps its last
figures and is named. The run is in `kameng audit`. In production the sync
schedule does the same every 15 minutes.
"""


def _row(outcome: SkuOutcome, currency: str) -> list[str]:
    record = outcome.record
    cheapest = record.cheapest
    stock = record.supplier_stock
    changes = [*(f"halted {name}" for name in outcome.halted), *(f"resumed {name}" for name in outcome.resumed)]
    return [record.sku, "not listed" if cheapest is None else format_minor(cheapest, currency),
            "unlimited" if stock is None else str(stock), ", ".join(record.halted) or "-", ", ".join(changes) or "-"]


def sync_command(args: argparse.Namespace) -> int:
    from kameng import content_wiring
    from kameng.services.supply_sync_site import publish_synced

    deps = open_deps()
    report = sync_supply(deps, actor())
    site = content_wiring.build(configuration.load())
    rebuilt = publish_synced(report, site, rebuild=args.build)
    book = deps.store.price_books.price_book(deps.settings.main_station)
    currency = book.currency if book is not None else "CNY"
    if args.json:
        print_json({"skus": [{"sku": o.record.sku, "cheapest": o.record.cheapest, "supplier_stock": o.record.supplier_stock,
                              "halted_at": list(o.record.halted), "halted": list(o.halted), "resumed": list(o.resumed)}
                             for o in report.skus],
                    "unanswered": list(report.unanswered), "stations_rebuilt": rebuilt if args.build else []})
        return EXIT_OK
    print(table(["SKU", "CHEAPEST", "SUPPLIER STOCK", "HALTED AT", "THIS SYNC"],
                [_row(outcome, currency) for outcome in report.skus], right=(1, 2)))
    for name in report.unanswered:
        print(f"{name}: did not answer; its last figures stand")
    if args.build:
        print("site rebuilt" + (f"; stations whose pages changed: {', '.join(rebuilt)}" if rebuilt else ""))
    return EXIT_OK


def _sync_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--build", action="store_true", help="rebuild site/ once the synced file is written")
    add_json(sub)


SYNC = Command("sync", "Sync supplier prices and stock; halt SKUs whose cost is above a price.",
               SYNC_EPILOG, sync_command, _sync_arguments)
