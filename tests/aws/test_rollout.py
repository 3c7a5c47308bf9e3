"""Per-station rollout and rollback of the published sites, on a versioned bucket under moto."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone

import pytest

from kameng import cli, wiring
from kameng.adapters.cdn_s3 import S3CloudFrontPublisher
from kameng.domain.price_book import PriceBook
from kameng.ports.outside import PublishError
from kameng.services import publish_site, rollout
from kameng.services.rollback import rollback
from kameng.services.rollout import RECORDS, history, publish_lease, share_of

from .conftest import BUCKET

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def versioned(s3, tmp_path, monkeypatch):
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    monkeypatch.setenv("KAMENG_DATA_DIR", str(tmp_path / "var"))
    wiring.use(None)
    yield s3
    wiring.use(None)


def body(s3, key: str) -> str:
    return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()


def station_keys(s3, station: str) -> set[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=f"{station}/")
    return {item["Key"] for page in pages for item in page.get("Contents", ())}


def publish(site, stations, publisher, books, **options):
    return publish_site.publish(site, stations, BUCKET, options.pop("distribution", None), publisher,
                                books.append, echo=lambda line: None, **options)


def test_rollback_brings_back_the_earlier_files_and_price_book_and_deletes_what_was_added(
        versioned, site, cloudfront, distribution_id):
    publisher = S3CloudFrontPublisher(versioned, cloudfront)
    books: list[PriceBook] = []
    publish(site, ["game-zone"], publisher, books, built_at=T0)
    first_page = body(versioned, "game-zone/index.html")
    first_book = books[-1]

    (site / "game-zone" / "index.html").write_text(first_page.replace("</body>", "<p>新主题</p></body>"), "utf-8")
    (site / "game-zone" / "extra").mkdir()
    (site / "game-zone" / "extra" / "index.html").write_text("<p>new page</p>", "utf-8")
    price_books = json.loads((site / ".price-books.json").read_text("utf-8"))
    for book in price_books["books"] if isinstance(price_books, dict) else price_books:
        if book["station"] == "game-zone":
            book["currency"] = "USD"
    (site / ".price-books.json").write_text(json.dumps(price_books), "utf-8")
    publish(site, ["game-zone"], publisher, books, built_at=T0 + timedelta(hours=1), distribution=distribution_id)
    assert "新主题" in body(versioned, "game-zone/index.html")
    assert books[-1].version != first_book.version

    done = rollback(publisher, BUCKET, "game-zone", None, distribution_id, books.append, T0 + timedelta(hours=2))

    assert body(versioned, "game-zone/index.html") == first_page
    assert "game-zone/extra/index.html" not in station_keys(versioned, "game-zone")
    assert books[-1].version == first_book.version  # the earlier price book is published again
    assert done.restored == 1 and done.deleted == 1
    paths = cloudfront.get_invalidation(DistributionId=distribution_id, Id=done.invalidation_id)[
        "Invalidation"]["InvalidationBatch"]["Paths"]["Items"]
    assert "/game-zone/index.html" in paths
    # The rollback is a version of its own: rolling it back gives the second publish again.
    records = history(publisher, BUCKET, "game-zone")
    assert [r.rollback_of for r in records] == [None, None, records[0].stamp]
    rollback(publisher, BUCKET, "game-zone", records[1].stamp, None, books.append, T0 + timedelta(hours=3))
    assert "新主题" in body(versioned, "game-zone/index.html")
    assert "game-zone/extra/index.html" in station_keys(versioned, "game-zone")


def test_records_stay_outside_every_station_and_other_stations_are_untouched(versioned, site):
    publisher = S3CloudFrontPublisher(versioned)
    publish(site, ["game-zone", "av-club"], publisher, [])
    keys = {item["Key"] for item in versioned.list_objects_v2(Bucket=BUCKET, MaxKeys=1000)["Contents"]}
    assert {key.split("/")[0] for key in keys} == {"game-zone", "av-club", ".kameng"}
    assert {key.rsplit("/", 1)[0] for key in keys if key.startswith(RECORDS)} == {
        RECORDS + "game-zone", RECORDS + "av-club"}


def test_a_build_older_than_the_live_one_is_refused_before_anything_changes(versioned, site):
    publisher = S3CloudFrontPublisher(versioned)
    publish(site, ["main"], publisher, [], built_at=T0 + timedelta(minutes=5))
    live = body(versioned, "main/index.html")
    (site / "main" / "index.html").write_text("<p>older build</p>", "utf-8")

    with pytest.raises(PublishError, match="newer content"):
        publish(site, ["main"], publisher, [], built_at=T0)

    assert body(versioned, "main/index.html") == live
    assert len(history(publisher, BUCKET, "main")) == 1


def test_rollback_without_an_earlier_version_is_a_clear_error(versioned, site):
    publisher = S3CloudFrontPublisher(versioned)
    publish(site, ["main"], publisher, [])
    with pytest.raises(PublishError, match="no earlier published version"):
        rollback(publisher, BUCKET, "main", None, None, lambda book: None, T0)
    with pytest.raises(PublishError, match="no published version 2020"):
        rollback(publisher, BUCKET, "main", "2020", None, lambda book: None, T0)


class HeldUpload(S3CloudFrontPublisher):
    """Uploads wait for the test's word, so a second publish starts while the first is inside its upload."""

    def __init__(self, s3):
        super().__init__(s3)
        self.inside, self.go = threading.Event(), threading.Event()

    def upload(self, bucket, uploads):
        self.inside.set()
        assert self.go.wait(30)
        return super().upload(bucket, uploads)


def test_two_publishes_of_one_station_never_overlap_and_the_older_build_loses(versioned, site):
    """The supplier sync and a console publish racing: the sync read its content first, so whichever order
    they reach the lease in, the console's newer build stays live."""
    held = HeldUpload(versioned)
    lease = publish_lease(wiring.deps, "test", wait_seconds=20)
    (site / "main" / "index.html").write_text("<p>console build</p>", "utf-8")
    failures: list[Exception] = []

    def console():
        try:
            publish(site, ["main"], held, [], built_at=T0 + timedelta(minutes=1), lease=lease)
        except Exception as error:  # noqa: BLE001 - the test reports it
            failures.append(error)

    first = threading.Thread(target=console)
    first.start()
    assert held.inside.wait(30)
    # The sync, holding an older build, waits for the console's lease, then is refused.
    outcome: list[Exception | None] = []

    def sync():
        try:
            publish(site, ["main"], S3CloudFrontPublisher(versioned), [], built_at=T0, lease=lease)
            outcome.append(None)
        except PublishError as error:
            outcome.append(error)

    second = threading.Thread(target=sync)
    second.start()
    second.join(0.5)
    assert second.is_alive()  # waiting on the lease, not uploading
    held.go.set()
    first.join(30)
    second.join(30)
    assert failures == []
    assert outcome and "newer content" in str(outcome[0])
    assert body(versioned, "main/index.html") == "<p>console build</p>"


def test_a_publish_that_cannot_get_the_lease_says_so(versioned, site):
    lease = publish_lease(wiring.deps, "test", wait_seconds=0)
    with lease(["main"]):
        with pytest.raises(PublishError, match="another publish of this station is under way"):
            publish(site, ["main"], S3CloudFrontPublisher(versioned), [], lease=lease)
    publish(site, ["main"], S3CloudFrontPublisher(versioned), [], lease=lease)  # let go once done


def test_a_wider_share_holds_every_narrower_one():
    stations = [f"station-{n}" for n in range(400)]
    ten, fifty, every = share_of(stations, 10), share_of(stations, 50), share_of(stations, 100)
    assert set(ten) < set(fifty) < set(every) == set(stations)
    assert 20 <= len(ten) <= 60 and 160 <= len(fifty) <= 240
    # A station keeps its place as stations are added.
    assert set(share_of(stations[:100], 10)) == set(ten) & set(stations[:100])
    with pytest.raises(PublishError):
        share_of(stations, 0)


def test_cli_publishes_only_the_named_stations_then_lists_and_rolls_back(versioned, site, capsys):
    assert cli.main(["publish", "--bucket", BUCKET, "--site", str(site), "--stations", "game-zone,av-club"]) == 0
    assert station_keys(versioned, "main") == set() and station_keys(versioned, "game-zone")
    page = body(versioned, "game-zone/index.html")
    (site / "game-zone" / "index.html").write_text("<p>broken theme</p>", "utf-8")
    assert cli.main(["publish", "--bucket", BUCKET, "--site", str(site), "--station", "game-zone"]) == 0
    capsys.readouterr()

    assert cli.main(["publish", "--bucket", BUCKET, "--history", "game-zone"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 2

    assert cli.main(["rollback", "game-zone", "--bucket", BUCKET]) == 0
    assert body(versioned, "game-zone/index.html") == page
    actions = [entry.action for entry in wiring.deps().store.audit_log.entries("game-zone", 0, 100)]
    assert "site.rollback" in actions
    assert rollout.latest(S3CloudFrontPublisher(versioned), BUCKET, "game-zone").rollback_of == listed[0].split()[0]


def test_cli_share_widens_the_same_set_of_stations(versioned, site, capsys):
    assert cli.main(["publish", "--bucket", BUCKET, "--site", str(site), "--share", "15"]) == 0
    first = {name for name in ("av-club", "game-zone", "global-cards", "main") if station_keys(versioned, name)}
    assert cli.main(["publish", "--bucket", BUCKET, "--site", str(site), "--share", "60"]) == 0
    wider = {name for name in ("av-club", "game-zone", "global-cards", "main") if station_keys(versioned, name)}
    # By the hash of their ids: av-club in the first 15 %, main next; the rest wait for a wider share.
    assert first == {"av-club"} and wider == {"av-club", "main"}
    assert cli.main(["publish", "--bucket", BUCKET, "--site", str(site), "--share", "1"]) == 1
    assert "raise the share" in capsys.readouterr().err
