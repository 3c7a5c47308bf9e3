"""The OpenAPI document is valid and describes exactly the routes the server and Lambda serve."""
from __future__ import annotations

from pathlib import Path

import yaml
from openapi_spec_validator import validate

from kameng.routes import ROUTES

SPEC = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text())


def test_the_document_is_valid_openapi():
    validate(SPEC)


def test_every_route_is_documented_and_every_documented_route_exists():
    served = {(r.method.lower(), r.path) for r in ROUTES}
    documented = {(method, path) for path, item in SPEC["paths"].items() for method in item}
    assert served == documented


def test_every_route_points_at_a_handler_that_exists():
    for route in ROUTES:
        assert callable(route.handler()), route.target
