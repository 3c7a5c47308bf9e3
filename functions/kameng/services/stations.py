"""The stations an owner names: a station exists for the owner once the build has published its price book."""
from __future__ import annotations

from kameng.deps import Deps
from kameng.domain.errors import UnknownStation
from kameng.domain.price_book import PriceBook


def published_book(station: str | None, deps: Deps) -> PriceBook:
    """The station's published price book (None: the main station's); UnknownStation says to run the build."""
    wanted = station or deps.settings.main_station
    book = deps.store.price_books.price_book(wanted)
    if book is not None:
        return book
    if wanted == deps.settings.main_station:
        raise UnknownStation(f"no price book published for the main station {wanted!r}: run the build first")
    raise UnknownStation(f"unknown station {wanted!r}: no price book published for it (run the build first)")
