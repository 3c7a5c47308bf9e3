"""The full build's fan-out in production: one call of the build function builds its stations from the
content bucket and puts them on the CDN's bucket, with their price books; the others are not touched."""
from __future__ import annotations

from pathlib import Path

import pytest

from kameng import content_wiring, wiring
from kameng.adapters.cdn_s3 import S3CloudFrontPublisher
from kameng.adapters.content_s3 import S3ContentFiles
from kameng.handlers import build_station
from kameng.services.content_edit import CdnTarget, ContentSite

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.fixture
def site(content_bucket, deps):
    wiring.use(deps)
    content_wiring.use(ContentSite(S3ContentFiles(content_bucket, "content"), TEMPLATES,
                                   cdn=CdnTarget("sites", None, S3CloudFrontPublisher(content_bucket))))
    yield content_bucket
    content_wiring.use(None)
    wiring.use(None)


def prefixes(s3) -> set[str]:
    return {item["Key"].split("/")[0] for item in s3.list_objects_v2(Bucket="sites").get("Contents", ())}


def test_a_batch_of_the_map_state_publishes_its_stations_and_their_price_books(site, deps) -> None:
    done = build_station.handler({"Items": [{"station": "main"}, {"station": "game-zone"}]})

    assert done["stations"] == ["main", "game-zone"]
    assert {"main", "game-zone"} <= prefixes(site)
    assert "global-cards" not in prefixes(site)
    assert site.get_object(Bucket="sites", Key="game-zone/index.html")["ContentLength"] > 0
    assert deps.store.price_books.price_book("game-zone") is not None
    assert deps.store.price_books.price_book("global-cards") is None


def test_a_station_not_in_content_fails_the_call_and_publishes_nothing(site) -> None:
    with pytest.raises(Exception, match="no-such-station"):
        build_station.handler({"station": "no-such-station"})
    assert prefixes(site) == set()
