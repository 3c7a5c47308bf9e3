"""The default theme's string tables and static files."""
from __future__ import annotations

import yaml

from tests.build.conftest import TEMPLATES


def test_every_language_has_every_ui_string() -> None:
    tables = yaml.safe_load((TEMPLATES / "default/strings.yaml").read_text("utf-8"))
    assert set(tables) == {"zh-CN", "en"}
    assert set(tables["zh-CN"]) == set(tables["en"])


def test_the_script_never_writes_html_from_data() -> None:
    script = (TEMPLATES / "default/static/app.js").read_text("utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script
