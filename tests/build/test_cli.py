"""build.py: exit 0 with a one-line summary, or exit 1 with every content error on stderr."""
from __future__ import annotations

import subprocess
import sys

from tests.build.conftest import REPO, Project


def run(project: Project) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "build.py"), "--content", str(project.content), "--out", str(project.site),
         "--templates", str(project.templates), "--no-publish"],
        capture_output=True, text=True, timeout=60,
    )


def test_a_good_catalogue_exits_0_with_a_summary_line(project: Project) -> None:
    result = run(project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("built 3 stations, 37 pages, ")
    assert (project.site / "main/index.html").is_file()


def test_an_unchanged_catalogue_says_up_to_date(project: Project) -> None:
    run(project)
    assert run(project).stdout.startswith("up to date: 3 stations")


def test_bad_content_exits_1_and_prints_every_error(project: Project) -> None:
    project.edit("main/products/mobile.md", "category: top-up", "category: topup")
    project.edit("en-shop/station.yaml", "language: en", "language: fr")
    result = run(project)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "content/main/products/mobile.md: category: expected one of game-cards, top-up, empty (got 'topup')",
        "content/en-shop/station.yaml: language: expected 'zh-CN' or 'en' (got 'fr')",
        f"2 content error(s); {project.site} was left unchanged",
    ]
    assert not project.site.exists()
