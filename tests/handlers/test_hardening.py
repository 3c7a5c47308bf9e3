"""What a body may be, and who may send it: every POST route of the route table, as a browser and an
API client send it, and as a page of another site would make a shopper's browser send it."""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from kameng import http
from kameng.handlers import account as account_handler
from kameng.handlers import checkout as checkout_handler
from kameng.domain.wholesale import request_headers
from kameng.routes import ROUTES, Route
from kameng.services.resellers import add_reseller
from tests.conftest import sign
from tests.handlers.conftest import Response
from tests.handlers.test_account import ALICE, BOB, cookie_value, last_link, token_of

# Past Python's 4,300-digit limit on turning text into an int.
HUGE = "9" * 5000
POSTS = [route for route in ROUTES if route.method == "POST"]
# The Stripe rail's notifications: the signed route a body is read from.
WEBHOOK = "/api/webhooks/{rail}"
CHECKOUT = "/api/checkout"
# The lookup form posts here without JavaScript too (answered with a page).
LOOKUP = "/api/orders/lookup"
# The routes whose handler reads no body: the content type is all that is checked.
BODYLESS = {"/api/account/sign-out", "/api/account/points/redeem", "/api/owner/sign-out"}
# Owner routes that act on a record named in the path: one that does not exist is found missing first.
OWNER_SIGN_IN = {"/api/owner/sign-in", "/api/owner/session", "/api/owner/totp", "/api/owner/sign-out"}
SUPPLIER_CALLBACK = "/api/suppliers/{name}/callback"
# Suppliers post forms or JSON as their API says, and resellers sign their requests; neither is a browser's,
# and each is checked by its signature before anything else.
SIGNED = (WEBHOOK, SUPPLIER_CALLBACK)
JSON_ONLY = [route for route in POSTS
             if route.path not in (*SIGNED, CHECKOUT, LOOKUP) and not route.path.startswith("/api/wholesale/")]
BROWSER_PAGE = {"sec-fetch-site": "same-origin", "sec-fetch-mode": "cors", "origin": "https://game-zone.example"}
EVIL = "https://evil.example"
CONSOLE = "http://console.localhost:8000"


def ids(routes: list[Route]) -> list[str]:
    return [route.path for route in routes]


@pytest.fixture
def outbox(deps):
    return deps.mail


@pytest.fixture
def sign_in(deps, stations, api_event):
    def post(email: str) -> Response:
        event = api_event("POST", "/api/account/sign-in", body={"station": "game-zone", "email": email})
        return Response(account_handler.sign_in(event, None))

    return post


@pytest.fixture
def start_session(deps, api_event):
    def post(token: str) -> Response:
        return Response(account_handler.start_session(api_event("POST", "/api/account/session", body={"token": token}), None))

    return post


@pytest.fixture
def session(sign_in, start_session, outbox) -> str:
    assert sign_in(ALICE).status == 202
    return cookie_value(start_session(token_of(last_link(outbox, ALICE))))


@pytest.fixture
def post(deps, stations, api_event):
    """POST `body` (text, sent as it is) to a route through its handler, as API Gateway hands it over."""

    def send(route: Route, body: str | bytes | None, headers: dict[str, str], session: str | None = None) -> Response:
        rail = {"rail": "stripe"} if route.path == WEBHOOK else None
        event = api_event("POST", route.path.replace("{rail}", "stripe"), body=body, headers=headers, path_params=rail)
        # The recorded event is a browser's: only the browser headers this request names are kept.
        for name in [k for k in event["headers"] if k.startswith("sec-fetch-") or k == "origin"]:
            if name not in {k.lower() for k in headers}:
                del event["headers"][name]
        if session is not None:
            event["cookies"] = [f"account_session={session}"]
        return Response(route.handler()(event, None))

    return send


# ---------------------------------------------------------------- numbers too long to read


def huge_body(route: Route, deps) -> tuple[str, dict[str, str]]:
    text = '{"station": "game-zone", "email": "alice@example.com", "token": "x", "quantity": ' + HUGE + "}"
    if route.path.startswith("/api/wholesale/"):
        # Signed by a reseller, so the body is read: an unsigned one is refused before that.
        reseller, secret = add_reseller(deps, "test", "huge numbers", 0)
        signed = request_headers(reseller.id, secret.encode(), "POST", route.path, text.encode(), deps.clock())
        return text, {"content-type": "application/json", **signed}
    if route.path != WEBHOOK:
        return text, {"content-type": "application/json"}
    # Signed, so the body is read: a webhook with a bad signature is refused before that.
    return text, {"content-type": "application/json", "stripe-signature": sign(text.encode(), deps.gateway.webhook_secret)}


@pytest.fixture
def platform_owner(deps, stations) -> dict[str, str]:
    from tests.support.owners import make_owner

    return {"authorization": f"Bearer {make_owner(deps, 'boss@example.com', 'platform_owner', None).token}"}


@pytest.mark.parametrize("route", POSTS, ids=ids(POSTS))
def test_an_integer_too_long_for_python_is_an_invalid_request_on_every_post_route(deps, post, session, route,
                                                                                     platform_owner):
    body, headers = huge_body(route, deps)
    signed_in_owner = route.path.startswith("/api/owner/") and route.path not in OWNER_SIGN_IN
    response = post(route, body, headers | (platform_owner if signed_in_owner else {}), session=session)
    if route.path in BODYLESS:
        assert response.status < 500, response.raw
    elif route.path == SUPPLIER_CALLBACK:
        # No supplier of that name: nothing of the body is read.
        assert (response.status, response.error["code"]) == (404, "not_found"), response.raw
    elif signed_in_owner and "{" in route.path:
        # The path's placeholders name no record: found missing, or the body refused first.
        assert (response.status, response.error["code"]) in ((400, "invalid_request"), (404, "not_found")), response.raw
    else:
        assert (response.status, response.error["code"]) == (400, "invalid_request"), response.raw


def test_a_form_quantity_too_long_for_python_is_an_invalid_request(post, stocked):
    route = next(r for r in POSTS if r.path == CHECKOUT)
    body = urlencode({"station": "game-zone", "sku": stocked.sku, "quantity": HUGE, "email": ALICE, "query_password": "8866-qp"})
    response = post(route, body, {"content-type": http.FORM})
    assert response.status == 400 and response.headers["content-type"].startswith("text/html")


# ---------------------------------------------------------------- JSON only, where no HTML form posts


@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=x", "text/plain", "application/x-json", None])
def test_the_lookup_form_takes_a_form_or_json_and_nothing_else(post, content_type):
    route = next(r for r in POSTS if r.path == LOOKUP)
    headers = {} if content_type is None else {"content-type": content_type}
    response = post(route, '{"email": "alice@example.com", "query_password": "8866-qp"}', headers)
    assert response.status == 415, response.raw


def test_a_lookup_form_posted_by_another_site_is_refused(post):
    route = next(r for r in POSTS if r.path == LOOKUP)
    response = post(route, urlencode({"email": ALICE, "query_password": "8866-qp"}),
                    {"content-type": http.FORM, "sec-fetch-site": "cross-site", "origin": EVIL})
    assert response.status == 403, response.raw


@pytest.mark.parametrize("route", JSON_ONLY, ids=ids(JSON_ONLY))
@pytest.mark.parametrize("content_type", [http.FORM, "multipart/form-data; boundary=x", "text/plain", "text/plain;charset=UTF-8",
                                          "application/x-json", None])
def test_a_route_no_html_form_posts_to_takes_json_only(post, session, route, content_type):
    # text/plain is what a cross-site form's enctype="text/plain" sends, shaped to read as JSON.
    body = '{"token": "x", "station": "game-zone", "email": "alice@example.com"}'
    headers = {} if content_type is None else {"content-type": content_type}
    response = post(route, body, headers, session=session)
    assert (response.status, response.error["code"]) == (415, "unsupported_media_type"), response.raw
    assert "cookies" not in response.raw


@pytest.mark.parametrize("route", JSON_ONLY, ids=ids(JSON_ONLY))
def test_a_body_less_post_needs_the_json_content_type_too(post, session, route):
    assert post(route, None, {}, session=session).status == 415


@pytest.mark.parametrize("route", JSON_ONLY, ids=ids(JSON_ONLY))
@pytest.mark.parametrize("headers", [BROWSER_PAGE, {}, {"sec-fetch-site": "none"}], ids=["shop-page", "api-client", "typed"])
def test_json_from_the_shops_pages_and_from_api_clients_passes_the_gate(post, session, route, headers):
    if route.path.startswith("/api/owner/") and "origin" in headers:
        # The owner API's pages are the console's, on its own origin.
        headers = headers | {"origin": CONSOLE}
    response = post(route, "{}", {"content-type": "application/json; charset=utf-8", **headers}, session=session)
    assert response.status not in (403, 415), response.raw


# ---------------------------------------------------------------- requests another site's page makes


@pytest.mark.parametrize("route", [r for r in POSTS if r.path not in SIGNED], ids=ids([r for r in POSTS if r.path not in SIGNED]))
@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_every_post_a_page_of_another_site_makes_is_refused(post, session, route, site):
    response = post(route, "{}", {"content-type": "application/json", "sec-fetch-site": site, "origin": EVIL}, session=session)
    # A reseller's API trusts no browser and no cookie: only a request its secret signed.
    expected = (401, "reseller_unauthorized") if route.path.startswith("/api/wholesale/") else (403, "cross_site_request")
    assert (response.status, response.error["code"]) == expected, response.raw
    assert "cookies" not in response.raw


def attacker_token(sign_in, outbox) -> str:
    assert sign_in(BOB).status == 202
    return token_of(last_link(outbox, BOB))


@pytest.mark.parametrize("browser", [
    {"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", "origin": EVIL},
    {"origin": EVIL},  # a browser too old for Sec-Fetch-Site
    {},  # one that sends neither
], ids=["browser", "old-browser", "no-metadata"])
def test_a_form_on_another_site_cannot_sign_the_browser_in_with_the_attackers_token(
        post, sign_in, outbox, start_session, browser):
    token = attacker_token(sign_in, outbox)
    route = next(r for r in POSTS if r.path == "/api/account/session")
    response = post(route, urlencode({"token": token}), {"content-type": http.FORM, **browser})
    assert response.status in (403, 415) and "cookies" not in response.raw
    # Nothing was used up: the link still works where it belongs.
    assert start_session(token).status == 200


def test_the_account_page_still_signs_in_with_json_from_its_own_origin(post, sign_in, outbox):
    token = attacker_token(sign_in, outbox)
    route = next(r for r in POSTS if r.path == "/api/account/session")
    response = post(route, json.dumps({"token": token}), {"content-type": "application/json", **BROWSER_PAGE})
    assert response.status == 200 and cookie_value(response)


@pytest.mark.parametrize("request_headers", [
    {"content-type": http.FORM, "sec-fetch-site": "cross-site", "origin": EVIL},
    {"content-type": http.FORM, "origin": EVIL},
    {"sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors", "origin": EVIL},  # fetch() with no body
], ids=["form", "old-browser-form", "no-cors-fetch"])
def test_a_page_of_another_site_cannot_sign_the_shopper_out(post, session, request_headers):
    route = next(r for r in POSTS if r.path == "/api/account/sign-out")
    response = post(route, "" if "content-type" in request_headers else None, request_headers, session=session)
    assert response.status in (403, 415) and "cookies" not in response.raw


def test_the_account_pages_sign_out_still_clears_the_cookie(post, session):
    route = next(r for r in POSTS if r.path == "/api/account/sign-out")
    response = post(route, "{}", {"content-type": "application/json", **BROWSER_PAGE}, session=session)
    assert response.status == 200 and len(response.raw["cookies"]) == 2


# ---------------------------------------------------------------- the buy form, the one form target


@pytest.fixture
def stocked(sku_with_keys):
    return sku_with_keys(5)


@pytest.fixture
def buy_form(deps, events, stocked):
    """The no-JavaScript buy form's POST as the recorded event carries it, with these browser headers."""

    def post(**headers: Any) -> Response:
        fields = {"station": "game-zone", "sku": stocked.sku, "quantity": 1, "email": ALICE, "query_password": "8866-qp"}
        event = events.checkout(fields, form=True)
        for name in ("sec-fetch-site", "sec-fetch-mode", "sec-fetch-dest", "origin"):
            event["headers"].pop(name, None)
        event["headers"].update({k.replace("_", "-"): v for k, v in headers.items() if v is not None})
        return Response(checkout_handler.handler(event, None))

    return post


@pytest.mark.parametrize("headers", [
    {"sec_fetch_site": "cross-site", "origin": EVIL},
    {"sec_fetch_site": "same-site", "origin": "https://evil.game-zone.example"},
    {"origin": EVIL},
    {"origin": "null"},
    {"origin": "https://game-zone.example.evil.example"},
], ids=["cross-site", "same-site", "old-browser", "null-origin", "look-alike-domain"])
def test_the_buy_form_posted_from_another_site_is_refused_and_reserves_nothing(buy_form, stocked, headers):
    response = buy_form(**headers)
    assert response.status == 403 and response.headers["content-type"].startswith("text/html")
    assert "cookies" not in response.raw
    assert stocked.stock().available == 5


@pytest.mark.parametrize("headers", [
    {"sec_fetch_site": "same-origin", "origin": "https://game-zone.example"},
    # Behind CloudFront the Host header is the API's endpoint: the station's domain is what counts.
    {"origin": "https://game-zone.example"},
    {"origin": "http://game-zone.localhost:8000"},
    {},
], ids=["browser", "old-browser-on-the-stations-domain", "old-browser-on-the-local-server", "no-metadata"])
def test_the_buy_form_from_the_stations_own_page_still_places_the_order(buy_form, stocked, headers):
    response = buy_form(**headers)
    assert response.status == 303, response.raw
    assert stocked.stock().available == 4


def test_the_buy_form_from_a_page_whose_origin_is_the_host_itself_places_the_order(buy_form, stocked):
    response = buy_form(origin="https://k4m3ng0api.execute-api.ap-east-1.amazonaws.com")
    assert response.status == 303, response.raw


def test_checkout_takes_json_or_a_form_and_nothing_else(post, stocked):
    route = next(r for r in POSTS if r.path == CHECKOUT)
    body = json.dumps({"station": "game-zone", "sku": stocked.sku, "quantity": 1, "email": ALICE, "query_password": "8866-qp"})
    assert post(route, body, {"content-type": "text/plain"}).status == 415
    assert post(route, body, {"content-type": "application/json", **BROWSER_PAGE}).status == 201
    assert stocked.stock().available == 4
