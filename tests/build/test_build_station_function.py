"""The fan-out's function: which stations a Map state's event names, and a clear refusal otherwise."""
from __future__ import annotations

import pytest

from kameng.domain.errors import InvalidRequest
from kameng.handlers import build_station


def test_a_batch_of_the_map_state_names_its_stations_in_order() -> None:
    event = {"Items": [{"station": "sub-02"}, {"station": "main"}]}
    assert build_station._stations(event) == ["sub-02", "main"]


def test_one_item_names_one_station() -> None:
    assert build_station._stations({"station": "game-zone"}) == ["game-zone"]


@pytest.mark.parametrize("event", [{}, {"station": ""}, {"Items": []}, {"Items": [{"station": 3}]}, ["main"]])
def test_an_event_without_stations_is_refused_before_anything_is_read(event) -> None:
    with pytest.raises(InvalidRequest, match="station"):
        build_station.handler(event)
