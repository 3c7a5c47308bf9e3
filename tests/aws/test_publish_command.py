"""`kameng publish`: the owner's one command from a built site to S3, the store and CloudFront."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kameng import cli, wiring

REPO = Path(__file__).resolve().parents[2]


def built_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "--out", str(site), "--no-publish"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return site


def test_publish_uploads_every_station_and_publishes_its_price_book(publish_bucket, tmp_path):
    site = built_site(tmp_path)

    assert cli.main(["publish", "--bucket", "sites", "--site", str(site)]) == 0

    keys = {o["Key"] for o in publish_bucket.list_objects_v2(Bucket="sites", MaxKeys=1000)["Contents"]}
    assert {"game-zone/index.html", "main/p/qq-coin/index.html", "av-club/sitemap.xml"} <= keys
    assert not any(".price-books" in key or ".build-digest" in key for key in keys)
    assert wiring.deps().store.price_books.price_book("game-zone").line("qq-coin-10") is not None


def test_a_dry_run_changes_nothing(publish_bucket, tmp_path, capsys):
    site = built_site(tmp_path)

    assert cli.main(["publish", "--bucket", "sites", "--site", str(site), "--dry-run"]) == 0

    assert publish_bucket.list_objects_v2(Bucket="sites").get("KeyCount") == 0
    assert wiring.deps().store.price_books.price_book("game-zone") is None
    assert "would publish" in capsys.readouterr().out


def test_publishing_a_site_that_was_never_built_is_a_clear_error(publish_bucket, tmp_path, capsys):
    assert cli.main(["publish", "--bucket", "sites", "--site", str(tmp_path / "nothing")]) == 1
    assert "run the build first" in capsys.readouterr().err
