"""A build of some stations: the console's publish of one station builds it on its own."""
from __future__ import annotations

from pathlib import Path

import pytest

from kameng.sitegen import ContentError, build

REPO = Path(__file__).resolve().parents[2]


def test_a_build_of_some_stations_writes_only_theirs(tmp_path):
    report = build(REPO / "content", tmp_path / "site", REPO / "templates", stations=["game-zone"])
    assert report.stations == ["game-zone"]
    assert [book.station for book in report.price_books] == ["game-zone"]
    folders = {p.name for p in (tmp_path / "site").iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}
    assert folders == {"game-zone"}


def test_a_build_of_an_unknown_station_is_a_content_error(tmp_path):
    with pytest.raises(ContentError) as error:
        build(REPO / "content", tmp_path / "site", REPO / "templates", stations=["nowhere"])
    assert error.value.messages == ["nowhere: station: expected the id of a station in content/ (got 'nowhere')"]
    assert not (tmp_path / "site").exists()
