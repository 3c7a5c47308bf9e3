"""`.price-books.json`: every station's price book, as the build leaves it for publishing.

It lives beside the station folders, never inside one, so no station serves
wholesale prices. The build writes it and, when nothing changed, reads it
back; publishing reads it to put each station's book in the store.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from kameng.domain.price_book import PriceBook

PRICE_BOOKS_FILE = ".price-books.json"


def price_books_bytes(books: Sequence[PriceBook]) -> bytes:
    # No indent: only the compact form uses json's C encoder (the books of a big catalogue are ~5 MB).
    return json.dumps([book.model_dump(mode="json") for book in books], sort_keys=True, separators=(",", ":")).encode()


def read_price_books(site_dir: Path) -> list[PriceBook]:
    """The books the last build wrote into site_dir. OSError: no such file; ValueError: not one this code reads."""
    data = json.loads((site_dir / PRICE_BOOKS_FILE).read_text("utf-8"))
    return [PriceBook.model_validate(book) for book in data]
