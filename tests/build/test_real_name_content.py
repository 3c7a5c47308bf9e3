"""A station's real-name rule comes from its station.yaml and reaches its price book, where checkout reads it."""
from __future__ import annotations

import pytest

from kameng.domain.real_name import RealNameRule
from kameng.sitegen import ContentError
from tests.build.conftest import add_to_station as add_to, demo_books


def test_a_stations_rule_reaches_its_price_book_in_minor_units_and_others_have_none(demo_content, tmp_path):
    add_to(demo_content, "game-zone", "real_name: {above: 500.00, products: [windows-11-pro]}\n")
    built = demo_books(demo_content, tmp_path)
    assert built["game-zone"].real_name == RealNameRule(above=50000, products=("windows-11-pro",))
    assert built["av-club"].real_name is None


def test_an_unknown_product_and_an_empty_rule_name_the_file_and_the_field(demo_content, tmp_path):
    add_to(demo_content, "game-zone", "real_name: {products: [no-such-product]}\n")
    add_to(demo_content, "av-club", "real_name: {}\n")
    with pytest.raises(ContentError) as raised:
        demo_books(demo_content, tmp_path)
    assert "content/game-zone/station.yaml: real_name.products[0]: expected the id of a product" in str(raised.value)
    assert "content/av-club/station.yaml: real_name" in str(raised.value)


def test_the_account_page_carries_the_verification_form_in_the_stations_language(built) -> None:
    chinese, english = built.page("main/account/index.html"), built.page("en-shop/account/index.html")
    for element_id in ("account-real-name", "account-real-name-form", "account-real-name-status", "account-real-name-error"):
        assert f'id="{element_id}"' in chinese, element_id
    assert 'action="/api/account/real-name"' in chinese
    assert "实名认证" in chinese and "Real-name verification" in english
