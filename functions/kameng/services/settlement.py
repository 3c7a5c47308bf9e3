"""A station's settlement for a period, read from the ledger of the orders placed in it."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from kameng.deps import Deps
from kameng.domain.price_book import PriceBook
from kameng.domain.settlement import Settlement, batch_margins, settle


def station_settlement(book: PriceBook, start: datetime, end: datetime, deps: Deps,
                       with_batches: bool = False) -> Settlement:
    """The station's orders placed in [start, end); a refund counts in the period of its order.

    `with_batches` adds the margin per key batch, on the main station only (the keys are its supply): it
    reads each settled order's keys and their batches, so it is for the owner's report, not a request path."""
    orders = {order.id: order for order in deps.store.orders.orders_placed(book.station, start, end)}
    report = settle(book.station, book.currency, ((order, deps.store.orders.ledger(order.id))
                                                  for order in orders.values()))
    if not with_batches or book.station != deps.settings.main_station:
        return report
    sold = [(line, [(key.batch_id, key.refunded) for key in deps.store.inventory.sealed_keys(orders[line.order_id])])
            for line in report.lines]
    costs: dict[str, int | None] = {}
    for batch_id in {batch_id for _, keys in sold for batch_id, _ in keys if batch_id is not None}:
        batch = deps.store.key_batches.batch(batch_id)
        costs[batch_id] = None if batch is None else batch.cost_per_key
    return replace(report, batches=batch_margins(sold, costs))
