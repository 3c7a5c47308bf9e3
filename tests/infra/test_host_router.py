"""The host router: infra/cloudfront/host-router.js is the code the template deploys, and it maps
each station's domain to that station's folder. Run by node in a bare context, as CloudFront would."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tests.infra.conftest import HOST_ROUTER

STATIONS = "main=shop.example.com,game-zone=www.gamezone.example,av-club=av.example.org"
# CloudFront Functions: at most 10 KB of code.
MAX_FUNCTION_BYTES = 10 * 1024
# node runs the code in a new context with no require, process or module, like CloudFront's runtime.
HARNESS = r"""
const vm = require('vm');
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const context = vm.createContext({});
vm.runInContext(input.code, context);
process.stdout.write(JSON.stringify(input.events.map((event) => context.handler(event))));
"""


def sub(code: str, station_map: str) -> str:
    """What Fn::Sub makes of the code: ${StationMap} filled in, nothing else touched."""
    return code.replace("${StationMap}", station_map)


@pytest.fixture(scope="module")
def code() -> str:
    return HOST_ROUTER.read_text(encoding="utf-8")


def route(code: str, *requests: dict, station_map: str = STATIONS) -> list[dict]:
    node = shutil.which("node")
    assert node, "node is needed to run the CloudFront Function's tests"
    events = [{
        "version": "1.0",
        "context": {"eventType": "viewer-request"},
        "viewer": {"ip": "203.0.113.24"},
        "request": {
            "method": "GET", "uri": r["uri"], "querystring": r.get("querystring", {}),
            "headers": {"host": {"value": r["host"]}} if r.get("host") is not None else {}, "cookies": {},
        },
    } for r in requests]
    run = subprocess.run([node, "-e", HARNESS], input=json.dumps({"code": sub(code, station_map), "events": events}),
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_the_template_deploys_the_file_as_it_is(resources, code):
    function = resources["HostRouter"]["Properties"]
    template_code, variables = function["FunctionCode"]["Fn::Sub"]
    assert template_code == code
    assert variables == {"StationMap": {"Fn::Join": [",", {"Ref": "StationDomains"}]}}
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert function["AutoPublish"] is True


def test_fn_sub_fills_in_the_station_map_and_nothing_else(code):
    assert re.findall(r"\$\{[^}]*\}", code) == ["${StationMap}"]


def test_a_stations_domain_serves_its_folder(code):
    results = route(code,
                    {"host": "www.gamezone.example", "uri": "/p/x/"},
                    {"host": "www.gamezone.example", "uri": "/"},
                    {"host": "shop.example.com", "uri": "/order/"},
                    {"host": "av.example.org", "uri": "/sitemap.xml"})
    assert [r["uri"] for r in results] == [
        "/game-zone/p/x/index.html", "/game-zone/index.html", "/main/order/index.html", "/av-club/sitemap.xml"]


def test_files_keep_their_path(code):
    (result,) = route(code, {"host": "shop.example.com", "uri": "/assets/a.css",
                             "querystring": {"v": {"value": "1"}}})
    assert result["uri"] == "/main/assets/a.css"
    assert result["querystring"] == {"v": {"value": "1"}}


def test_a_page_without_its_slash_is_redirected_to_it_with_its_query(code):
    plain, with_query = route(
        code,
        {"host": "www.gamezone.example", "uri": "/p/x"},
        {"host": "www.gamezone.example", "uri": "/c/top-up", "querystring": {
            "utm_source": {"value": "qq%20group"}, "ref": {"value": ""},
            "tag": {"value": "a", "multiValue": [{"value": "a"}, {"value": "b"}]}}})
    assert plain["statusCode"] == 301
    assert plain["headers"]["location"] == {"value": "/p/x/"}
    assert with_query["headers"]["location"] == {"value": "/c/top-up/?utm_source=qq%20group&ref&tag=a&tag=b"}


def test_well_known_files_are_not_taken_for_pages(code):
    (result,) = route(code, {"host": "shop.example.com", "uri": "/.well-known/security"})
    assert result["uri"] == "/main/.well-known/security"


def test_an_unknown_host_gets_a_404_and_no_stations_files(code):
    results = route(code,
                    {"host": "d111111abcdef8.cloudfront.net", "uri": "/index.html"},
                    {"host": "evil.example", "uri": "/p/x/"},
                    {"host": None, "uri": "/"},
                    {"host": "constructor", "uri": "/"},
                    {"host": "__proto__", "uri": "/"},
                    {"host": "gamezone.example", "uri": "/"})
    for result in results:
        assert result["statusCode"] == 404
        assert "uri" not in result


def test_the_host_is_matched_case_blind_without_port_or_final_dot(code):
    results = route(code,
                    {"host": "WWW.GameZone.Example", "uri": "/"},
                    {"host": "www.gamezone.example:443", "uri": "/"},
                    {"host": "www.gamezone.example.", "uri": "/"})
    assert [r["uri"] for r in results] == ["/game-zone/index.html"] * 3


def test_one_station_cannot_reach_anothers_folder(code):
    (result,) = route(code, {"host": "www.gamezone.example", "uri": "/main/index.html"})
    assert result["uri"] == "/game-zone/main/index.html"


def test_malformed_pairs_map_nothing(code):
    results = route(code,
                    {"host": "ok.example", "uri": "/"},
                    {"host": "upper.example", "uri": "/"},
                    {"host": "pair.example", "uri": "/"},
                    station_map="ok=ok.example,UPPER=upper.example,no-pair,a=b=pair.example,=empty.example")
    assert results[0]["uri"] == "/ok/index.html"
    assert [r["statusCode"] for r in results[1:]] == [404, 404]


def test_a_hundred_stations_fit_in_a_cloudfront_function(code):
    many = ",".join(f"station-{n:03d}=www.station-{n:03d}-shop.example.com" for n in range(100))
    assert len(sub(code, many).encode()) <= MAX_FUNCTION_BYTES
    (result,) = route(code, {"host": "www.station-099-shop.example.com", "uri": "/"}, station_map=many)
    assert result["uri"] == "/station-099/index.html"


def test_the_station_parameter_admits_only_what_the_router_reads(template):
    import re as regex

    pattern = template["Parameters"]["StationDomains"]["AllowedPattern"]
    for good in ("main=shop.example.com", "game-zone=www.gamezone.example"):
        assert regex.fullmatch(pattern, good), good
    for bad in ("Main=shop.example.com", "main=shop.example.com'", "main = shop.example.com", "main=localhost",
                "m=shop.example.com"):
        assert not regex.fullmatch(pattern, bad), bad


def test_every_content_stations_domain_can_be_given_to_the_stack(template):
    import re as regex

    import yaml

    from tests.infra.conftest import REPO

    pairs = template["Parameters"]["StationDomains"]["AllowedPattern"]
    aliases = template["Parameters"]["AliasDomains"]["AllowedPattern"]
    stations = sorted((REPO / "content").glob("*/station.yaml"))
    assert stations
    for path in stations:
        domain = yaml.safe_load(path.read_text(encoding="utf-8")).get("domain")
        if domain:
            assert regex.fullmatch(pairs, f"{path.parent.name}={domain}"), path
            assert regex.fullmatch(aliases, domain), path


def test_the_console_router_is_the_same_code_serving_the_console_folder(resources, code):
    function = resources["ConsoleRouter"]["Properties"]
    template_code, variables = function["FunctionCode"]["Fn::Sub"]
    assert template_code == code
    results = route(code, {"host": "console.shop.example.com", "uri": "/"},
                    {"host": "console.shop.example.com", "uri": "/orders/"},
                    {"host": "console.shop.example.com", "uri": "/assets/console.1a2b.js"},
                    {"host": "shop.example.com", "uri": "/"},
                    station_map="_console=console.shop.example.com")
    assert [r.get("uri") for r in results[:3]] == [
        "/_console/index.html", "/_console/orders/index.html", "/_console/assets/console.1a2b.js"]
    assert results[3]["statusCode"] == 404


def test_a_shop_domain_sends_owner_api_paths_to_a_missing_file(code):
    (result,) = route(code, {"host": "shop.example.com", "uri": "/api/owner/me"})
    # A path with no dot is a page: redirected to its slash, then /main/api/owner/me/index.html is no file.
    assert result["statusCode"] == 301 or result["uri"].startswith("/main/api/owner/")
