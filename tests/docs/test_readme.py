"""The documentation's examples are real: each quoted file is the file, and the commands it names exist.

Content examples live beside the reference they illustrate (docs/content.md); the README is the map
that names the two commands and links to those pages.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
EXAMPLE = re.compile(r"<!-- example: (\S+) -->\n```\w*\n(.*?)```", flags=re.S)
EXAMPLES = [(page.relative_to(REPO).as_posix(), path, quoted)
            for page in PAGES for path, quoted in EXAMPLE.findall(page.read_text())]


def test_the_documentation_quotes_real_content_files():
    assert EXAMPLES, "no page of the documentation shows a content example"
    quoted = {path for _, path, _ in EXAMPLES}
    assert any(path.startswith("content/main/products/") for path in quoted), "no product file is quoted"
    assert any(path.endswith("/station.yaml") for path in quoted), "no station file is quoted"


@pytest.mark.parametrize("page,path,quoted", EXAMPLES, ids=[f"{page}:{path}" for page, path, _ in EXAMPLES])
def test_each_quoted_example_is_the_file_as_it_is(page, path, quoted):
    assert (REPO / path).read_text() == quoted, f"{page} quotes {path}, which now reads otherwise"


def test_the_quoted_examples_build(tmp_path):
    built = subprocess.run([sys.executable, str(REPO / "build.py"), "--out", str(tmp_path / "site"), "--no-publish"],
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    for _, path, _ in EXAMPLES:
        station = Path(path).parts[1]
        assert (tmp_path / "site" / station / "index.html").is_file()


def test_the_two_commands_are_make_targets():
    makefile = (REPO / "Makefile").read_text()
    assert "make serve" in README and "make test" in README
    assert re.search(r"^serve:", makefile, flags=re.M) and re.search(r"^test:", makefile, flags=re.M)


def test_ci_runs_the_readme_test_command():
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_the_readme_is_a_map_that_links_the_reference_pages():
    assert len(README.encode()) <= 20 * 1024, "the README is a map; references belong in docs/"
    linked = set(re.findall(r"\]\((docs/[^)#\s]+\.md)(?:#[^)]*)?\)", README))
    assert len(linked) >= 3, f"the README links only {sorted(linked)}"


def test_the_readme_lists_every_dependency_with_its_reason():
    section = README.split("## Dependencies", 1)[1]
    listed = {name.strip().lower() for row in re.findall(r"^\| ([^|]+) \| [^|]+ \|$", section, flags=re.M)
              for name in row.split(",")} - {"package", "---"}
    required = set()
    for file in ("requirements.txt", "requirements-dev.txt"):
        for line in (REPO / file).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-"):
                required.add(re.split(r"[\[<>=!~; ]", line, maxsplit=1)[0].lower().replace("_", "-"))
    assert required - listed == set(), "each dependency is named in the README with why it is used"
