"""What the deployed functions import is what `sam build` installs: functions/requirements.txt names every
third-party package the shipped code imports (at the top or inside a function), pinned as requirements.txt
pins it. A package missing there would deploy and fail only when its path first runs: a delivery mail, a
console publish."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "functions" / "kameng"
# Run on an owner's machine or the local server only, never in Lambda.
NOT_SHIPPED = {"local", "cli"}
# The Lambda Python runtime provides these.
IN_THE_RUNTIME = {"boto3", "botocore"}
# Import name -> distribution, where they differ; markupsafe comes with jinja2.
DISTRIBUTION = {"yaml": "pyyaml", "markupsafe": "jinja2", "alipay": "python-alipay-sdk", "PIL": "pillow"}


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "-r")):
            name, _, version = line.partition("==")
            pins[name.lower()] = version
    return pins


def _imported() -> set[str]:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).parts[0] in NOT_SHIPPED:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names and name != "kameng"}


def test_every_package_the_functions_import_is_installed_with_them_at_the_repositorys_pin():
    shipped = _pins(REPO / "functions" / "requirements.txt")
    pinned = _pins(REPO / "requirements.txt")
    needed = {DISTRIBUTION.get(name, name) for name in _imported()} - IN_THE_RUNTIME
    assert needed <= set(shipped), f"add to functions/requirements.txt: {sorted(needed - set(shipped))}"
    assert {name: shipped[name] for name in needed} == {name: pinned[name] for name in needed}
    assert set(shipped) <= needed, f"not imported by the functions: {sorted(set(shipped) - needed)}"
