"""A station's unpaid-hold limits come from its station.yaml and reach its price book."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kameng.domain.price_book import UnpaidLimits
from kameng.sitegen import ContentError, build

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def content(tmp_path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(REPO / "content", root)
    return root


def add_to(content: Path, station: str, text: str) -> None:
    path = content / station / "station.yaml"
    path.write_text(path.read_text() + text)


def books(content: Path, tmp_path: Path) -> dict:
    return {b.station: b for b in build(content, tmp_path / "site", REPO / "templates").price_books}


def test_a_stations_unpaid_limits_reach_its_price_book_and_others_get_the_defaults(content, tmp_path):
    add_to(content, "game-zone", "unpaid_holds: {orders: 2, keys: 6}\n")
    built = books(content, tmp_path)
    assert built["game-zone"].unpaid_holds == UnpaidLimits(orders=2, keys=6)
    assert built["av-club"].unpaid_holds == UnpaidLimits() == UnpaidLimits(orders=3, keys=10)


def test_a_limit_below_one_names_the_file_and_the_field(content, tmp_path):
    add_to(content, "game-zone", "unpaid_holds: {orders: 0}\n")
    with pytest.raises(ContentError) as raised:
        books(content, tmp_path)
    assert "content/game-zone/station.yaml: unpaid_holds.orders:" in str(raised.value)
