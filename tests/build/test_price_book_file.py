""".price-books.json and .build-digest hold a line per station, read one at a time: a thousand stations' books
and file lists never sit in memory together, and any JSON reader still takes the price books whole."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from kameng.sitegen.manifest import read_manifest
from kameng.sitegen.price_book_file import read_price_books
from tests.build.conftest import Project, book_of, tree
from tests.build.test_incremental import fresh_tree


def test_the_price_books_are_a_json_array_with_one_book_per_line(built: Project) -> None:
    text = (built.site / ".price-books.json").read_text("utf-8")
    whole = json.loads(text)
    lines = text.splitlines()
    assert (lines[0], lines[-1]) == ("[", "]") and len(lines) == len(whole) + 2
    assert [json.loads(line.rstrip(","))["station"] for line in lines[1:-1]] == [book["station"] for book in whole]
    books = read_price_books(built.site)
    assert books.stations == ["main", "en-shop", "game-zone"]
    assert [book.model_dump(mode="json") for book in books] == whole


def test_books_held_from_one_build_keep_their_prices_when_the_next_rewrites_the_file(built: Project) -> None:
    before = built.build(publish=lambda books: None).price_books
    price = book_of(before, "main").skus["qq-10"].price
    built.edit("main/products/qq-coin.md", "retail: 10.00", "retail: 11.00")
    after = built.build().price_books
    assert book_of(after, "main").skus["qq-10"].price == 1100
    assert book_of(before, "main").skus["qq-10"].price == price == 1000


def test_a_price_book_file_written_whole_is_read_too(built: Project) -> None:
    whole = json.loads((built.site / ".price-books.json").read_text("utf-8"))
    (built.site / ".price-books.json").write_text(json.dumps(whole, indent=2), "utf-8")
    assert [book.station for book in read_price_books(built.site)] == ["main", "en-shop", "game-zone"]


@pytest.mark.parametrize("text", ["{}", "[\n{\"not\": \"a book\"}\n]\n", "[\n", "not json"])
def test_a_damaged_price_book_file_is_refused(built: Project, text: str) -> None:
    (built.site / ".price-books.json").write_text(text, "utf-8")
    with pytest.raises(ValueError):
        list(read_price_books(built.site))


def test_a_station_not_planned_again_keeps_its_manifest_line_byte_for_byte(built: Project) -> None:
    before = _station_lines(built.site)
    built.edit("en-shop/landing.md", "Gift cards, delivered in seconds.", "Gift cards, in seconds.")
    report = built.build()
    after = _station_lines(built.site)
    assert report.planned == ["en-shop"]
    assert after["main"] == before["main"] and after["game-zone"] == before["game-zone"]
    assert after["en-shop"] != before["en-shop"]


def test_a_manifest_cut_short_makes_the_next_build_compare_every_page(built: Project, tmp_path: Path) -> None:
    path = built.site / ".build-digest"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])  # the last station's line, cut by a full disk
    built.edit("main/products/qq-coin.md", "QQ 钱包可用。", "QQ 钱包与手机 QQ 均可使用。")
    report = built.build()
    assert sorted(report.planned) == ["en-shop", "game-zone", "main"]
    assert tree(built.site) == fresh_tree(built, tmp_path)
    assert read_manifest(built.site) is not None


def _station_lines(site: Path) -> dict[str, bytes]:
    lines = site.joinpath(".build-digest").read_bytes().split(b"\n")[2:]
    return {json.loads(line)["station"]: line for line in lines if line}
