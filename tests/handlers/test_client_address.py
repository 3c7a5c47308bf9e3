"""The address per-address limits count: the viewer's, from CloudFront-Viewer-Address, only where the
deployment says it is behind CloudFront and the request came through it; else the connection's."""
from __future__ import annotations

import pytest

from kameng import config, http
from kameng.handlers import account as account_handler
from kameng.services.account import SIGN_INS_PER_ADDRESS
from tests.handlers.conftest import Response

EDGE_IP = "130.176.212.17"  # a CloudFront edge, as API Gateway sees it
TOKEN = "0f6c2d1e-8a4b-4c3d-9e2f-7a6b5c4d3e2f"
BEHIND = config.Edge.model_validate({"KAMENG_BEHIND_CLOUDFRONT": "true", "KAMENG_EDGE_TOKEN": TOKEN})


def event(viewer: str | None, source_ip: str = EDGE_IP, edge_token: str | None = TOKEN) -> dict:
    headers = {}
    if viewer is not None:
        headers[http.VIEWER_ADDRESS_HEADER] = viewer
    if edge_token is not None:
        headers[http.EDGE_HEADER] = edge_token
    return {"headers": headers, "requestContext": {"http": {"sourceIp": source_ip}}}


@pytest.mark.parametrize(("header", "address"), [
    ("198.51.100.10:46532", "198.51.100.10"),
    ("2001:db8::1:46532", "2001:db8::1"),
    ("[2001:db8::1]:46532", "2001:db8::1"),
    ("2001:0db8:0000:0000:0000:0000:0000:0001:443", "2001:db8::1"),
    ("0000:0000:0000:0000:0000:0000:0000:0001:52325", "::1"),
    ("::ffff:203.0.113.9:1234", "203.0.113.9"),
    (" 198.51.100.10:1 ", "198.51.100.10"),
])
def test_the_viewer_address_is_read_in_each_form_cloudfront_writes(header, address):
    assert http.viewer_address(header) == address


@pytest.mark.parametrize("header", [
    None, "", "198.51.100.10", "198.51.100.10:", ":443", "198.51.100.10:65536", "198.51.100.10:4x3",
    "198.51.100.10:+443", "evil.example:443", "[2001:db8::1]", "2001:db8::1", "1.2.3.4, 5.6.7.8:80",
    "198.51.100.010:443", "198.51.100.10:٤٤٣",
])
def test_a_viewer_address_that_is_not_ip_and_port_is_not_believed(header):
    assert http.viewer_address(header) is None


def test_off_by_default_the_connections_address_counts_whatever_the_header_says():
    assert config.edge({}) == config.Edge()
    assert http.client_address(event("198.51.100.10:443"), config.Edge()) == EDGE_IP


def test_behind_cloudfront_the_viewers_address_counts():
    assert http.client_address(event("198.51.100.10:443"), BEHIND) == "198.51.100.10"


@pytest.mark.parametrize("token", [None, "", "0f6c2d1e-8a4b-4c3d-9e2f-000000000000", TOKEN + "x"])
def test_a_request_that_did_not_come_through_cloudfront_cannot_pick_its_address(token):
    # The API's own endpoint answers too: there the caller writes every header itself.
    assert http.client_address(event("198.51.100.10:443", edge_token=token), BEHIND) == EDGE_IP


def test_without_a_token_configured_the_flag_alone_trusts_the_header():
    flag_only = config.Edge.model_validate({"KAMENG_BEHIND_CLOUDFRONT": "1"})
    assert http.client_address(event("198.51.100.10:443", edge_token=None), flag_only) == "198.51.100.10"


def test_a_missing_or_broken_viewer_address_falls_back_to_the_connection():
    assert http.client_address(event(None), BEHIND) == EDGE_IP
    assert http.client_address(event("not an address"), BEHIND) == EDGE_IP


def test_an_unpaid_hold_never_counts_an_edges_address_as_the_clients():
    # Everyone behind one edge would share one client's cap of unpaid orders.
    assert http.viewers_address(event("198.51.100.10:443"), BEHIND) == "198.51.100.10"
    assert http.viewers_address(event(None), BEHIND) is None
    assert http.viewers_address(event("198.51.100.10:443", edge_token=None), BEHIND) is None
    off = config.Edge.model_validate({})
    assert http.viewers_address(event(None, source_ip="203.0.113.5"), off) == "203.0.113.5"


@pytest.mark.parametrize(("environ", "problem"), [
    ({"KAMENG_BEHIND_CLOUDFRONT": "perhaps"}, "KAMENG_BEHIND_CLOUDFRONT"),
    ({"KAMENG_EDGE_TOKEN": "short"}, "KAMENG_EDGE_TOKEN"),
    ({"KAMENG_EDGE_TOKEN": "has a space in it, which no header value should"}, "KAMENG_EDGE_TOKEN"),
])
def test_a_bad_edge_setting_stops_the_start_with_its_name(environ, problem):
    for load in (config.edge, config.load):
        with pytest.raises(config.ConfigError, match=problem) as refused:
            load(environ)
        assert environ.get("KAMENG_EDGE_TOKEN", "\0") not in str(refused.value)


def test_the_configuration_carries_the_edge_settings():
    loaded = config.load({"KAMENG_BEHIND_CLOUDFRONT": "true", "KAMENG_EDGE_TOKEN": TOKEN})
    assert (loaded.behind_cloudfront, loaded.edge_token) == (True, TOKEN)
    assert TOKEN not in repr(loaded)


# ---------------------------------------------------------------- the limits, through a handler


@pytest.fixture
def deployment(monkeypatch):
    """Set the process's edge settings as the template does (or not), for the handlers to read."""

    def set_up(behind: bool) -> None:
        monkeypatch.setenv("KAMENG_BEHIND_CLOUDFRONT", "true" if behind else "false")
        monkeypatch.setenv("KAMENG_EDGE_TOKEN", TOKEN)
        http._edge.cache_clear()

    yield set_up
    http._edge.cache_clear()


@pytest.fixture
def ask_for_link(deps, stations, api_event):
    """POST /api/account/sign-in for a fresh e-mail each time (the per-e-mail limit stays out of the way)."""
    asked = iter(range(10_000))

    def post(source_ip: str, viewer: str | None, edge_token: str | None = TOKEN) -> int:
        headers = {"content-type": "application/json"}
        if viewer is not None:
            headers[http.VIEWER_ADDRESS_HEADER] = viewer
        if edge_token is not None:
            headers[http.EDGE_HEADER] = edge_token
        body = {"station": "game-zone", "email": f"shopper{next(asked)}@example.com"}
        event = api_event("POST", "/api/account/sign-in", body=body, source_ip=source_ip, headers=headers)
        return Response(account_handler.sign_in(event, None)).status

    return post


def test_behind_cloudfront_shoppers_behind_one_edge_do_not_share_a_limit(deployment, ask_for_link):
    deployment(behind=True)
    answers = [ask_for_link(EDGE_IP, f"198.51.100.{n}:40000") for n in range(SIGN_INS_PER_ADDRESS + 5)]
    assert answers == [202] * (SIGN_INS_PER_ADDRESS + 5)


def test_behind_cloudfront_one_viewer_is_limited_through_every_edge(deployment, ask_for_link):
    deployment(behind=True)
    answers = [ask_for_link(f"130.176.212.{n}", f"2001:db8::7:{40000 + n}") for n in range(SIGN_INS_PER_ADDRESS + 1)]
    assert answers == [202] * SIGN_INS_PER_ADDRESS + [429]


def test_a_direct_caller_cannot_escape_the_limit_by_writing_the_header(deployment, ask_for_link):
    deployment(behind=False)
    answers = [ask_for_link("203.0.113.50", f"198.51.100.{n}:40000") for n in range(SIGN_INS_PER_ADDRESS + 1)]
    assert answers[-1] == 429


def test_behind_cloudfront_a_caller_at_the_apis_own_endpoint_cannot_escape_it_either(deployment, ask_for_link):
    deployment(behind=True)
    answers = [ask_for_link("203.0.113.51", f"198.51.100.{n}:40000", edge_token="guessed-token-0000")
               for n in range(SIGN_INS_PER_ADDRESS + 1)]
    assert answers[-1] == 429
