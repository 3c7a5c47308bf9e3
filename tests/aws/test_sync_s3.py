"""The sync schedule in production: supplier costs into suppliers/synced.yaml in the private content bucket,
and the stations where a SKU halted built from that bucket and put on the CDN's bucket; a sync that finds
the same costs again writes and publishes nothing."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from kameng import content_wiring, wiring
from kameng.adapters.cdn_s3 import S3CloudFrontPublisher
from kameng.adapters.content_s3 import S3ContentFiles
from kameng.adapters.supplier_directory import SupplierDirectory
from kameng.handlers import sync as sync_handler
from kameng.services.content_edit import CdnTarget, ContentSite
from kameng.services.rollout import RECORDS
from kameng.sitegen import build

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "templates"
SYNCED = "content/suppliers/synced.yaml"
SKU = "cmcc-direct-50"  # sold at 49.80 by the main station
PAGE = "main/p/cmcc-direct/index.html"


@pytest.fixture
def shop(content_bucket, deps, clock, tmp_path):
    """The demo content published (price books in the store), its simulated suppliers behind the directory,
    and the content port on the bucket with the CDN's bucket as the target."""
    built = build(REPO / "content", tmp_path / "site", TEMPLATES,
                  publish=lambda books: [deps.store.price_books.put_price_book(book) for book in books])
    assert built.stations
    main = deps.store.price_books.price_book(deps.settings.main_station)
    directory = SupplierDirectory(lambda: main.suppliers, environ={}, clock=clock,
                                  sleep=lambda seconds: clock.advance(seconds=seconds))
    chosen = dataclasses.replace(deps, suppliers=directory)
    wiring.use(chosen)
    content_wiring.use(ContentSite(S3ContentFiles(content_bucket, "content"), TEMPLATES,
                                   cdn=CdnTarget("sites", None, S3CloudFrontPublisher(content_bucket))))
    yield chosen
    content_wiring.use(None)


def raise_cost(deps, product: str, cost: int) -> None:
    for name in sorted(deps.store.price_books.price_book(deps.settings.main_station).suppliers):
        simulator = deps.suppliers.supplier(name)
        simulator._products[product] = dataclasses.replace(simulator._products[product], unit_cost=cost)


def text(s3, bucket: str, key: str) -> str:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")


def sku_radio(page: str) -> str:
    found = re.search(rf'<input type="radio" name="sku" value="{SKU}"[^>]*>', page)
    assert found, "the product page offers the SKU"
    return found.group(0)


def keys(s3, bucket: str) -> list[str]:
    return [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", ())]


def test_the_schedule_replaces_synced_yaml_in_the_bucket_and_republishes_the_halted_stations_pages(content_bucket, shop):
    before = text(content_bucket, "content", SYNCED) if SYNCED in keys(content_bucket, "content") else ""
    raise_cost(shop, "CMCC50", 5000)  # every supplier now asks 50.00: above the main station's 49.80

    done = sync_handler.handler({"source": "aws.events"}, None)

    assert "main" in done["published"], done
    synced = text(content_bucket, "content", SYNCED)
    assert synced != before and '{supplier: "sim-fast", product: "CMCC50", cost: "50.00"}' in synced
    published = keys(content_bucket, "sites")
    assert PAGE in published
    # Beside each station's files, only the publish's record (never under a station's prefix).
    assert {key.split("/")[0] for key in published if not key.startswith(RECORDS)} <= set(done["published"])
    assert " disabled" in sku_radio(text(content_bucket, "sites", PAGE))
    # The rest of the content is as it was.
    assert text(content_bucket, "content", "content/main/station.yaml") == (REPO / "content/main/station.yaml").read_text()


def test_a_sync_that_finds_the_same_costs_writes_and_publishes_nothing(content_bucket, shop, calls):
    raise_cost(shop, "CMCC50", 5000)
    assert sync_handler.handler({}, None)["published"]
    calls.watch(content_bucket, "PutObject", "DeleteObject")

    assert sync_handler.handler({}, None)["published"] == []

    assert calls.count("PutObject") == 0 and calls.count("DeleteObject") == 0


def test_a_cost_that_falls_again_republishes_the_page_selling_the_sku(content_bucket, shop):
    raise_cost(shop, "CMCC50", 5000)
    sync_handler.handler({}, None)
    raise_cost(shop, "CMCC50", 4860)

    done = sync_handler.handler({}, None)

    assert "main" in done["published"] and done["resumed"] >= 1
    assert " disabled" not in sku_radio(text(content_bucket, "sites", PAGE))
    assert 'cost: "48.60"' in text(content_bucket, "content", SYNCED)
