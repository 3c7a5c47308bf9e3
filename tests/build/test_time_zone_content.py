"""A station's `time_zone`: carried in its price book for the statistics, checked as an IANA zone."""
from __future__ import annotations

import pytest

from kameng.domain.price_book import PriceBook
from kameng.sitegen import ContentError
from tests.build.conftest import Project, book_of


def published(project: Project) -> list[PriceBook]:
    calls: list[list[PriceBook]] = []
    project.build(publish=calls.append)
    return calls[0]


def test_a_station_without_a_time_zone_counts_in_shanghai_and_keeps_its_book_version(project: Project) -> None:
    book = book_of(published(project), "game-zone")
    assert book.time_zone == "Asia/Shanghai"
    assert book.version == PriceBook.model_validate(
        {k: v for k, v in book.model_dump().items() if k != "time_zone"}).version


def test_a_station_names_its_time_zone(project: Project) -> None:
    project.edit("game-zone/station.yaml", "currency: CNY\n", "currency: CNY\ntime_zone: Europe/London\n")
    book = book_of(published(project), "game-zone")
    assert book.time_zone == "Europe/London"
    assert book.version != book.model_copy(update={"time_zone": "Asia/Shanghai"}).version


def test_an_unknown_time_zone_is_a_content_error(project: Project) -> None:
    project.edit("game-zone/station.yaml", "currency: CNY\n", "currency: CNY\ntime_zone: Mars/Olympus\n")
    with pytest.raises(ContentError) as raised:
        project.build()
    assert raised.value.messages == [
        "content/game-zone/station.yaml: time_zone: expected an IANA time zone like Asia/Shanghai or "
        "Europe/London (got 'Mars/Olympus')"]
