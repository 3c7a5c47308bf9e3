"""Content kept in a private bucket: the console's editor reads and writes it there, and a publish
builds the one station and puts it on the CDN's bucket."""
from __future__ import annotations

from pathlib import Path

import pytest

from kameng.adapters.cdn_s3 import S3CloudFrontPublisher
from kameng.adapters.content_s3 import S3ContentFiles
from kameng.domain.owners import Owner, Role
from kameng.ports.store import Conflict
from kameng.services import content_edit
from kameng.services.content_edit import CdnTarget, ContentSite
from kameng.services.rollout import RECORDS

REPO = Path(__file__).resolve().parents[2]


def test_the_s3_store_reads_saves_with_a_version_check_and_copies(content_bucket, tmp_path):
    files = S3ContentFiles(content_bucket, "content")
    station = files.station_content("game-zone")
    assert sorted(station.files) == ["landing.md", "pages/about.md", "products/gamezone-coach-pass.md", "station.yaml"]
    assert station.images == ("coach-pass.svg", "logo.svg")
    assert files.station_content("nowhere") is None
    version = files.save("game-zone", {"pages/news.md": "---\ntitle: 新闻\n---\n上新\n"}, station.version)
    assert "pages/news.md" in files.station_content("game-zone").files
    with pytest.raises(Conflict):
        files.save("game-zone", {"landing.md": "x"}, station.version)
    files.save("game-zone", {"pages/news.md": None}, version)
    assert "pages/news.md" not in files.station_content("game-zone").files
    files.copy_all(tmp_path / "copy")
    assert (tmp_path / "copy" / "main" / "products").is_dir()


def test_a_production_publish_puts_only_that_station_on_the_cdn(content_bucket, deps):
    site = ContentSite(S3ContentFiles(content_bucket, "content"), REPO / "templates",
                       cdn=CdnTarget("sites", None, S3CloudFrontPublisher(content_bucket)))
    owner = Owner("o1", "owner@gamezone.example", Role.STATION_OWNER, "game-zone")
    current = content_edit.editable(owner, "game-zone", deps, site)
    landing = next(f["text"] for f in current["files"] if f["path"] == "landing.md")
    content_edit.publish(owner, "game-zone", {"files": {"landing.md": landing + "\n元旦快乐\n"},
                                              "expected_version": current["version"]}, deps, site)
    keys = [item["Key"] for item in content_bucket.list_objects_v2(Bucket="sites")["Contents"]]
    assert keys and all(key.startswith(("game-zone/", RECORDS + "game-zone/")) for key in keys)
    page = content_bucket.get_object(Bucket="sites", Key="game-zone/index.html")["Body"].read().decode()
    assert "元旦快乐" in page
    saved = content_bucket.get_object(Bucket="content", Key="content/game-zone/landing.md")["Body"].read().decode()
    assert "元旦快乐" in saved
    assert deps.store.price_books.price_book("game-zone") is not None
