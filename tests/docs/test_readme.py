"""The README's examples are real: each quoted file is the file, and the commands it names exist."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()
EXAMPLES = re.findall(r"<!-- example: (\S+) -->\n```\w*\n(.*?)```", README, flags=re.S)


def test_the_readme_quotes_real_content_files():
    assert EXAMPLES, "the README shows no content example"


@pytest.mark.parametrize("path,quoted", EXAMPLES, ids=[path for path, _ in EXAMPLES])
def test_each_quoted_example_is_the_file_as_it_is(path, quoted):
    assert (REPO / path).read_text() == quoted


def test_the_quoted_examples_build(tmp_path):
    built = subprocess.run([sys.executable, str(REPO / "build.py"), "--out", str(tmp_path / "site"), "--no-publish"],
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    for path, _ in EXAMPLES:
        station = Path(path).parts[1]
        assert (tmp_path / "site" / station / "index.html").is_file()


def test_the_two_commands_are_make_targets():
    makefile = (REPO / "Makefile").read_text()
    assert "make serve" in README and "make test" in README
    assert re.search(r"^serve:", makefile, flags=re.M) and re.search(r"^test:", makefile, flags=re.M)


def test_ci_runs_the_readme_test_command():
    assert "make test" in (REPO / ".ci" / "run").read_text()
