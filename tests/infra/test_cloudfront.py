"""One distribution for every station: the site from a private bucket, /api/* from the HTTP API,
the local server's security headers on every answer."""
from __future__ import annotations

import pytest

from kameng import http
from kameng.domain import errors
from kameng.routes import ROUTES
from kameng.local.server import security_headers

CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
STRIPE_CHECKOUT = "https://checkout.stripe.com"


@pytest.fixture(scope="module")
def config(resources) -> dict:
    return resources["Distribution"]["Properties"]["DistributionConfig"]


@pytest.fixture(scope="module")
def behaviours(config) -> dict:
    return {b["PathPattern"]: b for b in config["CacheBehaviors"]}


def test_the_distribution_answers_for_every_station_domain_over_modern_tls(config):
    assert config["Aliases"] == {"Ref": "AliasDomains"}
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": {"Ref": "CertificateArn"}, "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021"}
    # HTTP/3, but while a staging distribution is attached (continuous deployment serves no HTTP/3).
    assert config["HttpVersion"] == {"Fn::If": ["UseStaging", "http2", "http2and3"]}
    assert config["PriceClass"] == {"Ref": "PriceClass"}


def test_the_price_class_defaults_to_the_edges_nearest_mainland_china(template):
    assert template["Parameters"]["PriceClass"]["Default"] == "PriceClass_200"


def test_the_site_is_served_through_the_host_router(config):
    default = config["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == "site"
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert default["Compress"] is True
    assert default["CachePolicyId"] == CACHING_OPTIMIZED
    assert default["FunctionAssociations"] == [{
        "EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": ["HostRouter", "FunctionMetadata.FunctionARN"]}}]


def test_stock_is_cached_a_few_seconds_by_station_and_comes_before_the_rest_of_the_api(config, behaviours, resources):
    patterns = [b["PathPattern"] for b in config["CacheBehaviors"]]
    assert patterns.index("/api/stock") < patterns.index("/api/*")  # the first match wins
    stock = behaviours["/api/stock"]
    assert stock["AllowedMethods"] == ["GET", "HEAD"]
    assert stock["CachePolicyId"] == {"Ref": "StockCachePolicy"}
    policy = resources["StockCachePolicy"]["Properties"]["CachePolicyConfig"]
    assert 0 < policy["DefaultTTL"] <= policy["MaxTTL"] <= 10
    assert policy["MinTTL"] == 0  # error answers say no-store, and must not be cached
    key = policy["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["QueryStringsConfig"] == {"QueryStringBehavior": "whitelist", "QueryStrings": ["station"]}
    assert key["HeadersConfig"] == {"HeaderBehavior": "none"}
    assert key["CookiesConfig"] == {"CookieBehavior": "none"}


def test_the_rest_of_the_api_is_never_cached(behaviours):
    api = behaviours["/api/*"]
    assert api["CachePolicyId"] == CACHING_DISABLED
    assert set(api["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}


def test_api_requests_reach_api_gateway_with_everything_but_the_host_header(config, behaviours):
    origins = {o["Id"]: o for o in config["Origins"]}
    assert origins["api"]["DomainName"] == {"Fn::Sub": "${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    assert origins["api"]["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    for pattern in ("/api/stock", "/api/*"):
        assert behaviours[pattern]["TargetOriginId"] == "api"
        assert behaviours[pattern]["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
        assert behaviours[pattern]["ViewerProtocolPolicy"] == "https-only"


def test_a_named_stage_becomes_the_origin_path(config):
    origins = {o["Id"]: o for o in config["Origins"]}
    assert origins["api"]["OriginPath"] == {"Fn::If": ["UseDefaultStage", {"Ref": "AWS::NoValue"},
                                                       {"Fn::Sub": "/${StageName}"}]}


def test_every_answer_carries_the_local_servers_security_headers(config, behaviours, resources):
    for behaviour in [config["DefaultCacheBehavior"], *behaviours.values()]:
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "SecurityHeadersPolicy"}
    policy = resources["SecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    security = policy["SecurityHeadersConfig"]
    sent = {}
    sent["Content-Security-Policy"] = security.pop("ContentSecurityPolicy")["ContentSecurityPolicy"]
    assert security.pop("ContentTypeOptions") == {"Override": True}
    sent["X-Content-Type-Options"] = "nosniff"
    frame = security.pop("FrameOptions")
    sent["X-Frame-Options"] = frame["FrameOption"]
    sent["Referrer-Policy"] = security.pop("ReferrerPolicy")["ReferrerPolicy"]
    hsts = security.pop("StrictTransportSecurity")
    sent["Strict-Transport-Security"] = f"max-age={hsts['AccessControlMaxAgeSec']}" + (
        "; includeSubDomains" if hsts["IncludeSubdomains"] else "") + ("; preload" if hsts["Preload"] else "")
    assert security == {}, "a security header the local server does not send"
    for item in policy["CustomHeadersConfig"]["Items"]:
        sent[item["Header"]] = item["Value"]
        assert item["Override"] is True
    assert sent == dict(security_headers(STRIPE_CHECKOUT, https=True))
    assert f"form-action 'self' {STRIPE_CHECKOUT}" in sent["Content-Security-Policy"]
    assert sent["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"


def test_only_the_buckets_403_for_a_missing_key_becomes_the_404_page(config):
    # Error responses apply to every behaviour: mapping 404 would turn the API's JSON 404s into HTML.
    assert config["CustomErrorResponses"] == [{
        "ErrorCode": 403, "ResponseCode": 404, "ResponsePagePath": "/_errors/404.html", "ErrorCachingMinTTL": 10}]
    # CloudFront replaces an API 403 with the 404 page: only the refusal of a cross-site request, which
    # no shop page or API client ever meets, and an owner's missing permission may answer it. The owner
    # API is not behind this distribution (see the console's tests below), and keeps its 403.
    assert [kind for kind, status in http.STATUS.items() if status == 403] == [http.CrossSiteRequest, errors.Forbidden]
    assert any(route.path.startswith("/api/owner/") for route in ROUTES)


def test_a_shops_domain_serves_no_owner_endpoint(config, behaviours):
    patterns = [b["PathPattern"] for b in config["CacheBehaviors"]]
    assert patterns.index("/api/owner/*") < patterns.index("/api/*")  # the first match wins
    owner = behaviours["/api/owner/*"]
    # To the bucket, through the host router: /<station>/api/owner/... is no file, so the 404 page.
    assert owner["TargetOriginId"] == "site"
    assert owner["AllowedMethods"] == ["GET", "HEAD"]
    assert owner["FunctionAssociations"] == config["DefaultCacheBehavior"]["FunctionAssociations"]


@pytest.fixture(scope="module")
def console(resources) -> dict:
    return resources["ConsoleDistribution"]["Properties"]["DistributionConfig"]


def test_the_console_has_its_own_domain_and_maps_no_error(console, config):
    assert console["Aliases"] == [{"Ref": "ConsoleDomain"}]
    assert console["ViewerCertificate"] == config["ViewerCertificate"]
    # The owner API's 401, 403 and 404 must reach the console as the API sent them.
    assert "CustomErrorResponses" not in console


def test_the_console_serves_its_folder_and_only_the_owner_api(console, config, resources):
    default = console["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == "site"
    assert default["FunctionAssociations"] == [{
        "EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": ["ConsoleRouter", "FunctionMetadata.FunctionARN"]}}]
    router = resources["ConsoleRouter"]["Properties"]["FunctionCode"]["Fn::Sub"]
    assert router[1] == {"StationMap": {"Fn::Sub": "_console=${ConsoleDomain}"}}
    (api,) = console["CacheBehaviors"]
    assert (api["PathPattern"], api["TargetOriginId"], api["CachePolicyId"]) == ("/api/owner/*", "api", CACHING_DISABLED)
    assert api["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    origins, shop = {o["Id"]: o for o in console["Origins"]}, {o["Id"]: o for o in config["Origins"]}
    assert origins["site"] == shop["site"]
    # The owner routes are the console stack's API's (infra/console.yaml), reached as the shop's API is.
    assert origins["api"]["DomainName"] == {
        "Fn::Sub": "${Console.Outputs.ApiId}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    assert {k: v for k, v in origins["api"].items() if k != "DomainName"} == {
        k: v for k, v in shop["api"].items() if k != "DomainName"}


def test_the_console_frames_nothing_and_talks_only_to_itself_and_the_uploads_bucket(console, resources):
    for behaviour in [console["DefaultCacheBehavior"], *console["CacheBehaviors"]]:
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "ConsoleSecurityHeadersPolicy"}
    policy = resources["ConsoleSecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    csp = policy["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self' https://${UploadsBucket.RegionalDomainName}"
    assert directives["frame-ancestors"] == "'none'" and directives["form-action"] == "'self'"


def test_uploads_are_private_short_lived_and_put_only_from_the_console(resources):
    bucket = resources["UploadsBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == 1
    (cors,) = bucket["CorsConfiguration"]["CorsRules"]
    assert cors["AllowedOrigins"] == [{"Fn::Sub": "https://${ConsoleDomain}"}]
    assert cors["AllowedMethods"] == ["PUT"]


def test_the_bucket_is_private_and_read_only_by_the_two_distributions(resources, config):
    bucket = resources["SiteBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    statements = resources["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert allows == [{
        "Sid": "CloudFrontReadsSite", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject", "Resource": {"Fn::Sub": "${SiteBucket.Arn}/*"},
        "Condition": {"StringEquals": {"AWS:SourceArn": [
            {"Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}"},
            {"Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${ConsoleDistribution}"},
            # And the staging distribution, while continuous deployment has one.
            {"Fn::If": ["UseStaging", {"Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/"
                                                  "${StagingDistribution}"}, {"Ref": "AWS::NoValue"}]}]}}}]
    origins = {o["Id"]: o for o in config["Origins"]}
    assert origins["site"]["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    assert origins["site"]["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    access = resources["SiteOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (access["OriginAccessControlOriginType"], access["SigningBehavior"], access["SigningProtocol"]) == (
        "s3", "always", "sigv4")
