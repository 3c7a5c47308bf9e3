"""Behind CloudFront the functions see the viewer's address: the /api/* origin request policy forwards
CloudFront-Viewer-Address, the api origin adds the deployment's token, and the functions are told both."""
from __future__ import annotations

from kameng import config, http

# Managed-AllViewerExceptHostHeader: every viewer header but the Host, and every CloudFront header,
# CloudFront-Viewer-Address among them. A policy of our own could not forward Authorization, which
# the order page sends (CloudFront refuses it in an origin request policy).
ALL_VIEWER_AND_CLOUDFRONT_HEADERS_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
STACK_UUID = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}


def distribution(resources) -> dict:
    return resources["Distribution"]["Properties"]["DistributionConfig"]


def test_every_api_route_gets_the_viewers_address_from_cloudfront(resources):
    behaviours = {b["PathPattern"]: b for b in distribution(resources)["CacheBehaviors"]}
    api = [b for b in behaviours.values() if b["TargetOriginId"] == "api"]
    assert {b["PathPattern"] for b in api} == {"/api/stock", "/api/*"}
    assert all(b["OriginRequestPolicyId"] == ALL_VIEWER_AND_CLOUDFRONT_HEADERS_EXCEPT_HOST for b in api)


def test_the_api_origin_adds_the_token_the_functions_check(template, resources):
    origins = {o["Id"]: o for o in distribution(resources)["Origins"]}
    assert origins["api"]["OriginCustomHeaders"] == [{"HeaderName": "X-Kameng-Edge", "HeaderValue": STACK_UUID}]
    assert http.EDGE_HEADER == "x-kameng-edge"
    # The stack's own id: unique to the deployment, in no file, and seen by no viewer.
    assert template["Globals"]["Function"]["Environment"]["Variables"]["KAMENG_EDGE_TOKEN"] == STACK_UUID
    assert "OriginCustomHeaders" not in {o["Id"]: o for o in distribution(resources)["Origins"]}["site"]


def test_the_functions_are_told_they_are_behind_cloudfront(template):
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    stack_uuid = "51af3dc0-da77-11e4-872e-1234567db123"
    edge = config.edge({"KAMENG_BEHIND_CLOUDFRONT": variables["KAMENG_BEHIND_CLOUDFRONT"], "KAMENG_EDGE_TOKEN": stack_uuid})
    assert edge.behind_cloudfront and edge.edge_token == stack_uuid
