"""The owner console's static pages: built beside the stations into site/_console/, assets hashed."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from kameng.sitegen import ContentError
from tests.build.conftest import TEMPLATES, Project, tree
from tests.build.test_site_output import Elements

CONSOLE = TEMPLATES / "console"


def errors(project: Project) -> list[str]:
    with pytest.raises(ContentError) as raised:
        project.build()
    return raised.value.messages


def loaded(built: Project, page: str = "index.html") -> list[str]:
    elements = Elements(built.page(f"_console/{page}"))
    return [a["src"] for a in elements.all("script") if a.get("src")] + [
        a["href"] for a in elements.all("link") if a.get("href")]


def test_the_console_is_built_with_content_hashed_assets_that_its_pages_load(built: Project) -> None:
    urls = loaded(built)
    assert sorted(re.sub(r"\.[0-9a-f]{10}\.", ".#.", url) for url in urls) == [
        "/assets/audit.#.js", "/assets/console.#.css", "/assets/console.#.js", "/assets/content.#.js",
        "/assets/dashboard.#.js", "/assets/favicon.#.svg", "/assets/money.#.js", "/assets/orders.#.js", "/assets/stock.#.js",
        "/assets/tickets.#.js", "/assets/transfers.#.js", "/assets/uPlot.iife.min.#.js", "/assets/uPlot.min.#.css"]
    for url in urls:
        assert (built.site / "_console" / url.lstrip("/")).is_file(), url
    assert all("defer" in a for a in Elements(built.page("_console/index.html")).all("script"))
    assert (built.site / "_console/404.html").is_file()


def test_the_console_pages_have_no_inline_script_style_or_event_handler(built: Project) -> None:
    for page in ("index.html", "404.html"):
        elements = Elements(built.page(f"_console/{page}"))
        for tag, attributes in elements.tags:
            assert tag != "style" and "style" not in attributes, page
            assert not [a for a in attributes if a.startswith("on")], page
        assert all(attributes.get("src") for attributes, _ in elements.scripts), page


def test_the_console_scripts_never_write_html_from_data() -> None:
    for script in (CONSOLE / "static").glob("*.js"):
        text = script.read_text("utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in text, (script.name, sink)


def test_every_view_script_is_loaded_after_the_shell_and_registers_its_view(built: Project) -> None:
    scripts = [re.sub(r"\.[0-9a-f]{10}\.js$", ".js", url.rsplit("/", 1)[1]) for url in loaded(built) if url.endswith(".js")]
    views = sorted(path.name for path in (CONSOLE / "static").glob("*.js") if path.name != "console.js")
    assert scripts[:2] == ["uPlot.iife.min.js", "console.js"] and sorted(scripts[2:]) == views
    registered = [re.findall(r'register\("(\w+)"', (CONSOLE / "static" / name).read_text("utf-8")) for name in views]
    assert sorted(name for names in registered for name in names) == [
        "after_sales", "audit", "content", "dashboard", "money", "orders", "stock", "transfers"]


def test_the_content_preview_runs_no_script_and_has_no_origin() -> None:
    script = (CONSOLE / "static/content.js").read_text("utf-8")
    assert 'make("iframe", { id: "content-preview", sandbox: "",' in script
    assert "frame.srcdoc = " in script and "frame.src =" not in script


def test_the_vendored_chart_library_ships_with_its_licence(built: Project) -> None:
    licence = (CONSOLE / "vendor/uPlot.LICENSE").read_bytes()
    assert b"MIT License" in licence and b"Leon Sorokin" in licence
    assert (built.site / "_console/licenses/uPlot.txt").read_bytes() == licence
    script = next(u for u in loaded(built) if "uPlot.iife" in u)
    assert (built.site / "_console" / script.lstrip("/")).read_bytes() == (CONSOLE / "vendor/uPlot.iife.min.js").read_bytes()
    assert "1.6.32" in (CONSOLE / "vendor/uPlot.iife.min.js").read_text("utf-8")[:200]


def test_the_console_is_not_a_station(built: Project) -> None:
    assert built.build().stations == ["main", "en-shop", "game-zone"]
    assert not [p for p in (built.site / "_console").rglob("*price*")]


def test_an_edited_console_script_rewrites_the_script_and_the_pages_that_load_it_and_nothing_else(
    built: Project, tmp_path: Path
) -> None:
    before = tree(built.site)
    templates = tmp_path / "templates"
    shutil.copytree(built.templates, templates)
    script = templates / "console/static/dashboard.js"
    script.write_text(script.read_text("utf-8") + "\n// edited\n", "utf-8")
    built.templates = templates
    built.build()
    after = tree(built.site)
    changed = sorted(name for name in after.keys() | before.keys() if after.get(name) != before.get(name))
    assert [re.sub(r"\.[0-9a-f]{10}\.", ".#.", name) for name in changed] == [
        ".build-digest", "_console/assets/dashboard.#.js", "_console/assets/dashboard.#.js", "_console/index.html"]
    assert after["_console/index.html"] != before["_console/index.html"]


def test_a_station_folder_named_like_the_console_is_refused(project: Project) -> None:
    shutil.copytree(project.content / "en-shop", project.content / "_console")
    shutil.copytree(project.content / "game-zone", project.content / "console")
    assert errors(project) == [
        "content/_console: station id: expected a folder name of 2–32 lowercase letters, digits or '-'"
        " (got '_console')",
        "content/console: station id: expected another name: console.localhost is the owner console's address"
        " (got 'console')",
    ]


def test_a_station_cannot_use_the_console_as_its_theme(project: Project) -> None:
    project.edit("game-zone/station.yaml", "name:", "theme: console\nname:")
    assert errors(project) == [
        "content/game-zone/station.yaml: theme: expected a station theme, not the owner console's pages (got 'console')"
    ]
