"""Sign-in links and sessions leave no usable secret in the store files or the log."""
from __future__ import annotations

import logging

import pytest

from kameng.handlers import account as account_handler
from kameng.http import SESSION_COOKIE
from kameng.services.account import SESSION_COOKIE_PURPOSE
from kameng.services.signed_cookie import signing_key as session_key
from tests.handlers.conftest import Response
from tests.handlers.test_secrets import logged_text, stored_bytes

EMAIL = "carol@example.com"


@pytest.fixture
def signed_in_shopper(stations, sku_with_keys, place, pay, deps, api_event, caplog):
    """A shopper who bought, asked for two links, used one, and read the account page."""
    caplog.set_level(logging.DEBUG)
    pay(place(stations.substation, sku_with_keys(2).sku, email=EMAIL))
    for _ in range(2):
        account_handler.sign_in(api_event("POST", "/api/account/sign-in", body={"station": "game-zone", "email": EMAIL}))
    # The purchase also sent its delivery mail: only the sign-in mails carry a sign-in link.
    tokens = [m.get_content().split("#signin=", 1)[1].split()[0] for m in deps.mail.sent() if "#signin=" in m.get_content()]
    started = account_handler.start_session(api_event("POST", "/api/account/session", body={"token": tokens[0]}))
    cookie = started["cookies"][0].split(";", 1)[0].partition("=")[2]
    event = api_event("GET", "/api/account")
    event["cookies"] = [f"{SESSION_COOKIE}={cookie}"]
    assert Response(account_handler.get_account(event)).status == 200
    return tokens, cookie, session_key(SESSION_COOKIE_PURPOSE, deps).decode()


def test_the_store_files_hold_no_sign_in_token(signed_in_shopper, data_dir):
    tokens, _, _ = signed_in_shopper
    raw = stored_bytes(data_dir)
    assert raw and [t for t in tokens if t.encode() in raw] == []


def test_the_store_files_hold_no_session_cookie_or_session_key(signed_in_shopper, data_dir):
    _, cookie, key = signed_in_shopper
    raw = stored_bytes(data_dir)
    assert cookie.encode() not in raw and cookie.split(".")[1].encode() not in raw and key.encode() not in raw


def test_no_sign_in_token_session_cookie_or_session_key_reaches_the_log(signed_in_shopper, caplog):
    tokens, cookie, key = signed_in_shopper
    logged = logged_text(caplog)
    assert [secret for secret in [*tokens, cookie, cookie.split(".")[1], key] if secret in logged] == []
