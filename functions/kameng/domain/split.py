"""Revenue split (分账) for a substation paid out through its own connected account."""
from __future__ import annotations

from decimal import Decimal

from kameng.domain.member import Commission
from kameng.domain.money import percent_of, round_half_up
from kameng.domain.order import Order
from kameng.domain.price_book import PriceBook, PricedOrder


def platform_fee(priced: PricedOrder, book: PriceBook, commissions: tuple[Commission, ...], rail: str = "stripe") -> int:
    """The main station's fee on a substation's sale paid out through its own account on `rail`.

    It comes out of the margin after the referral commissions (which are capped at the
    margin), so the platform's whole share never exceeds what the shopper paid.
    """
    if not book.receiver(rail):
        return 0
    room = priced.margin - sum(c.amount for c in commissions)
    return max(0, min(percent_of(priced.total, book.platform_fee_percent), room))


def application_fee(priced: PricedOrder, book: PriceBook, commissions: tuple[Commission, ...], rail: str = "stripe") -> int:
    """What the platform keeps of a sale split on `rail`: the keys' wholesale cost (none for the station's own
    goods), the platform fee, and the commissions the platform pays the referrers; the station's account gets
    the rest (Stripe's transfer, Alipay's royalty, WeChat Pay's profit sharing)."""
    if not book.receiver(rail):
        return 0
    wholesale = 0 if priced.line.owner is not None else priced.wholesale_total
    return wholesale + platform_fee(priced, book, commissions, rail) + sum(c.amount for c in commissions)


def share_taken_back(order: Order, refunded: int) -> int:
    """Of the share split to the station's account after payment (Order.split_sent), what refunds of `refunded`
    of the order's total take back: in proportion, rounded half up, and all of it once the whole is refunded."""
    if refunded >= order.total:
        return order.split_sent
    return min(order.split_sent, round_half_up(Decimal(order.split_sent * refunded) / order.total))
