"""Every redirect the host router makes stays on the station's own host, whatever the path sent.

CloudFront hands the function the URI as the viewer sent it, still percent-encoded."""
from __future__ import annotations

import re

import pytest

from tests.infra.conftest import HOST_ROUTER
from tests.infra.test_host_router import MAX_FUNCTION_BYTES, route, sub
from tests.support.redirect_evasions import EVASIONS

HOST = "www.gamezone.example"
# And the forms the host router itself was first caught with.
EVASIONS = [*EVASIONS, "//evil%2Eexample", "/\u2215evil", "/%/evil"]


@pytest.fixture(scope="module")
def code() -> str:
    return HOST_ROUTER.read_text(encoding="utf-8")


def read_as_a_browser_does(location: str) -> str:
    """WHATWG URL parsing drops tabs and newlines and reads a backslash as a slash in http(s) URLs."""
    return re.sub(r"[\t\n\r]", "", location).replace("\\", "/")


def stays_on_host(location: str) -> bool:
    seen = read_as_a_browser_does(location)
    return location.isascii() and location.isprintable() and seen.startswith("/") and not seen.startswith("//")


def test_no_path_redirects_to_another_host(code):
    results = route(code, *({"host": HOST, "uri": uri} for uri in EVASIONS))
    for uri, result in zip(EVASIONS, results):
        status = result.get("statusCode")
        if status is None:
            # A file's path ("//evil.example" has a dot): looked up in the station's own folder, not redirected.
            assert result["uri"].startswith("/game-zone/") and "//" not in result["uri"], (uri, result)
        else:
            assert status in (301, 404), (uri, result)
        if status == 301:
            assert stays_on_host(result["headers"]["location"]["value"]), (uri, result)


def test_encoded_separators_control_characters_and_dot_segments_are_not_found(code):
    refused = [uri for uri in EVASIONS if not uri.startswith(("//", "///"))]
    results = route(code, *({"host": HOST, "uri": uri} for uri in refused))
    assert [r.get("statusCode") for r in results] == [404] * len(refused), list(zip(refused, results))
    assert all("uri" not in r for r in results)


@pytest.mark.parametrize(("uri", "location"), [
    ("//evil%2Eexample", "/evil%2Eexample/"),
    ("//p/x", "/p/x/"),
    ("////p", "/p/"),
    ("/p/%E4%B8%AD", "/p/%E4%B8%AD/"),
])
def test_a_leading_run_of_slashes_collapses_to_one(code, uri, location):
    (result,) = route(code, {"host": HOST, "uri": uri})
    assert (result["statusCode"], result["headers"]["location"]["value"]) == (301, location)


def test_pages_and_files_are_still_served_from_the_stations_folder(code):
    results = route(code, {"host": HOST, "uri": "/p/x/"}, {"host": HOST, "uri": "//p/x/"},
                    {"host": HOST, "uri": "/assets/app.3f2a.js"}, {"host": HOST, "uri": "/p/%E4%B8%AD/"})
    assert [r["uri"] for r in results] == [
        "/game-zone/p/x/index.html", "/game-zone/p/x/index.html", "/game-zone/assets/app.3f2a.js",
        "/game-zone/p/%E4%B8%AD/index.html"]


def test_the_router_with_a_hundred_stations_still_fits_in_a_cloudfront_function(code):
    many = ",".join(f"station-{n:03d}=www.station-{n:03d}-shop.example.com" for n in range(100))
    assert len(sub(code, many).encode()) <= MAX_FUNCTION_BYTES
