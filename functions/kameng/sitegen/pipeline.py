"""read → validate → price → plan → render what changed → write it → publish.

Every build reads and validates all of content/ (an error anywhere fails it,
before anything is written). A page is rendered only if its fingerprint (the
digest of its template's context, render.Output.fingerprint) differs from
the one the previous build recorded in the manifest (manifest.py), or its
file is gone; a rendered page is written only if its bytes changed.

Before that, a station is planned at all only if its key (station_keys.py:
the digest of everything its pages are made from) differs from the one the
manifest recorded, or one of its recorded files is gone: with a thousand
stations, an edit costs the stations it shows on.
"""
from __future__ import annotations

import dataclasses
import gc
import os
import re
import stat
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
    from kameng.sitegen.context_digest import ContextDigest
    from kameng.sitegen.theme import Theme
    from kameng.sitegen.markdown_safe import MarkdownCache
    from kameng.sitegen.parse import YamlCache
    from kameng.sitegen.render import Output

Publish = Callable[[list[PriceBook]], None]
# Stations planned, rendered and written together. A plan holds every page's context until its pages are
# written: a thousand stations' plans at once took 1 GiB; fifty keep a 10 × 1,000 build in one batch.
STATIONS_AT_ONCE = 50
_STATION_ID = re.compile(r"[a-z0-9-]+")  # content_types.is_id's; not imported: an unchanged rebuild never loads pydantic
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
    planned: list[str] = field(default_factory=list)
    """The stations whose pages were planned (the others' inputs had not changed)."""
    changed: list[str] = field(default_factory=list)
    """Paths under site/ written or deleted, the bookkeeping files aside: what the CDN must refresh."""


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
        report = _build(content_dir, site_dir, templates_dir, None if stations is None else frozenset(stations),
                        publish is not None)
    if publish is not None:
        publish(report.price_books)
    return dataclasses.replace(report, seconds=time.perf_counter() - started)


def _build(content_dir: Path, site_dir: Path, templates_dir: Path, only: frozenset[str] | None,
           books_needed: bool = True) -> BuildReport:
    started = time.perf_counter()
    # What a killed build left half done is undone first: the previous site is the one to compare with.
    recover(site_dir)
    digest = input_digest(content_dir, templates_dir)
    if only is not None:
        # A site of some stations is not the site of all of them made of the same content.
        digest += ":" + ",".join(sorted(only))
    if not books_needed and stored_digest(site_dir) == digest:
        # Reading a thousand stations' price books took most of an unchanged rebuild: only a publish needs them.
        return BuildReport(_built_stations(site_dir), 0, 0, time.perf_counter() - started, True)
    books = _unchanged_price_books(site_dir, digest)
    if books is not None:
        return BuildReport([book.station for book in books], 0, 0, time.perf_counter() - started, True, books)
    previous = read_manifest(site_dir) or Manifest()
    loaded = _load(content_dir, templates_dir, previous)
    if only is not None:
        loaded = _only(loaded, only)
    digest_contexts = _context_digest()
    keys = _station_keys(loaded, templates_dir, digest_contexts)
    kept = _unchanged_stations(site_dir, keys, previous)
    planned = [book for book in loaded.books if book.station not in kept]
    kept_files = {path: entry for files in kept.values() for path, entry in files.items()}
    with SiteWriter(site_dir) as writer:
        files, pages = _write_stations(writer, loaded.catalog, planned, templates_dir, previous, kept_files,
                                       digest_contexts)
        books_entry = _write_price_books(writer, loaded, previous)
        # Last: until it is in place, the previous manifest describes the site.
        manifest = Manifest(files, books_entry, dict(sorted(loaded.markdown.used.items())),
                            dict(sorted(loaded.yaml.used.items())), keys)
        writer.put(DIGEST_FILE, manifest_bytes(digest, manifest))
    return BuildReport(
        stations=[book.station for book in loaded.books],
        pages=pages,
        files_written=writer.written,
        seconds=time.perf_counter() - started,
        up_to_date=False,
        price_books=loaded.books,
        planned=[book.station for book in planned],
        changed=sorted(writer.changed),
    )


def _context_digest() -> ContextDigest:
    from kameng.sitegen.render import context_digest

    return context_digest()


def _station_keys(loaded: _Loaded, templates_dir: Path, digest: ContextDigest) -> dict[str, str]:
    from kameng.sitegen.station_keys import station_keys

    return station_keys(loaded.catalog, loaded.books, templates_dir, digest)


def _unchanged_stations(site_dir: Path, keys: dict[str, str], previous: Manifest) -> dict[str, Files]:
    """Station → its recorded files, for each station whose key is the recorded one and whose files are intact."""
    same = {station for station, key in keys.items() if previous.stations.get(station) == key}
    if not same:
        return {}
    by_station: dict[str, Files] = {station: {} for station in same}
    for path, entry in previous.files.items():
        files = by_station.get(path.partition("/")[0])
        if files is not None:
            files[path] = entry
    root = str(site_dir)
    return {station: files for station, files in by_station.items()
            if files and all(_intact(f"{root}/{path}", size) for path, (_, size) in files.items())}


def _intact(path: str, size: int) -> bool:
    try:
        status = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(status.st_mode) and status.st_size == size


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


def _write_stations(writer: SiteWriter, catalog: Catalog, planned: list[PriceBook], templates_dir: Path,
                    previous: Manifest, unplanned: Files, digest: ContextDigest) -> tuple[Files, int]:
    """Plan, render and write the planned stations, STATIONS_AT_ONCE at a time, then the console; delete
    what is no longer built. Returns every file of the site (unplanned: those of the stations not planned,
    kept as they are) and the number of its stations' pages.

    A station's paths all start with its id, so two outputs can only collide within one station: a batch's
    collision fails the build there, and the writer puts back what earlier batches changed.
    """
    files: Files = dict(unplanned)
    pages = sum(path.endswith(".html") for path in unplanned)
    shared: dict[str, str] = {}
    recorded: dict[str, list[str]] = {book.station: [] for book in planned}
    for path in previous.files:
        listed = recorded.get(path.partition("/")[0])
        if listed is not None:
            listed.append(path)
    themes: dict[str, Theme] = {}
    for start in range(0, len(planned), STATIONS_AT_ONCE):
        batch = planned[start:start + STATIONS_AT_ONCE]
        outputs = _plan(catalog, batch, templates_dir, themes, digest)
        pages += sum(output.path.endswith(".html") for output in outputs)
        listed = [path for book in batch for path in recorded[book.station]]
        files |= _write_pages(writer, outputs, previous, shared, listed)
        del outputs  # the plans hold every page's context: one batch's at a time, whatever the number of stations
    # Last, with everything else kept: a station no longer built, and its files, go.
    produced = files.keys() | {PRICE_BOOKS_FILE, DIGEST_FILE}
    files |= _write_pages(writer, _plan_console(templates_dir), previous, shared,
                          list(previous.files) if previous.files else None, produced)
    return dict(sorted(files.items())), pages


def _plan(catalog: Catalog, books: list[PriceBook], templates_dir: Path, themes: dict[str, Theme],
          digest: ContextDigest) -> list[Output]:
    """Every file of these stations, each with its fingerprint; two claiming one path fail the build."""
    from kameng.sitegen.render import plan_station
    from kameng.sitegen.theme import Theme

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


def _write_pages(writer: SiteWriter, outputs: list[Output], previous: Manifest, shared: dict[str, str],
                 listed: list[str] | None, also_produced: Collection[str] = ()) -> Files:
    """Render and write what changed (its fingerprint, or its file is gone); delete those of the listed files
    (None: every file of the site) that are neither outputs nor also_produced.

    shared: share key → a path holding those bytes, from earlier calls; this call adds its own.
    """
    recorded = previous.files
    kept: Files = {}
    changed: list[Output] = []
    for output in outputs:
        entry = recorded.get(output.path)
        if entry is not None and entry[0] == output.fingerprint and writer.intact(output.path, entry[1]):
            kept[output.path] = entry
            if output.share_key is not None:
                shared.setdefault(output.share_key, output.path)
        else:
            changed.append(output)
    produced = {output.path for output in outputs} | set(also_produced)
    sizes = writer.write_all(changed, shared, produced, listed)
    return {**kept, **{output.path: (output.fingerprint, size) for output, size in zip(changed, sizes)}}


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


def _built_stations(site_dir: Path) -> list[str]:
    """The stations of an up-to-date site: its folders named as station ids are (not _console)."""
    names = [entry.name for entry in os.scandir(site_dir) if entry.is_dir() and _STATION_ID.fullmatch(entry.name)]
    # The price books' order: the main station (load.MAIN), then the substations by id.
    return sorted(names, key=lambda name: (name != "main", name))


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
