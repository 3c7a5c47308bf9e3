"""The owner console's nested stack (infra/console.yaml): its functions are those the parent would have,
given every resource they use by the parent, and reached through the console's distribution only."""
from __future__ import annotations

import pytest

from kameng.routes import ROUTES
from tests.infra.conftest import resolve
from tests.infra.test_mail_templates import package, sam_built

OWNER_ROUTE = "/api/owner/"


@pytest.fixture(scope="module")
def given(template) -> dict:
    return template["Resources"]["Console"]["Properties"]["Parameters"]


def test_the_parent_passes_every_parameter_the_console_stack_declares_and_no_other(given, console_template):
    assert set(given) == set(console_template["Parameters"])
    assert all("Default" not in p for p in console_template["Parameters"].values())


def test_the_console_stack_is_deployed_from_its_generated_template(template):
    console = template["Resources"]["Console"]
    assert console["Type"] == "AWS::Serverless::Application"
    assert console["Properties"]["Location"] == "console.yaml"


def test_its_functions_run_with_the_parents_settings_and_environment(template, console_template, given):
    assert resolve(console_template["Globals"], given) == template["Globals"]


def test_its_functions_are_what_the_parent_would_deploy_with_the_parents_resources(generator, console_resources):
    # Read through what the parent passes, each function, log group and alarm is the one the generator
    # writes in the parent's terms: a parameter wired to the wrong resource shows here as a wrong right.
    expected: dict = {}
    for route in ROUTES:
        if route.target in generator.CONSOLE:
            function = generator.FUNCTIONS[route.target]
            expected |= generator.function_resources(route.target, function, route, "ConsoleApi")
    assert expected
    assert {name: console_resources[name] for name in expected} == expected


def test_every_owner_route_is_the_console_stacks_and_no_other_is(template, console_template):
    def routes(resources: dict) -> set[str]:
        return {event["Properties"]["Path"] for r in resources.values() if r["Type"] == "AWS::Serverless::Function"
                for event in r["Properties"].get("Events", {}).values() if event["Type"] == "HttpApi"}

    owner = {r.path for r in ROUTES if r.path.startswith(OWNER_ROUTE)}
    assert owner and routes(console_template["Resources"]) == owner
    assert not {path for path in routes(template["Resources"]) if path.startswith(OWNER_ROUTE)}


def test_the_console_api_is_reached_through_the_console_distribution_with_the_parents_edge_token(
        template, console_template, given):
    assert console_template["Outputs"]["ApiId"]["Value"] == {"Ref": "ConsoleApi"}
    config = template["Resources"]["ConsoleDistribution"]["Properties"]["DistributionConfig"]
    (api,) = [o for o in config["Origins"] if o["Id"] == "api"]
    assert "${Console.Outputs.ApiId}" in api["DomainName"]["Fn::Sub"]
    (edge,) = api["OriginCustomHeaders"]
    # The functions accept only requests carrying the token the distribution adds: the parent stack's.
    assert given["EdgeToken"] == edge["HeaderValue"]
    variables = console_template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["KAMENG_EDGE_TOKEN"] == {"Ref": "EdgeToken"}
    assert console_template["Resources"]["ConsoleApi"]["Properties"]["StageName"] == {"Ref": "StageName"}
    assert given["StageName"] == {"Ref": "StageName"}


def test_the_console_stacks_built_functions_get_the_themes_too(tmp_path):
    # sam build puts a nested stack's functions in a folder named for it.
    build = tmp_path / ".aws-sam" / "build"
    (code,) = sam_built(build / "Console", ["OwnerPublishContentFunction"])
    done = package(build)
    assert done.returncode == 0, done.stderr
    assert (code / "templates" / "mail").is_dir()
    assert (code / "templates" / "default").is_dir()
