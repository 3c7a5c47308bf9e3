"""Rebuilds render only what changed, write it file by file, and undo it all when writing fails.

The render cache is only sound if a rebuild gives exactly the site a fresh
build gives: every edit below is built both ways and the trees compared.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from kameng.sitegen import ContentError, parallel
from tests.build.conftest import REPO, SVG, Project, tree

BOOKKEEPING = {".build-digest", ".price-books.json"}


def stats(folder: Path) -> dict[str, tuple[int, int]]:
    """relative path → (inode, mtime) of every file."""
    found = {}
    for path in folder.rglob("*"):
        if path.is_file():
            status = path.stat()
            found[path.relative_to(folder).as_posix()] = (status.st_ino, status.st_mtime_ns)
    return found


def changed(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def leftovers(project: Project) -> list[str]:
    """Hidden folders beside the site: what a build works in, and must remove when it ends."""
    return sorted(p.name for p in project.root.iterdir() if p.name.startswith("."))


def fresh_tree(project: Project, tmp_path: Path, name: str = "fresh") -> dict[str, bytes]:
    project.build(tmp_path / name)
    return tree(tmp_path / name)


# --- the render cache ---------------------------------------------------------


def _replace(relative: str, old: str, new: str) -> Callable[[Project], None]:
    return lambda project: project.edit(relative, old, new)


def _new_product(project: Project) -> None:
    project.write("main/products/netease.md", """
        ---
        title: 网易一卡通
        category: game-cards
        sort: 15
        skus:
          - id: netease-15
            name: 15 元
            face_value: 15
            wholesale: 14
            retail: 15
        ---
        网易游戏通用。
        """)


def _new_page(project: Project) -> None:
    project.write("game-zone/pages/faq.md", "---\ntitle: 小站问答\n---\n问：发货快吗？答：很快。\n")


def _changed_image(project: Project) -> None:
    (project.content / "main/images/steam.svg").write_text(SVG.format("#000000"))


def _changed_template(project: Project) -> None:
    themes = project.root / "themes"
    shutil.copytree(project.templates, themes)
    page = themes / "default/_footer.html"
    page.write_text(page.read_text(encoding="utf-8") + "<!-- changed -->\n", encoding="utf-8")
    project.templates = themes


EDITS: dict[str, Callable[[Project], None]] = {
    "product description": _replace("main/products/qq-coin.md", "QQ 钱包可用。", "QQ 钱包与手机 QQ 均可使用。"),
    "product title (shown on cards)": _replace("main/products/qq-coin.md", "title: Q 币", "title: 腾讯 Q 币"),
    "product summary (shown on cards)": _replace("main/products/qq-coin.md", "腾讯 Q 币直充卡密", "Q 币卡密，秒到"),
    "retail price (main's price)": _replace("main/products/qq-coin.md", "retail: 10.00", "retail: 10.50"),
    "wholesale price (substations' markup)": _replace("main/products/mobile.md", "wholesale: 98", "wholesale: 97"),
    "sort order (card order)": _replace("main/products/qq-coin.md", "sort: 20", "sort: 5"),
    "category of a product": _replace("main/products/mobile.md", "category: top-up", "category: game-cards"),
    "category name": _replace("main/station.yaml", "name: 话费充值", "name: 手机话费"),
    "a product added": _new_product,
    "a product removed": lambda project: project.remove("main/products/mobile.md"),
    "an image's bytes": _changed_image,
    "a substation's markup": _replace("game-zone/station.yaml", "markup_percent: 8", "markup_percent: 9"),
    "a substation's fixed price": _replace("game-zone/station.yaml", "steam-cny-100: 99.00", "steam-cny-100: 98.00"),
    "a substation's selection": _replace("game-zone/station.yaml", "sells: [steam, qq-coin]", "sells: [steam]"),
    "a station's colour": _replace("game-zone/station.yaml", '"#0a7d32"', '"#0a7d33"'),
    "a station's name": _replace("en-shop/station.yaml", "name: Card Corner", "name: Card Nook"),
    "a station's language": _replace("en-shop/station.yaml", "language: en", "language: zh-CN"),
    "the landing page": _replace("game-zone/landing.md", "玩家自己的小站。", "玩家自己的小站，欢迎光临。"),
    "an inherited page": _replace("main/pages/terms.md", "虚拟商品售出不退。", "虚拟商品一经售出，不退不换。"),
    "a page added": _new_page,
    "the theme": _changed_template,
}


@pytest.mark.parametrize("edit", list(EDITS), ids=list(EDITS))
def test_a_rebuild_after_an_edit_gives_exactly_the_fresh_build(built: Project, tmp_path: Path, edit: str) -> None:
    EDITS[edit](built)
    report = built.build()
    assert not report.up_to_date
    assert tree(built.site) == fresh_tree(built, tmp_path)
    assert leftovers(built) == []


def test_edits_built_one_after_another_keep_matching_a_fresh_build(built: Project, tmp_path: Path) -> None:
    for index, edit in enumerate(EDITS):
        EDITS[edit](built)
        built.build()
        assert tree(built.site) == fresh_tree(built, tmp_path, f"fresh-{index}"), edit


def test_editing_a_description_rewrites_its_pages_and_no_other_file_changes_inode_or_mtime(built: Project) -> None:
    before = stats(built.site)
    built.edit("main/products/qq-coin.md", "QQ 钱包可用。", "QQ 钱包与手机 QQ 均可使用。")
    report = built.build()
    pages = ["en-shop/p/qq-coin/index.html", "game-zone/p/qq-coin/index.html", "main/p/qq-coin/index.html"]
    assert changed(before, stats(built.site)) == [".build-digest", *pages]
    assert report.files_written == len(pages) + 1


def test_editing_a_title_rewrites_the_pages_that_show_its_card_too(built: Project) -> None:
    before = stats(built.site)
    built.edit("main/products/qq-coin.md", "title: Q 币", "title: 腾讯 Q 币")
    built.build()
    shown_on = [
        f"{station}/{page}"
        for station in ("en-shop", "game-zone", "main")
        for page in ("c/game-cards/index.html", "index.html", "p/qq-coin/index.html", "search/index.html", "search.json")
    ]
    # The price books hold each SKU's title, so they change too.
    assert changed(before, stats(built.site)) == sorted([*BOOKKEEPING, *shown_on])


def test_a_page_is_rendered_only_when_its_fingerprint_changes(
    built: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kameng.sitegen.theme import Theme

    rendered: list[tuple[str, str | None]] = []
    render = Theme.render

    def spy(self: Theme, template: str, context: dict[str, object]) -> bytes:
        rendered.append((template, context.get("path")))  # type: ignore[arg-type]
        return render(self, template, context)

    monkeypatch.setattr(Theme, "render", spy)
    built.edit("main/products/qq-coin.md", "QQ 钱包可用。", "QQ 钱包与手机 QQ 均可使用。")
    built.build()
    assert rendered == [("product", "/p/qq-coin/")] * 3


def test_a_file_deleted_from_the_site_is_written_again_by_the_next_build(built: Project) -> None:
    (built.site / "main/p/steam/index.html").unlink()
    shutil.rmtree(built.site / "game-zone/assets")
    built.edit("main/products/qq-coin.md", "QQ 钱包可用。", "QQ 钱包与手机 QQ 均可使用。")
    built.build()
    assert (built.site / "main/p/steam/index.html").is_file()
    assert tree(built.site) == fresh_tree(built, built.root)


def test_a_removed_product_takes_its_pages_and_their_folders_with_it(built: Project) -> None:
    built.remove("main/products/mobile.md")
    built.build()
    assert not (built.site / "main/p/mobile").exists() and not (built.site / "en-shop/p/mobile").exists()
    assert not (built.site / "main/c/top-up").exists()
    assert sorted(p.name for p in (built.site / "main/p").iterdir()) == ["qq-coin", "steam"]


def test_a_removed_station_takes_its_folder_with_it(built: Project) -> None:
    shutil.rmtree(built.content / "en-shop")
    built.build()
    assert sorted(p.name for p in built.site.iterdir()) == [*sorted(BOOKKEEPING), "_console", "game-zone", "main"]


def test_a_site_without_a_readable_manifest_is_brought_exactly_to_the_build(built: Project, tmp_path: Path) -> None:
    # An older build's digest file, a stray file: every page is compared, what is not built is deleted.
    (built.site / ".build-digest").write_text("0" * 64)
    (built.site / "main/stray.html").write_text("not built")
    before = stats(built.site)
    built.edit("main/products/qq-coin.md", "QQ 钱包可用。", "QQ 钱包与手机 QQ 均可使用。")
    built.build()
    assert tree(built.site) == fresh_tree(built, tmp_path)
    unchanged = before.keys() - {".build-digest", "main/stray.html"} - {
        f"{station}/p/qq-coin/index.html" for station in ("main", "game-zone", "en-shop")
    }
    after = stats(built.site)
    assert {name: after[name] for name in unchanged} == {name: before[name] for name in unchanged}


def test_content_errors_are_found_even_when_every_text_is_cached(built: Project) -> None:
    # The product's text did not change, but the image its Markdown shows is gone.
    (built.content / "main/images/steam.svg").unlink()
    before = tree(built.site)
    with pytest.raises(ContentError) as raised:
        built.build()
    assert sorted(raised.value.messages) == [
        "content/main/products/steam.md: description: expected images to be files in content/main/images/"
        " (got 'steam.svg')",
        "content/main/products/steam.md: images[0]: expected a file in content/main/images/ (got 'steam.svg')",
    ]
    assert tree(built.site) == before


def test_a_yaml_mistake_is_reported_on_every_build(built: Project) -> None:
    built.edit("main/products/qq-coin.md", "sort: 20", "sort: 20\nsort: 21")
    for _ in range(2):
        with pytest.raises(ContentError, match="qq-coin.md: line 6: invalid YAML: duplicate key 'sort'"):
            built.build()


def test_a_theme_change_rendered_on_several_cores_rewrites_only_the_pages_it_changes(
    built: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 2)
    monkeypatch.setattr(parallel, "_workers", lambda items: 2)
    before = stats(built.site)
    themes = tmp_path / "themes"
    shutil.copytree(built.templates, themes)
    (themes / "default/404.html").write_text((themes / "default/404.html").read_text().replace("<h1>", "<h1 class=x>"))
    built.templates = themes
    report = built.build()
    assert changed(before, stats(built.site)) == [".build-digest", "en-shop/404.html", "game-zone/404.html",
                                                  "main/404.html"]
    assert report.files_written == 4
    assert tree(built.site) == fresh_tree(built, tmp_path)


def test_a_build_into_an_empty_site_folder_writes_everything(project: Project, tmp_path: Path) -> None:
    project.site.mkdir()
    report = project.build()
    assert tree(project.site) == fresh_tree(project, tmp_path)
    assert report.files_written == len({p.stat().st_ino for p in project.site.rglob("*") if p.is_file()})
    assert leftovers(project) == []


# --- failures while writing ---------------------------------------------------


def _big_edit(project: Project) -> None:
    """An edit that replaces, creates (with new folders) and deletes files."""
    project.edit("main/products/qq-coin.md", "title: Q 币", "title: 腾讯 Q 币")
    project.remove("main/products/mobile.md")
    _new_product(project)


def _fail_after(calls: int, real: Callable[..., object], error: BaseException) -> Callable[..., object]:
    count = 0

    def failing(*args: object, **kwargs: object) -> object:
        nonlocal count
        count += 1
        if count > calls:
            raise error
        return real(*args, **kwargs)

    return failing


@pytest.mark.parametrize("calls", [0, 1, 5, 12, 20])
def test_a_write_that_fails_midway_restores_the_previous_site_exactly(
    built: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls: int
) -> None:
    before, before_stats = tree(built.site), stats(built.site)
    _big_edit(built)
    monkeypatch.setattr(os, "replace", _fail_after(calls, os.replace, OSError(28, "No space left on device")))
    with pytest.raises(OSError, match="No space left"):
        built.build()
    assert tree(built.site) == before
    assert stats(built.site) == before_stats  # the very same files: inodes and times
    assert leftovers(built) == []
    monkeypatch.undo()
    built.build()
    assert tree(built.site) == fresh_tree(built, tmp_path)


def test_an_interrupt_while_writing_is_undone_too(built: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    before = tree(built.site)
    _big_edit(built)
    monkeypatch.setattr(os, "replace", _fail_after(3, os.replace, KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        built.build()
    assert tree(built.site) == before and leftovers(built) == []


def test_a_failed_delete_restores_the_previous_site(built: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    before_stats = stats(built.site)
    _big_edit(built)
    from kameng.sitegen import write

    real_rmdir = os.rmdir

    def rmdir(path: object, *args: object, **kwargs: object) -> None:
        if str(path).startswith(str(built.site) + "/"):
            raise PermissionError(13, "Permission denied")
        real_rmdir(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(write.os, "rmdir", rmdir)
    with pytest.raises(PermissionError):
        built.build()
    assert stats(built.site) == before_stats and leftovers(built) == []


def test_a_first_build_that_fails_while_writing_leaves_no_site_and_no_temp_folder(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kameng.sitegen import write

    monkeypatch.setattr(write, "_write_new", _fail_after(10, write._write_new, OSError(5, "Input/output error")))
    with pytest.raises(OSError, match="Input/output error"):
        project.build()
    assert not project.site.exists() and leftovers(project) == []


def test_when_the_undo_fails_too_the_next_build_finishes_it(built: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    before, before_stats = tree(built.site), stats(built.site)
    _big_edit(built)
    # os.rename moves deleted files aside and undoes every step: failing, it leaves the site half changed.
    monkeypatch.setattr(os, "rename", _fail_after(1, os.rename, OSError(5, "Input/output error")))
    with pytest.raises(OSError):
        built.build()
    assert leftovers(built) != []  # the journal of what to undo
    monkeypatch.undo()
    built.edit("main/products/steam.md", 'retail: "102.00"', "retail: 90")  # this build fails validation
    with pytest.raises(ContentError):
        built.build()
    assert tree(built.site) == before and stats(built.site) == before_stats
    assert leftovers(built) == []


KILLED_BUILD = """
import os, sys
sys.path.insert(0, {functions!r})
from pathlib import Path
from kameng.sitegen import build
calls = 0
real = os.replace
def replace(*args, **kwargs):
    global calls
    calls += 1
    if calls > {calls}:
        os._exit(9)  # as if killed: no exception, no cleanup
    return real(*args, **kwargs)
os.replace = replace
build(Path({content!r}), Path({site!r}), Path({templates!r}))
"""


@pytest.mark.parametrize("calls", [0, 4, 15])
def test_a_build_killed_while_writing_is_rolled_back_by_the_next_build(built: Project, calls: int) -> None:
    before, before_stats = tree(built.site), stats(built.site)
    _big_edit(built)
    script = KILLED_BUILD.format(functions=str(REPO / "functions"), calls=calls, content=str(built.content),
                                 site=str(built.site), templates=str(built.templates))
    killed = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=REPO)
    assert killed.returncode == 9
    assert leftovers(built) != []
    built.edit("main/products/steam.md", 'retail: "102.00"', "retail: 90")  # this build fails validation
    with pytest.raises(ContentError):
        built.build()
    assert tree(built.site) == before and stats(built.site) == before_stats
    assert leftovers(built) == []


def test_the_folder_of_a_build_that_is_still_running_is_left_alone(built: Project) -> None:
    from kameng.sitegen.write import SiteWriter, recover

    before = tree(built.site)
    with SiteWriter(built.site) as running:
        running.put("main/extra.txt", b"written by the running build")
        recover(built.site)  # what another build does first
        assert running.work.is_dir() and (built.site / "main/extra.txt").is_file()
    assert leftovers(built) == []
    assert tree(built.site) == {**before, "main/extra.txt": b"written by the running build"}
