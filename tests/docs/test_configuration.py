"""Every environment variable the functions read is documented in docs/configuration.md."""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NAME = re.compile(r"""["']((?:KAMENG|STRIPE)_[A-Z0-9_]+)["']""")


def test_every_variable_the_functions_read_is_documented():
    read = {name for source in (REPO / "functions").rglob("*.py") for name in NAME.findall(source.read_text())}
    documented = set(re.findall(r"`((?:KAMENG|STRIPE)_[A-Z0-9_]+)`", (REPO / "docs" / "configuration.md").read_text()))
    assert read, "no KAMENG_ or STRIPE_ variable found under functions/"
    assert read - documented == set(), "undocumented in docs/configuration.md"
