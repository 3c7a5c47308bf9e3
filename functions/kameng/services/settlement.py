"""A station's settlement for a period, read from the ledger of the orders placed in it."""
from __future__ import annotations

from datetime import datetime

from kameng.deps import Deps
from kameng.domain.price_book import PriceBook
from kameng.domain.settlement import Settlement, settle


def station_settlement(book: PriceBook, start: datetime, end: datetime, deps: Deps) -> Settlement:
    """The station's orders placed in [start, end); a refund counts in the period of its order."""
    orders = deps.store.orders.orders_placed(book.station, start, end)
    return settle(book.station, book.currency, ((order, deps.store.orders.ledger(order.id)) for order in orders))
