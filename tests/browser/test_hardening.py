"""In a real Chromium: a page of another site cannot sign the shopper in as someone else, or out, or
buy in their name; no address on the shop sends the browser to another host; the shop's own
sign-in link, sign-out and buy form still work."""
from __future__ import annotations

import html
import json
import re
import secrets
from urllib.parse import urlsplit

import pytest

from tests.e2e.test_account import sign_in_link

pytestmark = pytest.mark.browser
STATION, PRODUCT, SKU = "game-zone", "qq-coin", "qq-coin-10"
ATTACKER_PAGE = "http://attacker.test/"


def attacker_serves(context, form: str) -> None:
    """A page on another site that posts `form` the moment it opens, as a hostile page would."""
    page = f"<!doctype html><html><body>{form}<script>document.forms[0].submit()</script></body></html>"
    context.route(ATTACKER_PAGE + "**", lambda route: route.fulfill(status=200, content_type="text/html", body=page))


def hidden_form(action: str, fields: dict[str, str], enctype: str = "application/x-www-form-urlencoded") -> str:
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in fields.items())
    return f'<form method="post" action="{html.escape(action)}" enctype="{enctype}">{inputs}</form>'


def mailed_token(shop, email: str) -> str:
    asked = shop.post("/api/account/sign-in", json={"station": STATION, "email": email}, headers={"Host": shop.host(STATION)})
    assert asked.status_code == 202
    return urlsplit(sign_in_link(shop, email)).fragment.removeprefix("signin=")


def api_from_the_page(page, path: str) -> int:
    """The status the shop's API gives this browser now, asked from one of the shop's pages."""
    return page.evaluate("(path) => fetch(path, {credentials: 'same-origin'}).then((r) => r.status)", path)


@pytest.mark.parametrize("enctype", ["application/x-www-form-urlencoded", "text/plain"])
def test_a_form_on_another_site_cannot_sign_the_browser_in_as_the_attacker(browser, shop, enctype):
    attacker = f"attacker-{secrets.token_hex(3)}@example.com"
    token = mailed_token(shop, attacker)
    action = f"http://{shop.host(STATION)}/api/account/session"
    # text/plain: the field's name and value join into a body that reads as JSON.
    fields = {"token": token} if enctype != "text/plain" else {json.dumps({"token": token, "x": ""})[:-2]: '"}'}
    context = browser.new_context()
    attacker_serves(context, hidden_form(action, fields, enctype))
    page = context.new_page()
    with page.expect_response(action) as answered:
        page.goto(ATTACKER_PAGE)
    assert answered.value.status == 403
    page.goto(f"http://{shop.host(STATION)}/account/")
    page.wait_for_selector("#account-sign-in:not([hidden])")
    assert api_from_the_page(page, "/api/account") == 401
    context.close()
    # The refused post used nothing up: the link still signs its owner in.
    used = shop.post("/api/account/session", json={"token": token}, headers={"Host": shop.host(STATION)})
    assert used.status_code == 200


def test_a_form_on_another_site_cannot_sign_the_shopper_out(browser, shop):
    shopper = f"shopper-{secrets.token_hex(3)}@example.com"
    context = browser.new_context()
    page = context.new_page()
    mailed_token(shop, shopper)
    page.goto(sign_in_link(shop, shopper))
    page.wait_for_selector("#account:not([hidden])")
    action = f"http://{shop.host(STATION)}/api/account/sign-out"
    attacker_serves(context, hidden_form(action, {}))
    with page.expect_response(action) as answered:
        page.goto(ATTACKER_PAGE)
    assert answered.value.status == 403
    page.goto(f"http://{shop.host(STATION)}/account/")
    page.wait_for_selector("#account:not([hidden])")
    assert api_from_the_page(page, "/api/account") == 200
    # The account page's own button still signs out.
    page.click("#account-sign-out")
    page.wait_for_selector("#account-sign-in:not([hidden])")
    assert api_from_the_page(page, "/api/account") == 401
    context.close()


def test_a_buy_form_on_another_site_places_no_order(browser, shop):
    before = shop.get(STATION, f"/api/stock?station={STATION}").json()["skus"][SKU]["available"]
    context = browser.new_context()
    attacker_serves(context, hidden_form(f"http://{shop.host(STATION)}/api/checkout", {
        "station": STATION, "sku": SKU, "quantity": "1", "email": "victim@example.com", "query_password": "5678", "rail": "stripe"}))
    page = context.new_page()
    with page.expect_response(re.compile(r"/api/checkout$")) as answered:
        page.goto(ATTACKER_PAGE)
    assert answered.value.status == 403
    page.wait_for_selector("#error-message")
    assert shop.get(STATION, f"/api/stock?station={STATION}").json()["skus"][SKU]["available"] == before
    context.close()


@pytest.mark.parametrize("path", ["/%5C127.0.0.1:{port}/..%2Fp", "/%5Cevil.example/..%2Fp", "/%2F%2Fevil.example/..%2Fp",
                                  "/%09/evil.example/..%2Fp", "//p/qq-coin"])
def test_no_address_on_the_shop_lands_the_browser_on_another_host(browser, shop, path):
    page = browser.new_page()
    page.goto(f"http://{shop.host(STATION)}{path.format(port=shop.port)}")
    assert urlsplit(page.url).netloc == shop.host(STATION)
    page.close()
