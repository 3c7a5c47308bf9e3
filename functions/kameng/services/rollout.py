"""Per-station rollout: which stations a publish goes to, the record each publish leaves, one publish at a time.

Every publish of a station leaves a record, s3://<bucket>/.kameng/publishes/<station>/<stamp>.json: each key
the station then had with its S3 version, the price book it went live with, and when the build read its
content. The records sit outside every station's prefix, where no host name of the CDN leads, because a price
book names wholesale costs. `kameng rollback` (services/rollback.py) puts a station back as a record says.

Two publishes of one station never overlap: the supplier sync and a console publish each hold the station's
publish lease (a conditional write with an expiry in the store, so a process that died holding it lets the
next one in), and under it a build that read its content before the live one did is refused, so an older
build never replaces a newer one.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from kameng.deps import Deps
from kameng.domain.price_book import PriceBook
from kameng.ports.outside import Publisher, PublishError
from kameng.ports.store import RequestClaim

RECORDS = ".kameng/publishes/"
STAMP = "%Y%m%dT%H%M%S.%fZ"
# A process that died while publishing holds its stations no longer than this; a publish of a whole site of
# thousands of files takes minutes, not a quarter of an hour.
PUBLISH_LEASE = timedelta(minutes=15)
# The lease of content/ as a whole (no station id starts with "_"): held from reading content to publishing it.
CONTENT_LEASE = "_content"
# How long a publish waits for another one of the same station to finish before it gives up.
LEASE_WAIT_SECONDS = 120.0
LEASE_POLL_SECONDS = 0.5

Lease = Callable[[Sequence[str]], AbstractContextManager[None]]


@dataclass(frozen=True)
class PublishRecord:
    station: str
    stamp: str  # the record's name and the version `kameng rollback --to` takes
    built_at: datetime  # when the build read its content: a publish of an older build is refused
    objects: Mapping[str, str | None] = field(default_factory=dict)  # key -> S3 version id
    price_book: Mapping | None = None  # the book as published (JSON), to publish it again on a rollback
    rollback_of: str | None = None

    @property
    def price_book_version(self) -> str | None:
        return None if self.price_book is None else PriceBook.model_validate(self.price_book).version

    def to_json(self) -> bytes:
        return json.dumps({
            "station": self.station, "stamp": self.stamp, "built_at": self.built_at.isoformat(),
            "objects": dict(sorted(self.objects.items())), "price_book": self.price_book,
            "price_book_version": self.price_book_version, "rollback_of": self.rollback_of,
        }, ensure_ascii=False, sort_keys=True, indent=1).encode()

    @classmethod
    def from_json(cls, body: bytes) -> PublishRecord:
        data = json.loads(body)
        return cls(data["station"], data["stamp"], datetime.fromisoformat(data["built_at"]), data["objects"],
                   data.get("price_book"), data.get("rollback_of"))

    def describe(self) -> str:
        book = self.price_book_version
        note = f", rollback to {self.rollback_of}" if self.rollback_of else ""
        return (f"{self.stamp}  {len(self.objects)} file(s), built {self.built_at.isoformat(timespec='seconds')}, "
                f"price book {book[:12] if book else '-'}{note}")


def stamp_of(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(STAMP)


def record_key(station: str, stamp: str) -> str:
    return f"{RECORDS}{station}/{stamp}.json"


def history(publisher: Publisher, bucket: str, station: str) -> list[PublishRecord]:
    """The station's publishes, oldest first."""
    keys = publisher.record_keys(bucket, f"{RECORDS}{station}/")
    return [PublishRecord.from_json(publisher.read_record(bucket, key)) for key in keys if key.endswith(".json")]


def latest(publisher: Publisher, bucket: str, station: str) -> PublishRecord | None:
    keys = [key for key in publisher.record_keys(bucket, f"{RECORDS}{station}/") if key.endswith(".json")]
    return PublishRecord.from_json(publisher.read_record(bucket, keys[-1])) if keys else None


def keep(publisher: Publisher, bucket: str, record: PublishRecord) -> None:
    publisher.put_record(bucket, record_key(record.station, record.stamp), record.to_json())


def check_fresh(publisher: Publisher, bucket: str, stations: Sequence[str], built_at: datetime) -> None:
    """Refuse, before anything changes, a build that read its content before the live one of any station did."""
    for station in stations:
        live = latest(publisher, bucket, station)
        if live is not None and live.built_at > built_at:
            raise PublishError(
                f"{station}: the live site was built from newer content ({live.built_at.isoformat(timespec='seconds')}) "
                f"than this build ({built_at.isoformat(timespec='seconds')}): build again and publish that")


def next_record(station: str, built_at: datetime, objects: Mapping[str, str | None], book: PriceBook | None,
                previous: PublishRecord | None, now: datetime, rollback_of: str | None = None) -> PublishRecord:
    # A publish that carried no price book (the supplier sync's) went live with the one already there.
    kept_book = book.model_dump(mode="json") if book is not None else (previous.price_book if previous else None)
    stamp = stamp_of(now)
    if previous is not None and stamp <= previous.stamp:
        stamp = stamp_of(datetime.strptime(previous.stamp, STAMP).replace(tzinfo=timezone.utc)
                         + timedelta(microseconds=1))
    return PublishRecord(station, stamp, built_at, dict(objects), kept_book, rollback_of)


def share_of(stations: Sequence[str], percent: float) -> list[str]:
    """The stations in the first `percent` of a fixed hash order: a wider share always holds a narrower one,
    and a station keeps its place as others are added."""
    if not 0 < percent <= 100:
        raise PublishError(f"--share {percent:g}: give a percentage above 0 and at most 100")
    return [name for name in stations if _position(name) < percent * 100]


def _position(station: str) -> int:
    return int.from_bytes(hashlib.sha256(station.encode()).digest()[:8], "big") % 10_000


def publish_lease(deps_of: Callable[[], Deps], holder: str, wait_seconds: float | None = None) -> Lease:
    """A Lease over the store of `deps_of()`: every station's, taken in name order so two publishes of
    overlapping stations cannot each hold one the other waits for."""

    @contextmanager
    def hold(stations: Sequence[str]) -> Iterator[None]:
        deps = deps_of()
        claims: list[RequestClaim] = []
        try:
            for station in sorted(set(stations)):
                claims.append(_take(station, holder, deps, LEASE_WAIT_SECONDS if wait_seconds is None else wait_seconds))
            yield
        finally:
            for claim in reversed(claims):
                deps.store.idempotent_requests.abandon(claim)

    return hold


def _take(station: str, holder: str, deps: Deps, wait_seconds: float) -> RequestClaim:
    deadline = time.monotonic() + wait_seconds
    while True:
        now = deps.clock()
        claim = RequestClaim(scope_key=f"publish-lease:{station}", request_hash=holder, claimed_at=now,
                             lease_ends=now + PUBLISH_LEASE, expires_at=now + PUBLISH_LEASE)
        if deps.store.idempotent_requests.begin(claim) is None:
            return claim
        if time.monotonic() >= deadline:
            raise PublishError(f"{station}: another publish of this station is under way; try again once it is done")
        time.sleep(LEASE_POLL_SECONDS)
