"""read → validate → price → plan → render what changed → write it → publish.

Every build reads and validates all of content/ (an error anywhere fails it,
before anything is written). A page is rendered only if its fingerprint (the
digest of its template's context, render.Output.fingerprint) differs from
the one the previous build recorded in the manifest (manifest.py), or its
file is gone; a rendered page is written only if its bytes changed.
"""
from __future__ import annotations

import dataclasses
import gc
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from kameng.domain.price_book import PriceBook
from kameng.sitegen.digest import code_version, input_digest
from kameng.sitegen.manifest import DIGEST_FILE, Manifest, manifest_bytes, read_manifest, stored_digest
from kameng.sitegen.price_book_file import PRICE_BOOKS_FILE, price_books_bytes, read_price_books
from kameng.sitegen.problems import Problems
from kameng.sitegen.write import SiteWriter, recover

if TYPE_CHECKING:
    from kameng.sitegen.catalog import Catalog
    from kameng.sitegen.markdown_safe import MarkdownCache
    from kameng.sitegen.parse import YamlCache
    from kameng.sitegen.render import Output

Publish = Callable[[list[PriceBook]], None]
Files = dict[str, tuple[str, int]]
"""Path under site/ → (fingerprint, size): what the manifest records of each file written."""


@dataclass(frozen=True)
class BuildReport:
    stations: list[str]
    pages: int
    files_written: int
    seconds: float
    up_to_date: bool
    price_books: list[PriceBook] = field(default_factory=list)


class _Loaded(NamedTuple):
    catalog: Catalog
    books: list[PriceBook]
    markdown: MarkdownCache
    yaml: YamlCache


def build(content_dir: Path, site_dir: Path, templates_dir: Path, publish: Publish | None = None,
          stations: Collection[str] | None = None) -> BuildReport:
    """Build every station's site into site_dir; raise ContentError listing every content mistake.

    `stations`: build only these (all of content/ is still validated). The site then holds only them,
    so give it a folder of its own: one station's build, published on its own, is the console's publish.
    """
    started = time.perf_counter()
    with _collector_paused():
        report = _build(content_dir, site_dir, templates_dir, None if stations is None else frozenset(stations))
    if publish is not None:
        publish(report.price_books)
    return dataclasses.replace(report, seconds=time.perf_counter() - started)


def _build(content_dir: Path, site_dir: Path, templates_dir: Path, only: frozenset[str] | None) -> BuildReport:
    started = time.perf_counter()
    # What a killed build left half done is undone first: the previous site is the one to compare with.
    recover(site_dir)
    digest = input_digest(content_dir, templates_dir)
    if only is not None:
        # A site of some stations is not the site of all of them made of the same content.
        digest += ":" + ",".join(sorted(only))
    books = _unchanged_price_books(site_dir, digest)
    if books is not None:
        return BuildReport([book.station for book in books], 0, 0, time.perf_counter() - started, True, books)
    previous = read_manifest(site_dir) or Manifest()
    loaded = _load(content_dir, templates_dir, previous)
    if only is not None:
        loaded = _only(loaded, only)
    outputs = _plan(loaded.catalog, loaded.books, templates_dir)
    with SiteWriter(site_dir) as writer:
        files = _write_pages(writer, outputs + _plan_console(templates_dir), previous)
        books_entry = _write_price_books(writer, loaded, previous)
        # Last: until it is in place, the previous manifest describes the site.
        manifest = Manifest(files, books_entry, dict(sorted(loaded.markdown.used.items())),
                            dict(sorted(loaded.yaml.used.items())))
        writer.put(DIGEST_FILE, manifest_bytes(digest, manifest))
    return BuildReport(
        stations=[book.station for book in loaded.books],
        pages=sum(output.path.endswith(".html") for output in outputs),
        files_written=writer.written,
        seconds=time.perf_counter() - started,
        up_to_date=False,
        price_books=loaded.books,
    )


def _load(content_dir: Path, templates_dir: Path, previous: Manifest) -> _Loaded:
    """Read and validate all of content/ and price every station: every mistake at once, before any writing."""
    # Imported here and in _plan: an unchanged rebuild (budget 0.5 s) never needs Jinja2 or Markdown.
    from kameng.sitegen.load import load_catalog
    from kameng.sitegen.markdown_safe import MarkdownCache
    from kameng.sitegen.parse import YamlCache
    from kameng.sitegen.price_books import build_price_books

    markdown, yaml = MarkdownCache(previous.markdown), YamlCache(previous.yaml)
    problems = Problems()
    catalog = load_catalog(content_dir, templates_dir, problems, markdown, yaml)
    books = [] if catalog is None else build_price_books(catalog, problems)
    problems.raise_if_any()
    assert catalog is not None
    return _Loaded(catalog, books, markdown, yaml)


def _only(loaded: _Loaded, only: frozenset[str]) -> _Loaded:
    """The loaded content with only these stations' price books; planning follows the books."""
    known = {station.id for station in loaded.catalog.stations}
    problems = Problems()
    for name in sorted(only - known):
        problems.add(name, "station", "expected the id of a station in content/", name)
    problems.raise_if_any()
    return loaded._replace(books=[book for book in loaded.books if book.station in only])


def _plan(catalog: Catalog, books: list[PriceBook], templates_dir: Path) -> list[Output]:
    """Every file of every station, each with its fingerprint; two claiming one path fail the build."""
    from kameng.sitegen.render import context_digest, plan_station
    from kameng.sitegen.theme import Theme

    themes: dict[str, Theme] = {}
    digest = context_digest()
    outputs: list[Output] = []
    # The main station stays in the catalog even when it is not built: it is the supply every substation sells.
    by_id = {station.id: station for station in catalog.stations}
    for book in books:
        station = by_id[book.station]
        theme_name = station.config.theme
        if theme_name not in themes:
            themes[theme_name] = Theme(templates_dir / theme_name)
        outputs.extend(plan_station(station, catalog.in_language(station.config.language), book, themes[theme_name],
                                    digest))
    problems = Problems()
    _check_paths(outputs, problems)
    problems.raise_if_any()
    return outputs


def _plan_console(templates_dir: Path) -> list[Output]:
    """The owner console's pages: not a station's, so not counted in BuildReport.pages."""
    from kameng.sitegen.console import plan_console

    return plan_console(templates_dir)


def _write_pages(writer: SiteWriter, outputs: list[Output], previous: Manifest) -> Files:
    """Render and write what changed (its fingerprint, or its file is gone); delete what is no longer built."""
    recorded = previous.files
    kept: Files = {}
    shared: dict[str, str] = {}
    changed: list[Output] = []
    for output in outputs:
        entry = recorded.get(output.path)
        if entry is not None and entry[0] == output.fingerprint and writer.intact(output.path, entry[1]):
            kept[output.path] = entry
            if output.share_key is not None:
                shared.setdefault(output.share_key, output.path)
        else:
            changed.append(output)
    produced = {output.path for output in outputs} | {PRICE_BOOKS_FILE, DIGEST_FILE}
    sizes = writer.write_all(changed, shared, produced, recorded if recorded else None)
    files = {**kept, **{output.path: (output.fingerprint, size) for output, size in zip(changed, sizes)}}
    return dict(sorted(files.items()))


def _write_price_books(writer: SiteWriter, loaded: _Loaded, previous: Manifest) -> tuple[str, int]:
    """.price-books.json, unless the previous build's is in place and made of the same content."""
    key = _price_books_fingerprint(loaded.catalog)
    entry = previous.price_books
    if entry is not None and entry[0] == key and writer.intact(PRICE_BOOKS_FILE, entry[1]):
        return entry
    data = price_books_bytes(loaded.books)
    writer.put(PRICE_BOOKS_FILE, data)
    return key, len(data)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection during a build.

    A build makes hundreds of thousands of objects (the catalogue, the
    manifest, the plan) that live until it ends and form almost no cycles;
    each full collection scanned them all again, a fifth of a rebuild's time
    on a big catalogue. Rendering makes no cyclic garbage at all: a serial
    build of 10 × 1,000 products leaves ~5,000 unreachable objects behind.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _unchanged_price_books(site_dir: Path, digest: str) -> list[PriceBook] | None:
    if stored_digest(site_dir) != digest:
        return None
    try:
        return read_price_books(site_dir)
    except (OSError, ValueError):
        return None


def _price_books_fingerprint(catalog: Catalog) -> str:
    """Everything the price books are made of: each station's config and what it sells, each product's fields."""
    from kameng.sitegen.catalog import fingerprint

    return fingerprint(
        code_version(),
        catalog.currency,
        tuple((station.id, station.config.model_dump_json(), station.sells) for station in catalog.stations),
        tuple((product.id, product.front_json) for product in catalog.products.values()),
    )


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
