"""infra/template.yaml and infra/console.yaml are what infra/template.py writes, so the functions, their
log groups and alarms, the table and the host router are equal to their sources by construction."""
from __future__ import annotations

import pytest

from kameng.routes import ROUTES, Route
from tests.infra.conftest import CONSOLE_TEMPLATE, TEMPLATE


def test_the_committed_template_is_what_the_generator_writes(generator):
    assert TEMPLATE.read_text(encoding="utf-8") == generator.render(), "run `make infra` and commit infra/template.yaml"
    assert CONSOLE_TEMPLATE.read_text(encoding="utf-8") == generator.render_console(), \
        "run `make infra` and commit infra/console.yaml"


def test_writing_twice_gives_the_same_bytes(generator):
    assert generator.render() == generator.render()
    assert generator.render_console() == generator.render_console()


def test_a_route_nobody_granted_anything_stops_the_generator(generator):
    new = Route("POST", "/api/gift-cards", "kameng.handlers.gift_cards:handler")
    with pytest.raises(SystemExit, match="POST /api/gift-cards"):
        generator.render((*ROUTES, new))
    with pytest.raises(SystemExit, match="POST /api/gift-cards"):
        generator.render_console((*ROUTES, new))


def test_a_function_whose_route_is_gone_stops_the_generator(generator):
    with pytest.raises(SystemExit, match="kameng.handlers.checkout:handler"):
        generator.render(tuple(r for r in ROUTES if r.target != "kameng.handlers.checkout:handler"))


def test_every_function_the_generator_knows_is_in_the_template(generator, functions):
    assert {f"{f.name}Function" for f in generator.FUNCTIONS.values()} == set(functions)


def test_a_function_serving_two_routes_stops_the_generator(generator):
    twice = Route("GET", "/api/stock/all", "kameng.handlers.stock:handler")
    with pytest.raises(SystemExit, match="kameng.handlers.stock:handler"):
        generator.render((*ROUTES, twice))
