"""A rebuild plans only the stations whose inputs changed, and gives the site a fresh build gives.

Seven stations, each selling a different part of the catalogue: an edit to
one product must reach every station that sells it and leave the others'
files as they were (same inode, same mtime).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kameng.sitegen import pipeline
from kameng.sitegen.cdn_paths import EVERYTHING, invalidation_paths
from tests.build.conftest import Project, tree
from tests.build.test_incremental import BOOKKEEPING, changed, stats

EXTRA = {"shop-1": "[mobile, steam]", "shop-2": "[steam]", "shop-3": "all", "shop-4": "[qq-coin]"}
SELLING_MOBILE = ["en-shop", "main", "shop-1", "shop-3"]
ALL_STATIONS = ["en-shop", "game-zone", "main", "shop-1", "shop-2", "shop-3", "shop-4"]


@pytest.fixture
def stations(project: Project) -> Project:
    for station, sells in EXTRA.items():
        project.write(f"{station}/station.yaml", f"""
            kind: substation
            name: 分站 {station}
            domain: {station}.example.net
            currency: CNY
            sells: {sells}
            pricing:
              markup_percent: 5
            """)
        project.write(f"{station}/landing.md", f"""
            ---
            title: {station}
            ---
            欢迎。
            """)
    project.build()
    return project


def rebuild(project: Project, tmp_path: Path) -> tuple[list[str], list[str]]:
    """(stations planned, files changed on disk); asserts the site equals a fresh build's."""
    before = stats(project.site)
    report = project.build()
    touched = [path for path in changed(before, stats(project.site)) if path not in BOOKKEEPING]
    assert sorted(report.changed) == touched
    project.build(tmp_path / "fresh")
    assert tree(project.site) == tree(tmp_path / "fresh")
    return sorted(report.planned), touched


def stations_of(paths: list[str]) -> list[str]:
    return sorted({path.partition("/")[0] for path in paths})


def test_a_rebuild_with_nothing_changed_touches_nothing(stations: Project, tmp_path: Path) -> None:
    before = stats(stations.site)
    report = stations.build()
    assert report.up_to_date
    assert changed(before, stats(stations.site)) == []


def test_a_change_no_page_shows_plans_no_station(stations: Project, tmp_path: Path) -> None:
    stations.edit("shop-2/station.yaml", "kind: substation", "kind: substation  # 只卖 Steam")
    planned, touched = rebuild(stations, tmp_path)
    assert planned == []
    assert touched == []


def test_a_product_edit_rewrites_its_page_on_each_station_selling_it_and_nothing_else(
    stations: Project, tmp_path: Path
) -> None:
    stations.edit("main/products/mobile.md", "全国通用。", "全国通用，三网都能充。")
    planned, touched = rebuild(stations, tmp_path)
    assert planned == SELLING_MOBILE
    assert touched == [f"{station}/p/mobile/index.html" for station in SELLING_MOBILE]
    assert "三网都能充" in stations.page("shop-1/p/mobile/index.html")


def test_a_price_edit_reaches_the_lists_that_show_the_price_on_those_stations_only(
    stations: Project, tmp_path: Path
) -> None:
    stations.edit("main/products/mobile.md", "wholesale: 98", "wholesale: 97")
    stations.edit("main/products/mobile.md", "retail: 99.50", "retail: 99.80")
    planned, touched = rebuild(stations, tmp_path)
    assert planned == SELLING_MOBILE
    assert stations_of(touched) == SELLING_MOBILE
    assert "shop-1/p/mobile/index.html" in touched
    assert "shop-1/c/top-up/index.html" in touched
    assert "99.80" in stations.page("main/p/mobile/index.html")


def test_deleting_a_product_removes_its_pages_where_it_was_sold_and_leaves_the_rest(
    stations: Project, tmp_path: Path
) -> None:
    stations.edit("shop-1/station.yaml", "[mobile, steam]", "[steam]")
    stations.remove("main/products/mobile.md")
    planned, touched = rebuild(stations, tmp_path)
    assert planned == SELLING_MOBILE
    assert stations_of(touched) == SELLING_MOBILE
    assert not (stations.site / "shop-3/p/mobile").exists()


def test_a_theme_change_plans_every_station(stations: Project, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(stations.templates, templates)
    stations.templates = templates
    stations.build()
    footer = templates / "default" / "_footer.html"
    footer.write_text(footer.read_text("utf-8") + "\n{# 页脚 #}\n", "utf-8")
    report = stations.build()
    assert sorted(report.planned) == ALL_STATIONS


def test_a_station_whose_page_is_gone_is_planned_again_and_gets_it_back(stations: Project, tmp_path: Path) -> None:
    (stations.site / "shop-2/p/steam/index.html").unlink()
    stations.edit("main/products/mobile.md", "全国通用。", "全国通用！")
    planned, touched = rebuild(stations, tmp_path)
    assert "shop-2" in planned and "game-zone" not in planned
    assert "shop-2/p/steam/index.html" in touched


def test_building_some_stations_keeps_no_file_of_the_others(stations: Project, tmp_path: Path) -> None:
    from kameng.sitegen import build

    site = tmp_path / "some"
    build(stations.content, site, stations.templates, stations=["shop-2"])
    stations.edit("main/products/mobile.md", "全国通用。", "全国通用！")
    report = build(stations.content, site, stations.templates, stations=["shop-2"])
    assert report.planned == []
    assert sorted(path.name for path in site.iterdir() if not path.name.startswith(".")) == ["_console", "shop-2"]


def test_a_removed_station_loses_its_folder_and_the_others_keep_theirs(stations: Project, tmp_path: Path) -> None:
    shutil.rmtree(stations.content / "shop-4")
    planned, touched = rebuild(stations, tmp_path)
    assert "shop-4" not in planned
    assert not (stations.site / "shop-4").exists()
    assert stations_of([path for path in touched if not path.startswith("shop-4/")]) in ([], ["main"])


def test_stations_built_a_few_at_a_time_make_the_same_site(
    stations: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "STATIONS_AT_ONCE", 2)
    stations.build(tmp_path / "in-pairs")
    assert tree(tmp_path / "in-pairs") == tree(stations.site)
    script = list((tmp_path / "in-pairs").glob("*/assets/app.*.js"))
    # One theme file in every station: written once, linked into the others, across batches too.
    assert len(script) == len(ALL_STATIONS)
    assert len({path.stat().st_ino for path in script}) == 1
    stations.edit("main/products/mobile.md", "wholesale: 98", "wholesale: 97")
    stations.remove("shop-2/landing.md")
    stations.write("shop-2/landing.md", "---\ntitle: 新首页\n---\n欢迎光临。\n")
    planned, _ = rebuild(stations, tmp_path)
    assert planned == sorted({*SELLING_MOBILE, "shop-2"})


# --- the invalidation ----------------------------------------------------------


def test_the_invalidation_lists_each_changed_page_as_the_cache_knows_it() -> None:
    changed_paths = ["shop-1/p/mobile/index.html", "main/p/mobile/index.html", "shop-1/search.json",
                     "shop-1/assets/style.0123abcd.css"]
    assert invalidation_paths(changed_paths) == ("/main/p/mobile/index.html", "/shop-1/p/mobile/index.html")


def test_a_station_with_many_changed_pages_is_invalidated_by_one_wildcard() -> None:
    many = [f"shop-1/p/product-{number}/index.html" for number in range(101)]
    assert invalidation_paths([*many, "main/index.html"]) == ("/main/index.html", "/shop-1/*")


def test_an_invalidation_past_cloudfronts_limits_becomes_one_wildcard_for_everything() -> None:
    paths = [f"sub-{station}/p/x/index.html" for station in range(3001)]
    assert invalidation_paths(paths) == EVERYTHING
    wildcards = [f"sub-{station}/p/{number}/index.html" for station in range(16) for number in range(101)]
    assert invalidation_paths(wildcards) == EVERYTHING
    assert len(invalidation_paths(paths[:3000])) == 3000


def test_the_console_folder_is_not_mistaken_for_a_station_page_when_it_is_not_html() -> None:
    assert invalidation_paths(["_console/app.js", "robots.txt"]) == ()

