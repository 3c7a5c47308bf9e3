"""The station themes the page tests run on: every theme under templates/ but the console's pages."""
from __future__ import annotations

from tests.build.conftest import STATIONS, TEMPLATES, Project

THEMES = sorted(path.name for path in TEMPLATES.iterdir()
                if (path / "landing.html").is_file() or (path / "theme.yaml").is_file())


def use_theme(project: Project, theme: str) -> Project:
    """Every station of the test catalogue switched to `theme`, as an owner does with one line."""
    for station in STATIONS:
        path = project.content / station / "station.yaml"
        path.write_text(path.read_text(encoding="utf-8") + f"theme: {theme}\n", encoding="utf-8")
    return project
