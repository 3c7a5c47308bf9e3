"""Gray release: the functions (the shop's, the suppliers' and the owner console's) move to new code through
their alias live, shifted by CodeDeploy and rolled back by their Errors alarm; the stations' sites through
CloudFront continuous deployment."""
from __future__ import annotations

import pytest

from tests.infra.conftest import handler_target

ALIAS = "live"
DIFFERS_ON_STAGING = {"Staging", "Aliases", "Comment", "HttpVersion", "ContinuousDeploymentPolicyId", "Logging"}


@pytest.fixture(scope="module")
def gray(generator, functions) -> dict:
    return {name: f for name, f in functions.items() if handler_target(f) in generator.GRAY_RELEASED}


def test_every_function_a_route_the_stream_or_a_schedule_calls_is_released_gradually(generator, gray, functions):
    released = {f"{f.name}Function" for target, f in generator.FUNCTIONS.items() if target in generator.GRAY_RELEASED}
    assert set(gray) == released
    # Only the full build's, which the state machine calls by its latest version and retries whole.
    assert set(functions) - set(gray) == {"BuildStationFunction"}
    assert "AutoPublishAlias" not in functions["BuildStationFunction"]["Properties"]
    for name in ("CheckoutFunction", "WebhookFunction", "ReleaseFunction", "SweeperFunction", "GetOrderFunction",
                 "SupplierCallbackFunction", "WholesalePlaceOrderFunction", "OwnerSignInFunction",
                 "OwnerRefundOrderFunction", "OwnerPublishContentFunction", "OwnerImportUploadFunction"):
        assert name in gray, name


def test_every_gradual_function_shifts_its_alias_and_rolls_back_on_its_own_errors_alarm(gray, resources):
    for name, function in gray.items():
        properties = function["Properties"]
        assert properties["AutoPublishAlias"] == ALIAS, name
        preference = properties["DeploymentPreference"]
        assert preference["Type"] == {"Ref": "DeploymentType"}, name
        (alarm,) = preference["Alarms"]
        alarm_id = alarm["Ref"]
        watched = resources[alarm_id]["Properties"]
        assert (watched["Namespace"], watched["MetricName"]) == ("AWS/Lambda", "Errors"), name
        assert watched["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": name}}], name


def test_a_canary_by_default_and_all_at_once_for_a_test_stack(template):
    parameter = template["Parameters"]["DeploymentType"]
    assert parameter["Default"] == "Canary10Percent10Minutes"
    assert "AllAtOnce" in parameter["AllowedValues"]
    assert any(v.startswith("Linear") for v in parameter["AllowedValues"])


def test_codedeploy_rolls_back_on_an_alarm_in_the_deployed_stacks(transformed, console_transformed, gray):
    groups = {n: r["Properties"] for stack in (transformed, console_transformed)
              for n, r in stack["Resources"].items() if r["Type"] == "AWS::CodeDeploy::DeploymentGroup"}
    assert set(groups) == {f"{name}DeploymentGroup" for name in gray}
    assert any(name.startswith("Owner") for name in groups)
    for name, group in groups.items():
        assert group["AutoRollbackConfiguration"]["Enabled"] is True, name
        assert "DEPLOYMENT_STOP_ON_ALARM" in group["AutoRollbackConfiguration"]["Events"], name
        assert group["AlarmConfiguration"] == {
            "Enabled": True, "Alarms": [{"Name": {"Ref": name.replace("FunctionDeploymentGroup", "ErrorsAlarm")}}]}


def _route_uris(api: dict) -> dict[tuple[str, str], str]:
    """What each route of an HTTP API's OpenAPI body invokes."""
    return {(method.upper(), path): operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
            for path, operations in api["Properties"]["Body"]["paths"].items()
            for method, operation in operations.items() if isinstance(operation, dict)}


def test_routes_the_stream_and_the_schedules_invoke_the_alias(transformed, console_transformed, gray):
    resources = transformed["Resources"]
    uris = _route_uris(resources["Api"]) | _route_uris(console_transformed["Resources"]["ConsoleApi"])
    for name, function in gray.items():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi":
                route = (event["Properties"]["Method"], event["Properties"]["Path"])
                assert f"${{{name}Alias{ALIAS}}}" in uris[route], name
    # Each API gets its callers' rights on the alias, not on the function's latest code.
    for stack in (transformed, console_transformed):
        for permission in [r["Properties"] for r in stack["Resources"].values() if r["Type"] == "AWS::Lambda::Permission"]:
            if permission["Principal"] == "apigateway.amazonaws.com":
                assert permission["FunctionName"]["Ref"].endswith(f"Alias{ALIAS}"), permission
    (mapping,) = [r for r in resources.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert mapping["Properties"]["FunctionName"] == {"Ref": f"ReleaseFunctionAlias{ALIAS}"}
    targets = [t["Arn"] for r in resources.values() if r["Type"] == "AWS::Events::Rule"
               for t in r["Properties"]["Targets"]]
    assert {"Ref": f"SweeperFunctionAlias{ALIAS}"} in targets


def test_each_deployed_stack_stays_within_cloudformations_500_resources(transformed, console_transformed):
    # Each gradual function adds a version, an alias and a deployment group: why the console's have a stack.
    assert len(transformed["Resources"]) <= 500, len(transformed["Resources"])
    assert len(console_transformed["Resources"]) <= 500, len(console_transformed["Resources"])
    (nested,) = [r for r in transformed["Resources"].values() if r["Type"] == "AWS::CloudFormation::Stack"]
    assert nested["Properties"]["TemplateURL"] == "console.yaml"


def test_the_console_stack_shifts_its_functions_as_the_parent_says(template, console_template):
    given = template["Resources"]["Console"]["Properties"]["Parameters"]
    assert given["DeploymentType"] == {"Ref": "DeploymentType"}
    for function in console_template["Resources"].values():
        if function["Type"] == "AWS::Serverless::Function":
            assert function["Properties"]["DeploymentPreference"]["Type"] == {"Ref": "DeploymentType"}


# ------------------------------------------------------------------ the sites: continuous deployment


def test_continuous_deployment_is_off_unless_asked_for(template, resources):
    assert template["Parameters"]["StagingSite"]["Default"] == "off"
    assert template["Conditions"]["UseStaging"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "StagingSite"}, "off"]}]}
    for name in ("StagingDistribution", "StagingPolicy"):
        assert resources[name]["Condition"] == "UseStaging", name
    primary = resources["Distribution"]["Properties"]["DistributionConfig"]
    assert primary["ContinuousDeploymentPolicyId"] == {
        "Fn::If": ["UseStaging", {"Ref": "StagingPolicy"}, {"Ref": "AWS::NoValue"}]}


def test_a_sticky_share_of_viewers_or_a_testers_header_reaches_the_staging_distribution(template, resources):
    config = resources["StagingPolicy"]["Properties"]["ContinuousDeploymentPolicyConfig"]
    assert config["Enabled"] is True
    assert config["StagingDistributionDnsNames"] == [{"Fn::GetAtt": ["StagingDistribution", "DomainName"]}]
    condition, by_weight, by_header = config["TrafficConfig"]["Fn::If"]
    assert condition == "StagingByWeight"
    assert by_weight["Type"] == "SingleWeight"
    assert by_weight["SingleWeightConfig"]["Weight"] == {"Ref": "StagingWeight"}
    stickiness = by_weight["SingleWeightConfig"]["SessionStickinessConfig"]
    assert 300 <= stickiness["IdleTTL"] <= stickiness["MaximumTTL"] <= 3600  # CloudFront's bounds
    weight = template["Parameters"]["StagingWeight"]
    assert float(weight["Default"]) == 0.05 and float(weight["MaxValue"]) <= 0.15  # CloudFront's most
    assert by_header == {"Type": "SingleHeader",
                         "SingleHeaderConfig": {"Header": "aws-cf-cd-staging", "Value": "true"}}


def test_the_staging_distribution_is_the_primary_serving_the_staged_site(resources):
    primary = resources["Distribution"]["Properties"]["DistributionConfig"]
    staging = resources["StagingDistribution"]["Properties"]["DistributionConfig"]
    assert staging["Staging"] is True and "Aliases" not in staging
    assert staging["HttpVersion"] == "http2"  # continuous deployment serves no HTTP/3
    same = {k: v for k, v in primary.items() if k not in DIFFERS_ON_STAGING | {"Origins"}}
    assert {k: v for k, v in staging.items() if k not in DIFFERS_ON_STAGING | {"Origins"}} == same
    origins = {o["Id"]: o for o in primary["Origins"]}
    staged = {o["Id"]: o for o in staging["Origins"]}
    assert staged["site"] == origins["site"] | {"OriginPath": "/_staging"}
    assert staged["api"] == origins["api"]
