"""A station's real-name rule comes from its station.yaml and reaches its price book, where checkout reads it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kameng.domain.real_name import RealNameRule
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


def test_a_stations_rule_reaches_its_price_book_in_minor_units_and_others_have_none(content, tmp_path):
    add_to(content, "game-zone", "real_name: {above: 500.00, products: [windows-11-pro]}\n")
    built = books(content, tmp_path)
    assert built["game-zone"].real_name == RealNameRule(above=50000, products=("windows-11-pro",))
    assert built["av-club"].real_name is None


def test_an_unknown_product_and_an_empty_rule_name_the_file_and_the_field(content, tmp_path):
    add_to(content, "game-zone", "real_name: {products: [no-such-product]}\n")
    add_to(content, "av-club", "real_name: {}\n")
    with pytest.raises(ContentError) as raised:
        books(content, tmp_path)
    assert "content/game-zone/station.yaml: real_name.products[0]: expected the id of a product" in str(raised.value)
    assert "content/av-club/station.yaml: real_name" in str(raised.value)


def test_the_account_page_carries_the_verification_form_in_the_stations_language(built) -> None:
    chinese, english = built.page("main/account/index.html"), built.page("en-shop/account/index.html")
    for element_id in ("account-real-name", "account-real-name-form", "account-real-name-status", "account-real-name-error"):
        assert f'id="{element_id}"' in chinese, element_id
    assert 'action="/api/account/real-name"' in chinese
    assert "实名认证" in chinese and "Real-name verification" in english
