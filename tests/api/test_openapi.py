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


def _error_classes():
    """Every error a request can meet: each DomainError subclass in the functions' modules."""
    import importlib
    import pkgutil

    import kameng
    from kameng.domain.errors import DomainError

    for module in pkgutil.walk_packages(kameng.__path__, "kameng."):
        if not module.name.startswith(("kameng.local", "kameng.cli")) and not module.name.endswith("__main__"):
            importlib.import_module(module.name)

    def below(kind):
        for sub in kind.__subclasses__():
            yield sub
            yield from below(sub)

    return sorted(set(below(DomainError)), key=lambda kind: kind.code)


def test_every_error_code_has_a_status_an_english_message_and_is_documented():
    from kameng import http

    documented = set(SPEC["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"])
    for kind in _error_classes():
        assert any(k in http.STATUS for k in kind.__mro__), f"{kind.__name__} ({kind.code}) has no HTTP status"
        assert kind.code in http.ENGLISH, f"{kind.code} has no English message"
        assert kind.code in documented, f"{kind.code} is not in openapi.yaml's Error codes"
