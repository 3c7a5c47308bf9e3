"""The deployment as the tests see it: infra/template.yaml decoded as CloudFormation
reads it (short-form tags become {"Ref": ...}), and again after the SAM transform."""
from __future__ import annotations

import importlib.util
import os
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
def resources(template) -> dict:
    return template["Resources"]


@pytest.fixture(scope="session")
def functions(resources) -> dict:
    return {name: r for name, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}


@pytest.fixture(scope="session")
def transformed() -> dict:
    """What CloudFormation deploys: the template after AWS::Serverless-2016-10-31, as cfn-lint runs it."""
    from cfnlint.decode import decode
    from cfnlint.template.transforms._sam import Transform

    decoded, _ = decode(str(TEMPLATE))
    # The transform sets AWS_DEFAULT_REGION for samtranslator; keep it out of other tests.
    with mock.patch.dict(os.environ):
        transform = Transform(str(TEMPLATE), decoded, "us-east-1")
        problems = transform.transform_template()
        assert not problems, [str(p) for p in problems]
        return plain(transform.template())


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
