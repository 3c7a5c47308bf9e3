"""A theme that extends another: its own files win, the rest come from the parent, and a change to either rebuilds."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from kameng.sitegen import ContentError
from kameng.sitegen.theme import Theme
from tests.build.conftest import TEMPLATES, Project
from tests.build.test_contrast import contrast
from tests.build.test_site_output import Elements
from tests.build.themes import THEMES, use_theme


@pytest.fixture
def themed(project: Project, tmp_path: Path) -> Project:
    """A copy of the real themes plus `child`, which extends default and changes a little of it."""
    themes = tmp_path / "themes"
    shutil.copytree(TEMPLATES, themes)
    child = themes / "child"
    (child / "static").mkdir(parents=True)
    (child / "theme.yaml").write_text("extends: default\n")
    (child / "_footer.html").write_text('<footer class="child-footer">{{ t.support }}</footer>\n')
    strings = {"zh-CN": {"support": "联系小站"}, "en": {"support": "Write to us"}}
    (child / "strings.yaml").write_text(yaml.safe_dump(strings, allow_unicode=True))
    (child / "static/theme.css").write_text(".child{color:#1f2328}\n")
    project.templates = themes
    return use_theme(project, "child")


def errors(project: Project) -> list[str]:
    with pytest.raises(ContentError) as raised:
        project.build()
    return raised.value.messages


def stylesheets(project: Project, page: str) -> dict[str, str]:
    """Each stylesheet the page loads, in order, by its unhashed name."""
    station = page.split("/", 1)[0]
    hrefs = [a["href"] or "" for a in Elements(project.page(page)).all("link") if a.get("rel") == "stylesheet"]
    return {re.sub(r"^/assets/|\.[0-9a-f]{10}(?=\.css$)", "", href): (project.site / station / href.lstrip("/")).read_text()
            for href in hrefs}


def test_the_childs_own_template_wins_and_the_parents_fill_the_rest(themed: Project) -> None:
    themed.build()
    page = themed.page("main/p/steam/index.html")
    assert '<footer class="child-footer">' in page and 'class="site-footer"' not in page
    # The product page, header and buy form are the parent's, unchanged.
    assert 'id="buy-form"' in page and 'class="site-header"' in page


def test_strings_merge_per_language_the_childs_win(themed: Project) -> None:
    themed.build()
    parent = yaml.safe_load((TEMPLATES / "default/strings.yaml").read_text("utf-8"))
    zh, en = themed.page("main/index.html"), themed.page("en-shop/index.html")
    assert "联系小站" in zh and "Write to us" in en
    # A string the child does not name is the parent's, in the station's language.
    assert parent["zh-CN"]["order_title"] in zh and parent["en"]["order_title"] in en


def test_the_parents_stylesheet_comes_first_and_the_childs_layer_after_it(themed: Project) -> None:
    themed.build()
    loaded = stylesheets(themed, "game-zone/index.html")
    # The station's colours still come with the parent's stylesheet, which the layer builds on.
    assert list(loaded)[:2] == ["style.css", "theme.css"]
    assert "--primary:#0a7d32;" in loaded["style.css"] and ".site-header" in loaded["style.css"]
    assert loaded["theme.css"] == ".child{color:#1f2328}\n"


def test_a_station_on_the_default_theme_loads_only_its_stylesheet(built: Project) -> None:
    assert "theme.css" not in stylesheets(built, "main/index.html")


def test_a_change_to_the_parent_theme_rebuilds_the_childs_pages(themed: Project) -> None:
    themed.build()
    header = themed.templates / "default/_header.html"
    header.write_text(header.read_text().replace('<header class="site-header">', '<header class="site-header fixed">'))
    report = themed.build()
    assert not report.up_to_date
    assert '<header class="site-header fixed">' in themed.page("main/p/steam/index.html")
    assert '<header class="site-header fixed">' in themed.page("game-zone/index.html")


def test_a_change_to_the_parents_stylesheet_reaches_the_childs_stations(themed: Project) -> None:
    themed.build()
    style = themed.templates / "default/static/style.css"
    style.write_text(style.read_text() + ".fixed-focus{outline:2px solid}\n")
    themed.build()
    assert ".fixed-focus{outline:2px solid}" in stylesheets(themed, "main/index.html")["style.css"]


def test_extending_a_missing_theme_is_a_content_error_naming_the_theme_file(themed: Project) -> None:
    (themed.templates / "child/theme.yaml").write_text("extends: defualt\n")
    assert errors(themed) == ["themes/child/theme.yaml: extends: expected a folder under themes/ (got 'defualt')"]


def test_a_theme_that_extends_itself_is_a_content_error(themed: Project) -> None:
    (themed.templates / "child/theme.yaml").write_text("extends: child\n")
    (message,) = errors(themed)
    assert message.startswith("themes/child/theme.yaml: extends: expected a theme that does not lead back to itself")


def test_themes_extending_each_other_in_a_circle_are_a_content_error(themed: Project) -> None:
    (themed.templates / "default/theme.yaml").write_text("extends: child\n")
    (message,) = errors(themed)
    assert re.match(r"themes/default/theme\.yaml: extends: .*child → default.* \(got 'child'\)", message)


def test_a_theme_file_with_anything_but_extends_is_a_content_error(themed: Project) -> None:
    (themed.templates / "child/theme.yaml").write_text("extend: default\n")
    assert errors(themed) == ["themes/child/theme.yaml: file: expected only `extends: <theme>` (got {'extend': 'default'})"]


@pytest.mark.parametrize("name", THEMES)
def test_every_theme_has_every_ui_string_in_both_languages(name: str) -> None:
    strings = Theme(TEMPLATES / name).strings
    assert set(strings) == {"zh-CN", "en"}
    assert set(strings["zh-CN"]) == set(strings["en"])


def test_every_text_colour_paper_sets_reads_at_4_5_to_1_on_its_backgrounds() -> None:
    css = "".join(path.read_text() for path in sorted((TEMPLATES / "paper/static").glob("*.css")))
    backgrounds = set(re.findall(r"background:(#[0-9a-f]{3,6})", css))
    texts = set(re.findall(r"(?<![-\w])color:(#[0-9a-f]{3,6})", css))
    assert backgrounds == {"#fff", "#fafaf7"} and texts
    assert all(contrast(text, background) >= 4.5 for text in texts for background in backgrounds), (texts, backgrounds)
