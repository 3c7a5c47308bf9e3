"""A station's unpaid-hold limits come from its station.yaml and reach its price book."""
from __future__ import annotations

import pytest

from kameng.domain.price_book import UnpaidLimits
from kameng.sitegen import ContentError
from tests.build.conftest import add_to_station as add_to, demo_books


def test_a_stations_unpaid_limits_reach_its_price_book_and_others_get_the_defaults(demo_content, tmp_path):
    add_to(demo_content, "game-zone", "unpaid_holds: {orders: 2, keys: 6}\n")
    built = demo_books(demo_content, tmp_path)
    assert built["game-zone"].unpaid_holds == UnpaidLimits(orders=2, keys=6)
    assert built["av-club"].unpaid_holds == UnpaidLimits() == UnpaidLimits(orders=3, keys=10)


def test_a_limit_below_one_names_the_file_and_the_field(demo_content, tmp_path):
    add_to(demo_content, "game-zone", "unpaid_holds: {orders: 0}\n")
    with pytest.raises(ContentError) as raised:
        demo_books(demo_content, tmp_path)
    assert "content/game-zone/station.yaml: unpaid_holds.orders:" in str(raised.value)
