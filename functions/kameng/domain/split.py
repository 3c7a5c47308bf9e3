"""Revenue split (分账) for a substation paid out through its own connected account."""
from __future__ import annotations

from kameng.domain.member import Commission
from kameng.domain.money import percent_of
from kameng.domain.price_book import PriceBook, PricedOrder


def platform_fee(priced: PricedOrder, book: PriceBook, commissions: tuple[Commission, ...]) -> int:
    """The main station's fee on a substation's sale paid out through Stripe Connect.

    It comes out of the margin after the referral commissions (which are capped at the
    margin), so the platform's whole share never exceeds what the shopper paid.
    """
    if not book.payout_account:
        return 0
    room = priced.margin - sum(c.amount for c in commissions)
    return max(0, min(percent_of(priced.total, book.platform_fee_percent), room))


def application_fee(priced: PricedOrder, book: PriceBook, commissions: tuple[Commission, ...]) -> int:
    """What Stripe keeps for the platform: the keys' wholesale cost (none for the station's own goods), the
    platform fee, and the commissions the platform pays the referrers; the connected account gets the rest."""
    if not book.payout_account:
        return 0
    wholesale = 0 if priced.line.owner is not None else priced.wholesale_total
    return wholesale + platform_fee(priced, book, commissions) + sum(c.amount for c in commissions)
