"""A shopper's account over HTTP: ask for a link, read it from the mail, sign in with it, see the orders."""
from __future__ import annotations

import re
import secrets
from email import message_from_bytes, policy
from urllib.parse import urlsplit

import pytest

from tests.e2e.test_purchase import SKU, STATION, checkout, fresh_keys, pay

EMAIL = "account-e2e@example.com"


def sign_in_link(shop, to: str) -> str:
    """The link in the newest sign-in mail to this address, read from the data dir's outbox."""
    for path in sorted((shop.data_dir / "outbox").glob("*.eml"), reverse=True):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == to:
            return re.search(r"\S+/account/#signin=\S+", message.get_content()).group(0)
    raise AssertionError(f"no mail to {to} in the outbox")


@pytest.fixture(scope="module")
def bought(shop, tmp_path_factory):
    shop.import_keys(SKU, fresh_keys(3), tmp_path_factory.mktemp("keys"))
    placed = checkout(shop, email=EMAIL)
    assert pay(shop, placed).status_code == 303
    return placed


def test_the_account_page_is_served_with_its_sign_in_form(shop):
    page = shop.get(STATION, "/account/")
    assert page.status_code == 200 and 'id="account-sign-in-form"' in page.text


def test_a_shopper_signs_in_from_the_mail_and_sees_their_delivered_order(shop, bought):
    asked = shop.post("/api/account/sign-in", json={"station": STATION, "email": EMAIL}, headers={"Host": shop.host(STATION)})
    assert asked.status_code == 202
    link = urlsplit(sign_in_link(shop, EMAIL))
    assert (link.netloc, link.path) == (shop.host(STATION), "/account/")
    token = link.fragment.removeprefix("signin=")

    browser = __import__("requests").Session()
    started = browser.post(f"{shop.base}/api/account/session", json={"token": token}, headers={"Host": shop.host(STATION)}, timeout=10)
    assert started.status_code == 200
    set_cookie = started.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie and "Path=/api;" in set_cookie
    assert "Secure" not in set_cookie  # plain http here; over https it is Secure

    account = browser.get(f"{shop.base}/api/account", headers={"Host": shop.host(STATION)}, timeout=10)
    assert account.status_code == 200
    orders = account.json()["orders"]
    assert [o["id"] for o in orders] == [bought["order_id"]] and orders[0]["status"] == "delivered" and orders[0]["keys"]
    assert account.json()["spend"] == bought["total"]

    again = shop.post("/api/account/session", json={"token": token}, headers={"Host": shop.host(STATION)})
    assert again.status_code == 400 and again.json()["error"]["code"] == "invalid_sign_in"

    out = browser.post(f"{shop.base}/api/account/sign-out", json={}, headers={"Host": shop.host(STATION)}, timeout=10)
    assert out.status_code == 200
    assert browser.get(f"{shop.base}/api/account", timeout=10).status_code == 401


def test_an_unknown_address_gets_the_same_answer(shop, bought):
    known = shop.post("/api/account/sign-in", json={"station": STATION, "email": EMAIL})
    unknown = shop.post("/api/account/sign-in", json={"station": STATION, "email": f"{secrets.token_hex(4)}@example.com"})
    assert (known.status_code, known.text) == (unknown.status_code, unknown.text) == (202, '{"sent":true}')


def test_a_forged_session_cookie_is_refused(shop):
    response = shop.get(STATION, "/api/account", headers={"Cookie": "account_session=eyJrIjoieCJ9.forged"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "signed_out"
