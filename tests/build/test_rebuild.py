"""Same input, same bytes; an unchanged rebuild stops early; an edit rewrites only what shows it."""
from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from tests.build.conftest import Project, tree


def inodes(folder: Path) -> dict[str, int]:
    return {path.relative_to(folder).as_posix(): path.stat().st_ino for path in folder.rglob("*") if path.is_file()}


def test_building_twice_into_two_folders_gives_identical_trees(project: Project, tmp_path: Path) -> None:
    project.build(tmp_path / "first")
    project.build(tmp_path / "second")
    assert tree(tmp_path / "first") == tree(tmp_path / "second")


def test_a_rebuild_with_no_change_reports_up_to_date_and_writes_nothing(built: Project) -> None:
    before = inodes(built.site)
    report = built.build()
    assert report.up_to_date and report.files_written == 0
    assert report.stations == ["main", "en-shop", "game-zone"]
    assert inodes(built.site) == before


def test_a_changed_template_is_not_up_to_date(built: Project, tmp_path: Path) -> None:
    themes = tmp_path / "themes"
    shutil.copytree(built.templates, themes)
    (themes / "default/404.html").write_text((themes / "default/404.html").read_text().replace("<h1>", "<h1 class=x>"))
    built.templates = themes
    report = built.build()
    assert not report.up_to_date
    assert report.files_written == 3 + 1  # each station's 404.html, and the digest


def test_editing_one_product_rewrites_only_the_pages_that_show_it(built: Project) -> None:
    before = inodes(built.site)
    built.edit("main/products/qq-coin.md", "QQ 钱包可用。", "QQ 钱包与手机 QQ 均可使用。")
    report = built.build()
    after = inodes(built.site)
    changed = sorted(name for name in after if after[name] != before.get(name))
    assert changed == [".build-digest", "en-shop/p/qq-coin/index.html", "game-zone/p/qq-coin/index.html",
                       "main/p/qq-coin/index.html"]
    assert report.files_written == len(changed)
    assert "手机 QQ" in built.page("game-zone/p/qq-coin/index.html")


def test_a_first_build_reports_every_file_written_once(project: Project) -> None:
    report = project.build()
    files = [path for path in project.site.rglob("*") if path.is_file()]
    # Identical assets (app.js, a shared image) are written once and hard-linked into the other stations.
    distinct = {path.stat().st_ino for path in files}
    assert report.files_written == len(distinct)
    assert not report.up_to_date and report.pages == 37  # each station's /account/ and /search/ are among them


def test_building_on_several_cores_gives_the_same_bytes_as_on_one(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kameng.sitegen import parallel

    project.build(tmp_path / "one")
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 2)
    monkeypatch.setattr(parallel, "_workers", lambda items: 2)
    report = project.build(tmp_path / "two")
    assert tree(tmp_path / "one") == tree(tmp_path / "two")
    assert report.files_written == len({p.stat().st_ino for p in (tmp_path / "two").rglob("*") if p.is_file()})


def test_the_site_folder_gets_the_usual_permissions_not_a_temp_folders(built: Project) -> None:
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(built.site.stat().st_mode) == 0o777 & ~umask
