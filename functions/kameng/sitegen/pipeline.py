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
import json
import os
import re
import stat
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from kameng.domain.price_book import PriceBook
from kameng.sitegen.digest import input_digest
from kameng.sitegen.manifest import (DIGEST_FILE, Files, Manifest, read_manifest, station_line,
                                     stored_digest, write_header)
from kameng.sitegen.price_book_file import PRICE_BOOKS_FILE, PriceBookFile, PriceBookWriter, read_price_books
from kameng.sitegen.problems import Problems
from kameng.sitegen.spool import Spool
from kameng.sitegen.write import SiteWriter, recover

if TYPE_CHECKING:
    from kameng.sitegen.catalog import Catalog
    from kameng.sitegen.context_digest import ContextDigest
    from kameng.sitegen.theme import Theme
    from kameng.sitegen.markdown_safe import MarkdownCache
    from kameng.sitegen.parse import YamlCache
    from kameng.sitegen.render import Output

Publish = Callable[[Sequence[PriceBook]], None]
# Stations planned, rendered and written together. A plan holds every page's context until its pages are
# written: a thousand stations' plans at once took 1 GiB; fifty keep a 10 × 1,000 build in one batch.
STATIONS_AT_ONCE = 50
_STATION_ID = re.compile(r"[a-z0-9-]+")  # content_types.is_id's; not imported: an unchanged rebuild never loads pydantic


@dataclass(frozen=True)
class BuildReport:
    stations: list[str]
    pages: int
    files_written: int
    seconds: float
    up_to_date: bool
    price_books: Sequence[PriceBook] = field(default_factory=list)
    """Read from .price-books.json a book at a time, as they are used."""
    planned: list[str] = field(default_factory=list)
    """The stations whose pages were planned (the others' inputs had not changed)."""
    changed: list[str] = field(default_factory=list)
    """Paths under site/ written or deleted, the bookkeeping files aside: what the CDN must refresh."""


class _Loaded(NamedTuple):
    catalog: Catalog
    books: PriceBookFile
    keys: dict[str, str]
    """Station id → its key (station_keys.py), for the stations of the books."""
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
        return BuildReport(books.stations, 0, 0, time.perf_counter() - started, True, books)
    previous = read_manifest(site_dir) or Manifest()
    digest_contexts = _context_digest()
    with SiteWriter(site_dir) as writer:
        loaded = _load(content_dir, templates_dir, previous, only, digest_contexts, writer.spool("price-books"))
        kept = _unchanged_stations(site_dir, loaded.keys, previous)
        planned = [station for station in loaded.books.stations if station not in kept]
        lines = Spool.create(writer.spool("stations"))
        pages = _write_stations(writer, loaded, planned, templates_dir, previous, digest_contexts, lines)
        console = _write_console(writer, templates_dir, previous, loaded.books.stations, lines)
        writer.put_file(PRICE_BOOKS_FILE, writer.spool("price-books"))
        # Last: until it is in place, the previous manifest describes the site.
        caches = dict(sorted(loaded.markdown.used.items())), dict(sorted(loaded.yaml.used.items()))
        writer.put_file(DIGEST_FILE, _manifest(writer.spool("manifest"), (digest, console, *caches),
                                               loaded.books.stations, lines.finish(), previous))
    return BuildReport(
        stations=loaded.books.stations,
        pages=pages + sum(kept.values()),
        files_written=writer.written,
        seconds=time.perf_counter() - started,
        up_to_date=False,
        price_books=loaded.books,
        planned=planned,
        changed=sorted(writer.changed),
    )


def _context_digest() -> ContextDigest:
    from kameng.sitegen.render import context_digest

    return context_digest()


def _unchanged_stations(site_dir: Path, keys: dict[str, str], previous: Manifest) -> dict[str, int]:
    """Station → its number of pages, for each station whose key is the recorded one and whose files are intact."""
    root = str(site_dir)
    kept: dict[str, int] = {}
    for station, key in keys.items():
        if previous.stations.get(station) != key:
            continue
        files = previous.station_files(station)
        if files and all(_intact(f"{root}/{path}", size) for path, (_, size) in files.items()):
            kept[station] = sum(path.endswith(".html") for path in files)
    return kept


def _intact(path: str, size: int) -> bool:
    try:
        status = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(status.st_mode) and status.st_size == size


def _load(content_dir: Path, templates_dir: Path, previous: Manifest, only: frozenset[str] | None,
          digest: ContextDigest, books_file: Path) -> _Loaded:
    """Read and validate all of content/ and price every station: every mistake at once, before any writing.

    Each book goes to books_file as it is made, with its station's key; `only`: just these stations'.
    """
    # Imported here and in _plan: an unchanged rebuild (budget 0.5 s) never needs Jinja2 or Markdown.
    from kameng.sitegen.load import load_catalog
    from kameng.sitegen.markdown_safe import MarkdownCache
    from kameng.sitegen.parse import YamlCache
    from kameng.sitegen.price_books import each_price_book
    from kameng.sitegen.station_keys import StationKeys

    markdown, yaml = MarkdownCache(previous.markdown), YamlCache(previous.yaml)
    problems = Problems()
    catalog = load_catalog(content_dir, templates_dir, problems, markdown, yaml)
    if catalog is None:
        problems.raise_if_any()
    assert catalog is not None
    _check_only(catalog, only, problems)
    station_keys = StationKeys(catalog, templates_dir, digest)
    writer = PriceBookWriter(open(books_file, "w+b"), hold=STATIONS_AT_ONCE)
    keys: dict[str, str] = {}
    for book in each_price_book(catalog, problems):
        # After one mistake the build fails: the rest are only checked.
        if (only is None or book.station in only) and not problems.messages:
            data = book.model_dump_json()
            keys[book.station] = station_keys.key(book.station, data)
            writer.add(book, data)
    problems.raise_if_any()
    return _Loaded(catalog, writer.finish(), keys, markdown, yaml)


def _check_only(catalog: Catalog, only: frozenset[str] | None, problems: Problems) -> None:
    known = {station.id for station in catalog.stations}
    for name in sorted((only or frozenset()) - known):
        problems.add(name, "station", "expected the id of a station in content/", name)


def _write_stations(writer: SiteWriter, loaded: _Loaded, planned: list[str], templates_dir: Path,
                    previous: Manifest, digest: ContextDigest, lines: Spool) -> int:
    """Plan, render and write the planned stations, STATIONS_AT_ONCE at a time, each batch's manifest lines
    into `lines`; return the number of their pages.

    A station's paths all start with its id, so two outputs can only collide within one station: a batch's
    collision fails the build there, and the writer puts back what earlier batches changed.
    """
    pages = 0
    shared: dict[str, str] = {}
    themes: dict[str, Theme] = {}
    for start in range(0, len(planned), STATIONS_AT_ONCE):
        batch = planned[start:start + STATIONS_AT_ONCE]
        recorded: Files = {}
        for station in batch:
            recorded |= previous.station_files(station)
        outputs = _plan(loaded.catalog, [loaded.books.book(station) for station in batch], templates_dir, themes,
                        digest)
        pages += sum(output.path.endswith(".html") for output in outputs)
        files = _write_pages(writer, outputs, recorded, shared, list(recorded))
        del outputs  # the plans hold every page's context: one batch's at a time, whatever the number of stations
        by_station: dict[str, Files] = {station: {} for station in batch}
        for path, entry in files.items():
            by_station[path.partition("/")[0]][path] = entry
        for station, station_files in by_station.items():
            lines.add(station, station_line(station, loaded.keys[station], station_files))
    return pages


def _write_console(writer: SiteWriter, templates_dir: Path, previous: Manifest, stations: list[str],
                   lines: Spool) -> Files:
    """The console's files, written last; then a station no longer built, and its files, go."""
    from kameng.sitegen.console import plan_console

    outputs = plan_console(templates_dir)
    produced = {output.path for output in outputs} | {PRICE_BOOKS_FILE, DIGEST_FILE}
    if previous.lines is None:
        # No manifest says what an earlier build wrote: everything under site/ not built now goes.
        listed = None
        for station in stations:
            produced |= previous.station_files(station).keys() | _spooled_files(lines, station)
    else:
        built = set(stations)
        gone = [station for station in previous.lines.keys() if station not in built]
        listed = [*previous.files, *(path for station in gone for path in previous.station_files(station))]
    return _write_pages(writer, outputs, previous.files, {}, listed, produced)


def _spooled_files(lines: Spool, station: str) -> set[str]:
    return set(json.loads(lines.read(station))["files"]) if station in lines else set()


def _manifest(path: Path, header: tuple, stations: list[str], lines: Spool, previous: Manifest) -> Path:
    """The manifest at path: each station's new line, or the previous one where it was not planned."""
    with open(path, "w", encoding="utf-8") as out:
        write_header(out, *header)
        for station in stations:
            source = lines if station in lines else previous.lines
            assert source is not None
            out.write(source.read(station).decode() + "\n")
    lines.file.close()
    if previous.lines is not None:
        previous.lines.file.close()  # before the new one replaces it: a file open there cannot be replaced everywhere
    return path


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


def _write_pages(writer: SiteWriter, outputs: list[Output], recorded: Files, shared: dict[str, str],
                 listed: list[str] | None, also_produced: Collection[str] = ()) -> Files:
    """Render and write what changed (its fingerprint, or its file is gone); delete those of the listed files
    (None: every file of the site) that are neither outputs nor also_produced.

    recorded: what the previous build wrote of these outputs. shared: share key → a path holding those bytes,
    from earlier calls; this call adds its own.
    """
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


def _unchanged_price_books(site_dir: Path, digest: str) -> PriceBookFile | None:
    if stored_digest(site_dir) != digest:
        return None
    try:
        return read_price_books(site_dir)
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
