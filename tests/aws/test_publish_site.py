"""Publishing site/<station>/ to S3 + CloudFront, under moto."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from kameng.adapters.cdn_s3 import S3CloudFrontPublisher
from kameng.domain.price_book import PriceBook
from kameng.ports.outside import PublishError
from kameng.services import publish_site
from kameng.services.rollout import RECORDS
from kameng.services.publish_site import IMMUTABLE, REVALIDATE, cache_control_of, content_type_of, invalidation_paths

from .conftest import BUCKET

STATIONS = ["av-club", "game-zone", "global-cards", "main"]
# The owner console is published beside the stations, with no price book of its own.
CONSOLE = "_console"


class World:
    def __init__(self, site: Path, s3, cloudfront, distribution_id: str, calls):
        self.site, self.s3, self.cloudfront, self.distribution_id, self.calls = site, s3, cloudfront, distribution_id, calls
        self.publisher = S3CloudFrontPublisher(s3, cloudfront)
        self.books: list[PriceBook] = []
        self.printed: list[str] = []
        calls.watch(s3, "PutObject", "DeleteObjects")
        calls.watch(cloudfront, "CreateInvalidation")

    def publish(self, stations=None, dry_run=False, distribution_id="default", **options):
        def put_price_book(book: PriceBook) -> None:
            self.books.append(book)
            self.calls.log.append(("PutPriceBook", {"station": book.station}))

        return publish_site.publish(
            self.site, stations, BUCKET, self.distribution_id if distribution_id == "default" else distribution_id,
            self.publisher, put_price_book, dry_run=dry_run, echo=self.printed.append, **options,
        )

    def keys(self, prefix: str = "") -> set[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        # The publish records are the rollback's (tests/aws/test_rollout.py), not the site's.
        return {item["Key"] for page in pages for item in page.get("Contents", ()) if not item["Key"].startswith(RECORDS)}

    def local_keys(self, station: str) -> set[str]:
        root = self.site / station
        return {f"{station}/{p.relative_to(root).as_posix()}" for p in root.rglob("*") if p.is_file()}

    def invalidations(self) -> list[list[str]]:
        listed = self.cloudfront.list_invalidations(DistributionId=self.distribution_id)["InvalidationList"]
        ids = [item["Id"] for item in listed.get("Items", [])]
        return [
            self.cloudfront.get_invalidation(DistributionId=self.distribution_id, Id=i)["Invalidation"]
            ["InvalidationBatch"]["Paths"].get("Items", [])
            for i in ids
        ]

    def puts(self) -> list[str]:
        return [params["Key"] for name, params in self.calls.log
                if name == "PutObject" and not params["Key"].startswith(RECORDS)]

    def deleted(self) -> list[str]:
        return [o["Key"] for name, params in self.calls.log if name == "DeleteObjects" for o in params["Delete"]["Objects"]]


@pytest.fixture
def world(site, s3, cloudfront, distribution_id, calls) -> World:
    return World(site, s3, cloudfront, distribution_id, calls)


def test_first_publish_uploads_every_file_with_its_type_and_cache_policy(world):
    report = world.publish()
    every = set().union(*(world.local_keys(s) for s in [*STATIONS, CONSOLE]))
    assert world.keys() == every
    assert report.uploaded == len(every) and report.deleted == 0
    # The price-book file and the build digest stay home: wholesale prices are never served.
    assert not any(".price-books" in key or ".build-digest" in key for key in world.keys())

    expected = {
        "main/index.html": ("text/html; charset=utf-8", REVALIDATE),
        "main/p/steam-wallet/index.html": ("text/html; charset=utf-8", REVALIDATE),
        "main/404.html": ("text/html; charset=utf-8", REVALIDATE),
        "main/sitemap.xml": ("application/xml", REVALIDATE),
        "main/robots.txt": ("text/plain", REVALIDATE),
    }
    assets = world.site / "main" / "assets"
    for pattern, content_type in (("style.*.css", "text/css"), ("app.*.js", "application/javascript"),
                                  ("favicon.*.svg", "image/svg+xml"), ("img/*.svg", "image/svg+xml")):
        for path in assets.glob(pattern):
            expected[f"main/assets/{path.relative_to(assets).as_posix()}"] = (content_type, IMMUTABLE)
    assert len(expected) > 10
    for key, (content_type, cache_control) in expected.items():
        head = world.s3.head_object(Bucket=BUCKET, Key=key)
        local = (world.site / key).read_bytes()
        assert (head["ContentType"], head["CacheControl"]) == (content_type, cache_control), key
        assert head["Metadata"] == {"sha256": hashlib.sha256(local).hexdigest()}
        assert world.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == local

    # Nothing was served before, so nothing to invalidate.
    assert world.invalidations() == [] and report.invalidation_ids == []


def test_price_books_are_published_with_the_site(world):
    world.publish()
    on_disk = json.loads((world.site / ".price-books.json").read_text("utf-8"))
    assert sorted(b.station for b in world.books) == STATIONS
    assert {b.station: b for b in world.books} == {d["station"]: PriceBook.model_validate(d) for d in on_disk}


def test_publishing_one_station_touches_only_its_prefix_and_its_book(world):
    world.s3.put_object(Bucket=BUCKET, Key="main-old/index.html", Body=b"another station")
    world.s3.put_object(Bucket=BUCKET, Key="game-zone/index.html", Body=b"published elsewhere")
    report = world.publish(["main"])
    assert world.keys("main/") == world.local_keys("main")
    assert world.keys("main-old/") == {"main-old/index.html"}
    assert world.s3.get_object(Bucket=BUCKET, Key="game-zone/index.html")["Body"].read() == b"published elsewhere"
    assert [b.station for b in world.books] == ["main"] and report.price_books == ["main"]


def test_a_second_publish_with_no_change_uploads_nothing_and_invalidates_nothing(world):
    world.publish()
    world.calls.clear()
    report = world.publish()
    assert world.puts() == [] and world.deleted() == []
    assert world.calls.count("CreateInvalidation") == 0
    assert report.uploaded == report.deleted == 0 and report.invalidation_ids == []
    assert all(r.plan.unchanged == len(world.local_keys(r.plan.station)) for r in report.stations)


def test_editing_one_page_uploads_it_and_invalidates_only_its_paths(world):
    world.publish()
    world.calls.clear()
    page = world.site / "main" / "p" / "steam-wallet" / "index.html"
    page.write_text(page.read_text("utf-8").replace("</body>", "<p>限时优惠</p></body>"), "utf-8")

    report = world.publish()
    assert world.puts() == ["main/p/steam-wallet/index.html"]
    assert world.s3.get_object(Bucket=BUCKET, Key="main/p/steam-wallet/index.html")["Body"].read() == page.read_bytes()
    assert world.invalidations() == [["/main/p/steam-wallet/index.html"]]
    assert len(report.invalidation_ids) == 1


def test_removing_a_page_deletes_it_and_invalidates_it(world):
    world.publish()
    world.calls.clear()
    shutil.rmtree(world.site / "main" / "p" / "youku-vip")

    world.publish()
    assert world.puts() == []
    assert world.deleted() == ["main/p/youku-vip/index.html"]
    assert "main/p/youku-vip/index.html" not in world.keys()
    assert world.invalidations() == [["/main/p/youku-vip/index.html"]]


def test_one_invalidation_per_station_of_its_changed_pages(world):
    world.publish()
    for station in ("main", "game-zone"):
        for page in ("index.html", "faq/index.html"):
            path = world.site / station / page
            path.write_bytes(path.read_bytes() + b"\n")
    world.publish()
    assert sorted(world.invalidations()) == [
        ["/game-zone/faq/index.html", "/game-zone/index.html"], ["/main/faq/index.html", "/main/index.html"]]


def test_a_station_may_have_its_own_distribution(world, cloudfront):
    world.publish()
    world.calls.clear()
    path = world.site / "game-zone" / "index.html"
    path.write_bytes(path.read_bytes() + b"\n")
    with pytest.raises(PublishError, match="no CloudFront distribution given for .*main"):
        world.publish(distribution_id={"game-zone": world.distribution_id})
    assert world.calls.log == []
    world.publish(["game-zone"], distribution_id={"game-zone": world.distribution_id})
    assert world.invalidations() == [["/game-zone/index.html"]]


def test_the_console_publishes_without_a_price_book_and_invalidates_its_own_distribution(world):
    world.publish()
    world.calls.clear()
    world.books.clear()
    page = world.site / CONSOLE / "index.html"
    page.write_bytes(page.read_bytes() + b"\n")
    # The stations' distribution stands in for the console's own here: what matters is which id is asked.
    report = world.publish(distribution_id=None, console_distribution=world.distribution_id)
    assert world.invalidations() == [["/_console/index.html"]]
    assert world.s3.get_object(Bucket=BUCKET, Key="_console/index.html")["Body"].read() == page.read_bytes()
    assert CONSOLE not in [book.station for book in world.books]
    assert "4 station(s) and the console" in report.summary()


def test_dry_run_prints_the_plan_and_changes_nothing(world):
    world.publish()
    world.calls.clear()
    world.books.clear()
    page = world.site / "main" / "faq" / "index.html"
    page.write_bytes(page.read_bytes() + b"\n")
    shutil.rmtree(world.site / "main" / "p" / "youku-vip")
    before = {key: world.s3.head_object(Bucket=BUCKET, Key=key)["ETag"] for key in world.keys()}

    report = world.publish(dry_run=True)
    assert world.calls.log == [] and world.books == []
    assert {key: world.s3.head_object(Bucket=BUCKET, Key=key)["ETag"] for key in world.keys()} == before
    assert world.invalidations() == []

    main = next(r.plan for r in report.stations if r.plan.station == "main")
    assert [u.key for u in main.uploads] == ["main/faq/index.html"]
    assert main.deletions == ("main/p/youku-vip/index.html",)
    assert main.invalidations == ("/main/faq/index.html", "/main/p/youku-vip/index.html")
    printed = "\n".join(world.printed)
    assert "replace main/faq/index.html" in printed and "delete  main/p/youku-vip/index.html" in printed
    assert "invalidate /main/p/youku-vip/index.html" in printed and "would publish 4 station(s)" in printed
    assert report.dry_run and report.invalidation_ids == []


def test_assets_go_up_before_pages_and_deletions_come_last(world):
    world.publish()
    world.calls.clear()
    main = world.site / "main"
    # A new stylesheet under a new hashed name; every page is rewritten to point at it.
    old_css = next((main / "assets").glob("style.*.css"))
    new_css = main / "assets" / "style.0123456789.css"
    new_css.write_bytes(old_css.read_bytes() + b"\n.sale{color:red}\n")
    old_css.unlink()
    pages = sorted(main.rglob("*.html"))
    for page in pages:
        page.write_text(page.read_text("utf-8").replace(old_css.name, new_css.name), "utf-8")
    (main / "sitemap.xml").write_bytes((main / "sitemap.xml").read_bytes() + b"\n")
    shutil.rmtree(main / "p" / "youku-vip")

    world.publish(["main"])
    order = [
        (name, params.get("Key") or params.get("station") or params.get("DistributionId"))
        for name, params in world.calls.log if not str(params.get("Key", "")).startswith(RECORDS)
    ]
    kinds = [
        "asset" if name == "PutObject" and "/assets/" in key
        else "book" if name == "PutPriceBook"
        else "page" if name == "PutObject" and key.endswith(".html")
        else "index" if name == "PutObject"
        else name
        for name, key in order
    ]
    changed_pages = sum(1 for page in pages if page.exists())
    assert kinds == ["asset", "book"] + ["page"] * changed_pages + ["index", "DeleteObjects", "CreateInvalidation"], order
    assert sorted(world.deleted()) == sorted([f"main/assets/{old_css.name}", "main/p/youku-vip/index.html"])
    # Every page named the old stylesheet, so every page (and the deleted one) is invalidated, in one batch.
    [paths] = world.invalidations()
    assert "/main/index.html" in paths and "/main/p/youku-vip/index.html" in paths
    assert len(paths) == len(pages)
    assert world.keys("main/") == world.local_keys("main")


def test_many_stale_pages_invalidate_the_whole_station_with_one_wildcard():
    few = [f"p/item-{n}/index.html" for n in range(100)]
    assert len(invalidation_paths(few, "main/")) == 100
    assert invalidation_paths(few + ["p/one-more/index.html"], "main/") == ("/main/*",)


def test_invalidation_paths_are_the_paths_the_cache_holds_after_the_host_router():
    # The CloudFront Function turns /p/x/ on a station's domain into /<station>/p/x/index.html
    # before the cache lookup, so that is the path that must be invalidated.
    assert invalidation_paths(["index.html"], "game-zone/") == ("/game-zone/index.html",)
    assert invalidation_paths(["p/点卡/index.html"], "main/") == ("/main/p/%E7%82%B9%E5%8D%A1/index.html",)


def test_only_content_hashed_assets_are_cached_forever():
    assert cache_control_of("assets/style.c76223f425.css") == IMMUTABLE
    assert cache_control_of("assets/img/logo.003c223832.svg") == IMMUTABLE
    assert cache_control_of("assets/style.css") == REVALIDATE
    assert cache_control_of("p/x/index.html") == REVALIDATE
    assert cache_control_of("logo.003c223832.svg") == REVALIDATE
    assert content_type_of("assets/a.0123456789.woff2") == "font/woff2"
    assert content_type_of("something.unknownext") == "application/octet-stream"


def test_an_object_stored_without_our_hash_or_headers_is_replaced(world):
    world.publish()
    world.calls.clear()
    world.s3.put_object(Bucket=BUCKET, Key="main/robots.txt", Body=(world.site / "main/robots.txt").read_bytes())
    world.s3.put_object(
        Bucket=BUCKET, Key="main/about/index.html", Body=(world.site / "main/about/index.html").read_bytes(),
        ContentType="text/html", CacheControl=REVALIDATE,
        Metadata={"sha256": hashlib.sha256((world.site / "main/about/index.html").read_bytes()).hexdigest()},
    )
    world.calls.clear()
    world.publish(["main"])
    assert sorted(world.puts()) == ["main/about/index.html", "main/robots.txt"]
    assert world.s3.head_object(Bucket=BUCKET, Key="main/about/index.html")["ContentType"] == "text/html; charset=utf-8"


def test_a_folder_that_is_not_a_built_station_is_refused_before_anything_changes(world):
    (world.site / "main" / "index.html").unlink()
    with pytest.raises(PublishError, match="no index.html"):
        world.publish()
    with pytest.raises(PublishError, match="no index.html"):
        world.publish(["nowhere"])
    assert world.calls.log == [] and world.keys() == set()


def test_missing_price_books_are_refused(world):
    (world.site / ".price-books.json").unlink()
    with pytest.raises(PublishError, match="run the build first"):
        world.publish()
    assert world.calls.log == []


@pytest.mark.parametrize("damage, refusal", [
    (lambda text: text.replace('{"station":"game-zone"', '{"station":"elsewhere"'), "no price book for game-zone"),
    (lambda text: text[: len(text) // 2], "not a price-book file"),
])
def test_a_price_book_file_without_the_stations_book_is_refused(world, damage, refusal):
    path = world.site / ".price-books.json"
    path.write_text(damage(path.read_text("utf-8")), "utf-8")
    with pytest.raises(PublishError, match=refusal):
        world.publish(["game-zone"])
    assert world.calls.log == []


def test_publishing_without_price_books_or_cdn(site, s3, calls):
    calls.watch(s3, "PutObject")
    report = publish_site.publish(site, ["main"], BUCKET, None, S3CloudFrontPublisher(s3), echo=lambda line: None)
    assert report.price_books == [] and report.invalidation_ids == []
    # Every file, and the publish's record.
    assert calls.count("PutObject") == len(list((site / "main").rglob("*.*"))) + 1
