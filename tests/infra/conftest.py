"""The deployment as the tests see it: infra/template.yaml decoded as CloudFormation
reads it (short-form tags become {"Ref": ...}), and again after the SAM transform; the owner
console's nested stack, infra/console.yaml, likewise."""
from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
TEMPLATE = INFRA / "template.yaml"
CONSOLE_TEMPLATE = INFRA / "console.yaml"
GENERATOR = INFRA / "template.py"
TABLE_YAML = INFRA / "table.yaml"
HOST_ROUTER = INFRA / "cloudfront" / "host-router.js"
HANDLERS = REPO / "functions" / "kameng" / "handlers"


def plain(node: Any) -> Any:
    """cfn-lint's decoder returns dict/str subclasses that carry line marks; compare plain values."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


@pytest.fixture(scope="session")
def template() -> dict:
    from cfnlint.decode import decode

    decoded, problems = decode(str(TEMPLATE))
    assert not problems, problems
    return plain(decoded)


@pytest.fixture(scope="session")
def console_template() -> dict:
    """The owner console's nested stack as it is written, in its own parameters' terms."""
    from cfnlint.decode import decode

    decoded, problems = decode(str(CONSOLE_TEMPLATE))
    assert not problems, problems
    return plain(decoded)


def resolve(node: Any, given: dict[str, Any]) -> Any:
    """A nested template's references to its parameters replaced by what the parent passes for them."""
    if isinstance(node, list):
        return [resolve(item, given) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Ref"} and node["Ref"] in given:
        return given[node["Ref"]]
    if set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
        return {"Fn::Sub": re.sub(r"\$\{(\w+)\}", lambda m: _in_sub(m[1], given), node["Fn::Sub"])}
    return {key: resolve(value, given) for key, value in node.items()}


def _in_sub(name: str, given: dict[str, Any]) -> str:
    value = given.get(name, {"Ref": name})
    if set(value) == {"Ref"}:
        return "${" + value["Ref"] + "}"
    assert set(value) == {"Fn::GetAtt"}, f"${{{name}}} is given as {value}, which no !Sub can name"
    return "${" + ".".join(value["Fn::GetAtt"]) + "}"


@pytest.fixture(scope="session")
def console_resources(template, console_template) -> dict:
    """The console stack's resources with its parameters resolved: in the parent's own terms."""
    given = template["Resources"]["Console"]["Properties"]["Parameters"]
    return resolve(console_template["Resources"], given)


@pytest.fixture(scope="session")
def resources(template, console_resources) -> dict:
    """Every resource of the deployment, the parent's and its nested console stack's (none share a name)."""
    assert not set(template["Resources"]) & set(console_resources)
    return template["Resources"] | console_resources


@pytest.fixture(scope="session")
def functions(resources) -> dict:
    return {name: r for name, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}


def _transform(path: Path) -> dict:
    from cfnlint.decode import decode
    from cfnlint.template.transforms._sam import Transform

    decoded, _ = decode(str(path))
    # The transform sets AWS_DEFAULT_REGION for samtranslator; keep it out of other tests.
    with mock.patch.dict(os.environ):
        transform = Transform(str(path), decoded, "us-east-1")
        problems = transform.transform_template()
        assert not problems, [str(p) for p in problems]
        return plain(transform.template())


@pytest.fixture(scope="session")
def transformed() -> dict:
    """What CloudFormation deploys: the template after AWS::Serverless-2016-10-31, as cfn-lint runs it."""
    return _transform(TEMPLATE)


@pytest.fixture(scope="session")
def console_transformed() -> dict:
    """What CloudFormation deploys as the Console nested stack."""
    return _transform(CONSOLE_TEMPLATE)


@pytest.fixture(scope="session")
def table_yaml() -> dict:
    if not TABLE_YAML.exists():
        pytest.fail("infra/table.yaml is missing: the template's Table is written from it")
    return yaml.safe_load(TABLE_YAML.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def generator() -> ModuleType:
    """infra/template.py, which writes infra/template.yaml (infra/ is no package)."""
    spec = importlib.util.spec_from_file_location("kameng_infra_template", GENERATOR)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def handler_target(function: dict) -> str:
    """kameng.handlers.orders.get_order -> kameng.handlers.orders:get_order (the ROUTES spelling)."""
    module, _, name = function["Properties"]["Handler"].rpartition(".")
    return f"{module}:{name}"


def events_of(function: dict, kind: str) -> list[dict]:
    return [e["Properties"] for e in function["Properties"].get("Events", {}).values() if e["Type"] == kind]
