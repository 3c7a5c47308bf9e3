"""Publish the built stations to the CDN: site/<station>/ → <bucket>/<station>/.

Plan first, then act. The plan compares each local file's SHA-256 (and the
headers it should carry) with what the bucket holds, and lists only what must
change: uploads, deletions and the CDN paths to invalidate. A dry run prints the
plan and touches nothing.

Order of operations, per station, so a visitor never gets a page that points
at something missing:

1. new and changed assets (content-hashed names: new files, never overwrites);
2. the price books -- before the pages, so a page showing a new SKU or price
   is never live while checkout still prices from the old book;
3. new and changed HTML pages;
4. sitemap.xml and robots.txt, once the pages they list exist;
5. deletions, last: old hashed assets may still be named by cached HTML until
   the new HTML is up;
6. one CDN invalidation of the changed and deleted pages;
7. the publish's record, every key's S3 version, for `kameng rollback`
   (services/rollout.py, services/rollback.py).

All of it under the stations' publish lease, when given, and refused before
any change if the live build read its content after this one did.

Residual window: an edge may keep an old page for up to s-maxage (60 s) or
until the invalidation lands (usually a minute or two); if it also never cached
an asset that page names, that asset is already gone. Keeping old hashed
assets for a grace period (e.g. an S3 lifecycle rule) would close it.

No AWS here: the `Publisher` does the talking (adapters/cdn_s3.py).
"""
from __future__ import annotations

import dataclasses
import hashlib
import mimetypes
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from kameng.domain.price_book import PriceBook
from kameng.ports.outside import Phase, Publisher, PublishError, RemoteObject, Upload
from kameng.services import rollout
from kameng.sitegen.console import OUTPUT as CONSOLE
from kameng.sitegen.price_book_file import PRICE_BOOKS_FILE, read_price_books
from kameng.sitegen.write import SiteBusy, ready

IMMUTABLE = "public, max-age=31536000, immutable"
# Browsers always revalidate; the CDN keeps a copy at most a minute, so even a
# missed invalidation heals within 60 s.
REVALIDATE = "public, max-age=0, s-maxage=60, must-revalidate"

# CloudFront bills invalidations per path (the first 1,000 paths a month are
# free, then $0.005 each) and counts a wildcard as one path; it also caps the
# paths in progress per distribution. Past this many paths, `/*` costs one path
# instead of hundreds, and a publish that touches that many pages has changed
# most of the station anyway. (On a distribution shared by several stations the
# wildcard also refreshes the others: extra origin fetches, never stale pages.)
WILDCARD_AFTER = 100

# name.<hex digest>.ext -- what the build writes under assets/.
_HASHED = re.compile(r"\.[0-9a-f]{8,}\.[A-Za-z0-9]+$")
_ROOT_FILES_LAST = ("sitemap.xml", "robots.txt")

_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css",
    ".js": "application/javascript",
    ".mjs": "application/javascript",
    ".svg": "image/svg+xml",
    ".xml": "application/xml",
    ".txt": "text/plain",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}


@dataclass(frozen=True)
class StationPlan:
    station: str
    prefix: str
    uploads: tuple[Upload, ...] = ()
    deletions: tuple[str, ...] = ()  # bucket keys
    invalidations: tuple[str, ...] = ()  # CDN paths
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.uploads or self.deletions)

    def describe(self) -> str:
        lines = [
            f"{self.station}: {len(self.uploads)} to upload, {len(self.deletions)} to delete, "
            f"{self.unchanged} unchanged, {len(self.invalidations)} path(s) to invalidate"
        ]
        lines += [f"  {'replace' if u.replaces else 'upload '} {u.key}  ({u.content_type}; {u.cache_control})"
                  for u in sorted(self.uploads, key=lambda u: (u.phase, u.key))]
        lines += [f"  delete  {key}" for key in self.deletions]
        lines += [f"  invalidate {path}" for path in self.invalidations]
        return "\n".join(lines)


@dataclass(frozen=True)
class StationResult:
    plan: StationPlan
    invalidation_id: str | None = None
    versions: Mapping[str, str | None] = field(default_factory=dict)  # what the uploads made, until recorded
    record: str | None = None  # the publish's record (services/rollout.py), the version to roll back to


@dataclass
class PublishReport:
    bucket: str
    dry_run: bool
    stations: list[StationResult] = field(default_factory=list)
    price_books: list[str] = field(default_factory=list)  # stations whose book was (or would be) published

    @property
    def uploaded(self) -> int:
        return sum(len(s.plan.uploads) for s in self.stations)

    @property
    def deleted(self) -> int:
        return sum(len(s.plan.deletions) for s in self.stations)

    @property
    def invalidation_ids(self) -> list[str]:
        return [s.invalidation_id for s in self.stations if s.invalidation_id]

    def summary(self) -> str:
        if self.dry_run:
            invalidations = sum(1 for s in self.stations if s.plan.invalidations)
            verb = "would publish"
        else:
            invalidations, verb = len(self.invalidation_ids), "published"
        stations = sum(1 for s in self.stations if s.plan.station != CONSOLE)
        console = " and the console" if len(self.stations) > stations else ""
        return (
            f"{verb} {stations} station(s){console} to s3://{self.bucket}/: {self.uploaded} upload(s), "
            f"{self.deleted} deletion(s), {invalidations} invalidation(s), {len(self.price_books)} price book(s)"
        )


PublishPriceBook = Callable[[PriceBook], None]
Distributions = str | Mapping[str, str] | None
Echo = Callable[[str], None]


def publish(
    site_dir: Path,
    stations: Sequence[str] | None,
    bucket: str,
    distribution_id: Distributions,
    publisher: Publisher,
    publish_price_books: PublishPriceBook | None = None,
    dry_run: bool = False,
    echo: Echo = print,
    console_distribution: str | None = None,
    lease: rollout.Lease | None = None,
    built_at: datetime | None = None,
) -> PublishReport:
    """Publish `stations` (all station folders of `site_dir` when None).

    `distribution_id`: one CloudFront distribution for every station, a
    {station: distribution id} map, or None to skip invalidation.
    `publish_price_books`: the store's put_price_book; each station's book from
    the build's price-book file is published before its pages go live.
    The console's folder (site/_console/) is published beside the stations, with
    no price book, and invalidated on `console_distribution`, its own.
    First, what a killed build left half installed is rolled back (a dry run
    too: its plan must be of a whole site); a build still running refuses.
    `lease` holds the stations while they are published; `built_at`, when the
    build read its content (default: now), is checked against the live build's
    and kept in each station's publish record (services/rollout.py).
    """
    site_dir = Path(site_dir)
    # A build killed mid-install leaves site/ a mix of two builds until its journal is rolled back: never plan from it.
    try:
        recovered = ready(site_dir)
    except SiteBusy as error:
        raise PublishError(str(error)) from None
    if recovered is not None:
        echo(f"{site_dir}: {recovered}")
    names = _stations(site_dir, stations)
    if isinstance(distribution_id, Mapping):
        unknown = [name for name in names if name != CONSOLE and not distribution_id.get(name)]
        if unknown:
            raise PublishError(f"no CloudFront distribution given for {', '.join(unknown)}")
    stations = [name for name in names if name != CONSOLE]
    books = _price_books(site_dir, stations) if publish_price_books is not None else {}
    if dry_run:
        return _dry_run(site_dir, names, bucket, publisher, books, echo)
    built_at = built_at or datetime.now(timezone.utc)
    with (lease or _no_lease)(stations):
        rollout.check_fresh(publisher, bucket, stations, built_at)
        # Every plan before any change: a listing that fails changes nothing.
        listings = {name: publisher.list_objects(bucket, f"{name}/") for name in names}
        plans = [plan_station(site_dir, name, listings[name]) for name in names]
        report = PublishReport(bucket=bucket, dry_run=False, price_books=sorted(books))
        for plan in plans:
            distribution = console_distribution if plan.station == CONSOLE else _distribution(distribution_id, plan.station)
            result = _carry_out(plan, bucket, distribution, publisher, books.get(plan.station), publish_price_books)
            if plan.station != CONSOLE:
                result = _recorded(result, listings[plan.station], publisher, bucket, books.get(plan.station), built_at)
            report.stations.append(result)
    return report


def _dry_run(site_dir: Path, names: Sequence[str], bucket: str, publisher: Publisher,
             books: Mapping[str, PriceBook], echo: Echo) -> PublishReport:
    plans = [plan_station(site_dir, name, publisher.list_objects(bucket, f"{name}/")) for name in names]
    report = PublishReport(bucket=bucket, dry_run=True, price_books=sorted(books))
    for plan in plans:
        echo(plan.describe())
    for name in sorted(books):
        echo(f"{name}: publish price book ({len(books[name].skus)} SKUs, version {books[name].version})")
    report.stations.extend(StationResult(plan) for plan in plans)
    echo(report.summary())
    return report


@contextmanager
def _no_lease(stations: Sequence[str]) -> Iterator[None]:
    yield


def _recorded(result: StationResult, listing: Sequence[RemoteObject], publisher: Publisher, bucket: str,
              book: PriceBook | None, built_at: datetime) -> StationResult:
    """Keep the record of what the station now is, key by key, so a later rollback can bring it back."""
    plan = result.plan
    objects = {obj.key: obj.version_id for obj in listing if obj.key not in plan.deletions}
    objects.update(result.versions)
    previous = rollout.latest(publisher, bucket, plan.station)
    record = rollout.next_record(plan.station, built_at, objects, book, previous, datetime.now(timezone.utc))
    rollout.keep(publisher, bucket, record)
    return dataclasses.replace(result, record=record.stamp, versions={})


def plan_station(site_dir: Path, station: str, remote: Iterable[RemoteObject]) -> StationPlan:
    root = site_dir / station
    prefix = f"{station}/"
    held = {obj.key: obj for obj in remote}
    uploads: list[Upload] = []
    local_keys: set[str] = set()
    unchanged = 0
    for source in sorted(p for p in root.rglob("*") if p.is_file()):
        path = source.relative_to(root).as_posix()
        key = prefix + path
        local_keys.add(key)
        digest = _sha256(source)
        content_type, cache_control = content_type_of(path), cache_control_of(path)
        existing = held.get(key)
        if existing is not None and (existing.sha256, existing.content_type, existing.cache_control) == (
            digest, content_type, cache_control
        ):
            unchanged += 1
            continue
        uploads.append(Upload(path, key, source, digest, content_type, cache_control, _phase(path), existing is not None))
    deletions = tuple(sorted(key for key in held if key not in local_keys))
    stale_pages = [u.path for u in uploads if u.replaces and u.path.endswith(".html")]
    stale_pages += [key[len(prefix):] for key in deletions if key.endswith(".html")]
    # A new page was never served, so no cache holds it (bar a 404 kept for the
    # distribution's short error-caching TTL); only replaced and deleted pages
    # need invalidating.
    return StationPlan(station, prefix, tuple(uploads), deletions, invalidation_paths(stale_pages, prefix), unchanged)


def invalidation_paths(pages: Iterable[str], prefix: str) -> tuple[str, ...]:
    """CDN paths of the pages, as the cache knows them.

    The host router rewrites /p/x/ on game-zone's domain to /game-zone/p/x/index.html
    before the cache is consulted, so that rewritten path is the one to invalidate.
    """
    paths = {"/" + quote(prefix + page, safe="/-._~") for page in pages}
    if len(paths) > WILDCARD_AFTER:
        return ("/" + quote(prefix, safe="/-._~") + "*",)
    return tuple(sorted(paths))


def content_type_of(path: str) -> str:
    suffix = Path(path).suffix.lower()
    known = _CONTENT_TYPES.get(suffix)
    if known is not None:
        return known
    guessed, _ = mimetypes.guess_type(path)
    return guessed or "application/octet-stream"


def cache_control_of(path: str) -> str:
    # Only a name that carries its content's hash may be cached forever.
    if path.startswith("assets/") and _HASHED.search(path):
        return IMMUTABLE
    return REVALIDATE


def _phase(path: str) -> Phase:
    if path.endswith(".html"):
        return Phase.PAGES
    if path in _ROOT_FILES_LAST:
        return Phase.INDEXES
    return Phase.ASSETS


def _carry_out(
    plan: StationPlan, bucket: str, distribution_id: str | None, publisher: Publisher,
    book: PriceBook | None, publish_price_book: PublishPriceBook | None,
) -> StationResult:
    versions: dict[str, str | None] = {}
    for phase in Phase:
        batch = [u for u in plan.uploads if u.phase is phase]
        if batch:
            versions.update(publisher.upload(bucket, batch) or {u.key: None for u in batch})
        if phase is Phase.ASSETS and book is not None and publish_price_book is not None:
            publish_price_book(book)
    if plan.deletions:
        publisher.delete(bucket, plan.deletions)
    invalidation_id = None
    if plan.invalidations and distribution_id:
        invalidation_id = publisher.invalidate(distribution_id, plan.invalidations)
    return StationResult(plan, invalidation_id, versions=versions)


def _stations(site_dir: Path, stations: Sequence[str] | None) -> list[str]:
    if not site_dir.is_dir():
        raise PublishError(f"{site_dir}: no such folder; run the build first")
    if stations is None:
        names = sorted(p.name for p in site_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
        if not names:
            raise PublishError(f"{site_dir}: no station folders; run the build first")
    else:
        names = list(dict.fromkeys(stations))
    for name in names:
        if not name or "/" in name or name.startswith("."):
            raise PublishError(f"{name!r}: not a station name")
        # A missing or half-written folder would plan the deletion of the whole station.
        if not (site_dir / name / "index.html").is_file():
            raise PublishError(f"{site_dir / name}: no index.html, so not a built station; run the build first")
    return names


def _price_books(site_dir: Path, names: Sequence[str]) -> dict[str, PriceBook]:
    path = site_dir / PRICE_BOOKS_FILE
    try:
        books = read_price_books(site_dir)
        missing = [name for name in names if name not in books.stations]
        if missing:
            raise PublishError(f"{path}: no price book for {', '.join(missing)}; run the build again")
        # Only the stations published: a thousand stations' books are read one at a time, as needed.
        return {name: books.book(name) for name in names}
    except OSError:
        raise PublishError(f"{path}: missing; run the build first (it writes the price books)") from None
    except ValueError as error:
        raise PublishError(f"{path}: not a price-book file ({error}); run the build again") from None


def _distribution(distribution_id: Distributions, station: str) -> str | None:
    if distribution_id is None or isinstance(distribution_id, str):
        return distribution_id
    return distribution_id.get(station)


def _sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()
