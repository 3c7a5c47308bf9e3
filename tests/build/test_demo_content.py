"""The demo catalogue in content/ builds cleanly with the default theme."""
from __future__ import annotations

from pathlib import Path

from kameng.sitegen import build
from tests.build.conftest import REPO, TEMPLATES


def test_the_demo_content_builds_every_station(tmp_path: Path) -> None:
    report = build(REPO / "content", tmp_path / "site", TEMPLATES)
    stations = sorted(path.name for path in (REPO / "content").iterdir() if (path / "station.yaml").is_file())
    assert sorted(report.stations) == stations
    for station in stations:
        assert (tmp_path / "site" / station / "index.html").is_file()
        assert (tmp_path / "site" / station / "sitemap.xml").is_file()
