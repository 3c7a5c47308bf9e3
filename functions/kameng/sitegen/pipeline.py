"""read → validate → price → plan → render and write → swap → publish."""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kameng.domain.price_book import PriceBook
from kameng.sitegen.digest import input_digest
from kameng.sitegen.parallel import fork_map
from kameng.sitegen.problems import Problems

if TYPE_CHECKING:
    from kameng.sitegen.render import Output

DIGEST_FILE = ".build-digest"
# Beside the station folders, never inside one, so no station serves wholesale prices.
PRICE_BOOKS_FILE = ".price-books.json"

Publish = Callable[[list[PriceBook]], None]


@dataclass(frozen=True)
class BuildReport:
    stations: list[str]
    pages: int
    files_written: int
    seconds: float
    up_to_date: bool
    price_books: list[PriceBook] = field(default_factory=list)


def build(content_dir: Path, site_dir: Path, templates_dir: Path, publish: Publish | None = None) -> BuildReport:
    """Build every station's site into site_dir; raise ContentError listing every content mistake."""
    started = time.perf_counter()
    digest = input_digest(content_dir, templates_dir)
    books = _unchanged_price_books(site_dir, digest)
    if books is not None:
        if publish is not None:
            publish(books)
        return BuildReport([book.station for book in books], 0, 0, time.perf_counter() - started, True, books)

    # Imported here: an unchanged rebuild (budget 0.5 s) never needs Jinja2 or Markdown.
    from kameng.sitegen.load import load_catalog
    from kameng.sitegen.price_books import build_price_books
    from kameng.sitegen.render import plan_station
    from kameng.sitegen.theme import Theme
    from kameng.sitegen.write import StagedSite

    problems = Problems()
    catalog = load_catalog(content_dir, templates_dir, problems)
    books = [] if catalog is None else build_price_books(catalog, problems)
    problems.raise_if_any()
    assert catalog is not None

    themes: dict[str, Theme] = {}
    outputs: list[Output] = []
    for station, book in zip(catalog.stations, books):
        theme_name = station.config.theme
        if theme_name not in themes:
            themes[theme_name] = Theme(templates_dir / theme_name)
        outputs.extend(plan_station(station, catalog, book, themes[theme_name]))
    _check_paths(outputs, problems)
    problems.raise_if_any()

    with StagedSite(site_dir) as staged:
        written = fork_map(lambda output: staged.write(output.path, output.render(), output.share_key), outputs)
        # No indent: only the compact form uses json's C encoder (the books of a big catalogue are ~1 MB).
        books_json = json.dumps([book.model_dump(mode="json") for book in books], sort_keys=True, separators=(",", ":"))
        written.append(staged.write(PRICE_BOOKS_FILE, books_json.encode()))
        written.append(staged.write(DIGEST_FILE, digest.encode()))
    if publish is not None:
        publish(books)
    return BuildReport(
        stations=[station.id for station in catalog.stations],
        pages=sum(output.path.endswith(".html") for output in outputs),
        files_written=sum(written),
        seconds=time.perf_counter() - started,
        up_to_date=False,
        price_books=books,
    )


def _unchanged_price_books(site_dir: Path, digest: str) -> list[PriceBook] | None:
    try:
        if (site_dir / DIGEST_FILE).read_text() != digest:
            return None
        data = json.loads((site_dir / PRICE_BOOKS_FILE).read_text("utf-8"))
        return [PriceBook.model_validate(book) for book in data]
    except (OSError, ValueError):
        return None


def _check_paths(outputs: list[Output], problems: Problems) -> None:
    claimed: dict[str, str] = {}
    reported: set[tuple[str, str]] = set()
    for output in outputs:
        if output.path not in claimed:
            claimed[output.path] = output.source
            continue
        # A main page inherited by every substation collides in each: say it once.
        pair = (output.source, claimed[output.path])
        if pair not in reported:
            reported.add(pair)
            problems.add(output.source, "output path", f"expected a path of its own; {pair[1]} writes it", output.path)
