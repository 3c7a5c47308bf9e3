"""Revenue split (分账) for a substation paid out through its own connected account."""
from __future__ import annotations

from kameng.domain.money import percent_of
from kameng.domain.order import Order
from kameng.domain.price_book import PriceBook


def application_fee(order: Order, book: PriceBook) -> int:
    """The main station's share: the wholesale cost of the keys plus the platform fee on the sale."""
    if not book.payout_account:
        return 0
    return min(order.total, order.wholesale_total + percent_of(order.total, book.platform_fee_percent))
