"""Risk rules at checkout (风控); the owner's review of the orders they hold is services/risk_review.py.

Checkout refuses a blocked buyer before anything is held, and counts each client's orders of the hour in
the reservation's own transaction (domain/holds.velocity_quotas), so racing checkouts cannot pass a cap
together. Every decision is logged with its rule; refusals are also counted on the station's day, holds
and the owner's decisions go to the audit log.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

from kameng.deps import Deps
from kameng.domain.errors import RiskBlocked, RiskVelocity
from kameng.domain.ids import new_id
from kameng.domain.price_book import PriceBook
from kameng.domain.quota import Quota
from kameng.domain.holds import velocity_quotas
from kameng.domain.stats import Tally

log = logging.getLogger(__name__)

BLOCKED = "此订单无法受理：如有疑问，请联系本站客服"


def screen(book: PriceBook, email: str, address: str | None, deps: Deps) -> None:
    """Refuse a buyer the station's blocklists name; the shopper is not told which list."""
    rule = None if book.risk is None else book.risk.blocked_by(email, address)
    if rule is None:
        return
    log.warning("checkout refused by a risk rule", extra={"station": book.station, "rule": rule.value})
    _tally(book.station, Tally.RISK_BLOCKED, deps)
    raise RiskBlocked(BLOCKED)


def velocity(book: PriceBook, names: list[str], address: str | None, deps: Deps) -> tuple[Quota, ...]:
    if book.risk is None:
        return ()
    return velocity_quotas(book.station, book.risk.velocity, names + ([address] if address else []), deps.clock())


@contextmanager
def throttle_logged(book: PriceBook, deps: Deps) -> Iterator[None]:
    try:
        yield
    except RiskVelocity:
        log.warning("checkout refused by a risk rule", extra={"station": book.station, "rule": "velocity"})
        _tally(book.station, Tally.RISK_THROTTLED, deps)
        raise


def review_rule(book: PriceBook, total: int, quantity: int) -> str | None:
    return None if book.risk is None else book.risk.review_rule(total, quantity)


def _tally(station: str, tally: Tally, deps: Deps) -> None:
    from kameng.services.stats import tally_after  # only a refusal counts one

    tally_after(new_id(deps.clock()), station, deps.clock(), tally, deps)
