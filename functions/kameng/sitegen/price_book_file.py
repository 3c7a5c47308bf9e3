"""`.price-books.json`: every station's price book, as the build leaves it for publishing.

It lives beside the station folders, never inside one, so no station serves
wholesale prices. The build writes it and, when nothing changed, reads it
back; publishing reads it to put each station's book in the store.

A JSON array with one book per line: any JSON reader takes it whole, and
the build and publishing take one book at a time. A thousand stations'
books, parsed at once, held 111 MiB; a line each, read when needed, keep a
build's memory the same whatever the number of stations.
"""
from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, overload

from kameng.domain.price_book import PriceBook
from kameng.sitegen.spool import Spool

PRICE_BOOKS_FILE = ".price-books.json"
# PriceBook's first field: a line names its station without being parsed.
_STATION = re.compile(rb'\{"station":"([a-z0-9-]+)"')


class PriceBookFile(Sequence[PriceBook]):
    """The books of one file, parsed one at a time as they are asked for."""

    def __init__(self, lines: Spool, held: dict[str, PriceBook] | None = None) -> None:
        self._lines = lines
        self._stations = lines.keys()
        self._held = held or {}

    @property
    def stations(self) -> list[str]:
        return list(self._stations)

    def book(self, station: str) -> PriceBook:
        """KeyError: no book of that station."""
        held = self._held.get(station)
        return held if held is not None else PriceBook.model_validate_json(self._lines.read(station))

    def __len__(self) -> int:
        return len(self._stations)

    @overload
    def __getitem__(self, position: int) -> PriceBook: ...
    @overload
    def __getitem__(self, position: slice) -> list[PriceBook]: ...

    def __getitem__(self, position: int | slice) -> PriceBook | list[PriceBook]:
        if isinstance(position, slice):
            return [self.book(station) for station in self._stations[position]]
        return self.book(self._stations[position])

    def __iter__(self) -> Iterator[PriceBook]:
        return (self.book(station) for station in self._stations)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PriceBookFile({self._stations})"


class PriceBookWriter:
    """Writes the books one line each as they are made; finish() reads them back.

    The first `hold` books are kept as they are too: a build of a few stations (the usual one) need not parse
    its books again, and a build of a thousand holds no more than a batch of them.
    """

    def __init__(self, file: BinaryIO, hold: int = 0) -> None:
        """file: new, open for writing and reading."""
        file.write(b"[\n")
        self._lines = Spool(file)
        self._hold = hold
        self._held: dict[str, PriceBook] = {}

    def add(self, book: PriceBook, book_json: str | None = None) -> None:
        """book_json: the book's model_dump_json(), when already made (no newline: JSON escapes them)."""
        data = book.model_dump_json() if book_json is None else book_json
        self._lines.add(book.station, data.encode(), b",\n")
        if len(self._held) < self._hold:
            self._held[book.station] = book

    def finish(self) -> PriceBookFile:
        return PriceBookFile(self._lines.finish(b"\n]\n"), self._held)


def read_price_books(site_dir: Path) -> PriceBookFile:
    """The books the last build wrote into site_dir. OSError: no such file; ValueError: not one this code reads."""
    file = open(site_dir / PRICE_BOOKS_FILE, "rb")
    try:
        try:
            return PriceBookFile(Spool(file, _index(file)))
        except ValueError:
            # Not as a build writes it (one written by hand, say): any JSON array of books, read whole.
            file.seek(0)
            data = json.load(file)
    except BaseException:
        file.close()
        raise
    file.close()
    return _rewritten(data)


def _rewritten(books: object) -> PriceBookFile:
    if not isinstance(books, list):
        raise ValueError("expected a list of price books")
    writer = PriceBookWriter(tempfile.TemporaryFile())
    for data in books:
        writer.add(PriceBook.model_validate(data))
    return writer.finish()


def _index(file: BinaryIO) -> dict[str, tuple[int, int]]:
    if file.readline() != b"[\n":
        raise ValueError("expected [ on a line of its own")
    index: dict[str, tuple[int, int]] = {}
    offset = file.tell()
    ended = False
    for line in file:
        book = line.rstrip(b"\n").removesuffix(b",")
        found = _STATION.match(book)
        if ended or (found is None and line != b"]\n"):
            raise ValueError(f"line {len(index) + 2}: expected a price book or the closing ]")
        if found is None:
            ended = True
        else:
            index[found[1].decode()] = (offset, len(book))
        offset += len(line)
    if not ended:
        raise ValueError("cut short: no closing ]")
    return index
