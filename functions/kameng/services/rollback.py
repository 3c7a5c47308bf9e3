"""Put one station's published site back as an earlier publish left it (`kameng rollback`).

The sites bucket keeps every object's earlier versions for 30 days (infra/template.base.yaml), and each
publish recorded which version of each key was live (services/rollout.py). A rollback copies those versions
back over their keys in the publish's order (assets, the price book, pages, sitemap and robots), deletes what
did not exist then, invalidates the pages that changed, and records itself as a publish of its own, so it can
be rolled back in turn.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from kameng.domain.price_book import PriceBook
from kameng.ports.outside import Phase, Publisher, PublishError
from kameng.services import rollout
from kameng.services.publish_site import _phase, invalidation_paths


@dataclass(frozen=True)
class RolledBack:
    station: str
    was: str | None  # the live record before
    to: str  # the record brought back
    record: str  # the record this rollback left
    restored: int
    deleted: int
    price_book: str | None  # the version published again
    invalidation_id: str | None

    def summary(self) -> str:
        book = f", price book {self.price_book[:12]} published again" if self.price_book else ""
        return (f"{self.station}: rolled back to {self.to} ({self.restored} file(s) restored, {self.deleted} "
                f"deleted{book}); this rollback is {self.record}")


def choose(records: list[rollout.PublishRecord], station: str, to: str | None) -> rollout.PublishRecord:
    """The record `--to` names, else the one before the live one."""
    if to is not None:
        for record in records:
            if record.stamp == to:
                return record
        raise PublishError(f"{station}: no published version {to}; `kameng publish --history {station}` lists them")
    if len(records) < 2:
        raise PublishError(f"{station}: no earlier published version to roll back to")
    return records[-2]


def rollback(publisher: Publisher, bucket: str, station: str, to: str | None, distribution_id: str | None,
             put_price_book: Callable[[PriceBook], None], now: datetime) -> RolledBack:
    records = rollout.history(publisher, bucket, station)
    target = choose(records, station, to)
    if any(version is None for version in target.objects.values()):
        raise PublishError(f"s3://{bucket}: {target.stamp} was published while the bucket kept no versions; "
                           "it cannot be brought back")
    live = {obj.key: obj.version_id for obj in publisher.list_objects(bucket, f"{station}/")}
    prefix = f"{station}/"
    changed = sorted((key for key, version in target.objects.items() if live.get(key) != version),
                     key=lambda key: (_phase(key[len(prefix):]), key))
    objects: dict[str, str | None] = dict(live)
    book = PriceBook.model_validate(target.price_book) if target.price_book is not None else None
    for phase in Phase:
        for key in (k for k in changed if _phase(k[len(prefix):]) is phase):
            objects[key] = publisher.restore(bucket, key, target.objects[key])
        if phase is Phase.ASSETS and book is not None:
            put_price_book(book)
    gone = sorted(key for key in live if key not in target.objects)
    if gone:
        publisher.delete(bucket, gone)
    for key in gone:
        objects.pop(key)
    pages = [key[len(prefix):] for key in (*changed, *gone) if key.endswith(".html") and key in live]
    paths = invalidation_paths(pages, prefix)
    invalidation_id = publisher.invalidate(distribution_id, paths) if paths and distribution_id else None
    record = rollout.next_record(station, target.built_at, objects, book, records[-1] if records else None, now,
                                 rollback_of=target.stamp)
    rollout.keep(publisher, bucket, record)
    return RolledBack(station, records[-1].stamp, target.stamp, record.stamp, len(changed), len(gone),
                      book.version if book is not None else None, invalidation_id)
