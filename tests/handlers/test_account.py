"""Shopper accounts: a one-time link by e-mail, a signed session cookie, and the account's orders."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from kameng.handlers import account as account_handler
from kameng.http import SESSION_COOKIE
from kameng.services.account import (
    ACCOUNT_ORDERS, SESSION_TTL, SIGN_IN_TTL, SIGN_IN_WINDOW_SECONDS, SIGN_INS_PER_ADDRESS, SIGN_INS_PER_SHOPPER,
)
from tests.handlers.conftest import Response

ALICE = "alice@example.com"
BOB = "bob@example.com"
LINK = re.compile(r"\S+/account/#signin=\S+")


@pytest.fixture
def stocked(sku_with_keys):
    return sku_with_keys(10)


@pytest.fixture
def outbox(deps):
    return deps.mail


@pytest.fixture
def sign_in(deps, api_event):
    """POST /api/account/sign-in as the account page's script sends it."""

    def post(email: str = ALICE, station: str = "game-zone", source_ip: str = "203.0.113.24", body=None,
             headers: dict | None = None) -> Response:
        fields = {"station": station, "email": email} if body is None else body
        event = api_event("POST", "/api/account/sign-in", body=fields, source_ip=source_ip, headers=headers)
        return Response(account_handler.sign_in(event, None))

    return post


def last_link(outbox, to: str) -> str:
    message = [m for m in outbox.sent() if m["To"] == to][-1]
    (link,) = LINK.findall(message.get_content())
    return link


def token_of(link: str) -> str:
    return link.split("#signin=", 1)[1]


@pytest.fixture
def start_session(deps, api_event):
    """POST /api/account/session with the token from the link's fragment."""

    def post(token: str, https: bool = False) -> Response:
        headers = {"x-forwarded-proto": "https" if https else "http"}
        event = api_event("POST", "/api/account/session", body={"token": token}, headers=headers)
        return Response(account_handler.start_session(event, None))

    return post


def cookie_value(response: Response) -> str:
    (set_cookie,) = response.raw["cookies"]
    name, _, rest = set_cookie.partition("=")
    assert name == SESSION_COOKIE
    return rest.split(";", 1)[0]


@pytest.fixture
def signed_in(sign_in, start_session, outbox):
    """A session cookie value for this e-mail at this station, got through the mail link."""

    def session(email: str = ALICE, station: str = "game-zone") -> str:
        assert sign_in(email, station).status == 202
        response = start_session(token_of(last_link(outbox, email)))
        assert response.status == 200, response.raw
        return cookie_value(response)

    return session


@pytest.fixture
def get_account(deps, api_event):
    def get(session: str | None) -> Response:
        event = api_event("GET", "/api/account")
        event["cookies"] = ["_ga=GA1.1.1", f"{SESSION_COOKIE}={session}"] if session is not None else ["_ga=GA1.1.1"]
        return Response(account_handler.get_account(event, None))

    return get


# ---------------------------------------------------------------- the sign-in mail


def test_signing_in_mails_a_link_to_the_stations_account_page(stations, sign_in, outbox):
    response = sign_in(ALICE, "game-zone")
    assert response.status == 202
    link = urlsplit(last_link(outbox, ALICE))
    assert (link.scheme, link.netloc, link.path) == ("http", "game-zone.localhost:8000", "/account/")
    assert link.fragment.startswith("signin=")


def test_in_production_the_link_is_https_on_the_stations_domain(deps, stations, sign_in, outbox):
    import dataclasses

    from kameng import wiring

    wiring.use(dataclasses.replace(deps, settings=dataclasses.replace(deps.settings, public_url="https://{domain}")))
    sign_in(ALICE, "game-zone")
    link = urlsplit(last_link(outbox, ALICE))
    assert (link.scheme, link.netloc, link.path) == ("https", "game-zone.example", "/account/")


def test_the_mail_is_in_the_stations_language(deps, stations, sign_in, outbox):
    book = deps.store.price_books.price_book("game-zone")
    deps.store.price_books.put_price_book(book.model_copy(update={"station": "en-shop", "language": "en"}))
    sign_in(ALICE, "game-zone")
    sign_in(BOB, "en-shop")
    chinese, english = outbox.sent()
    assert "登录" in chinese["Subject"] and "15 分钟" in chinese.get_content()
    assert english["Subject"].startswith("Sign in") and "15 minutes" in english.get_content()


def test_the_link_in_the_mail_signs_the_shopper_in(stations, sign_in, start_session, outbox):
    sign_in(ALICE)
    response = start_session(token_of(last_link(outbox, ALICE)))
    assert response.status == 200 and response.json["email_masked"] == "a***e@example.com"


def test_an_address_that_never_bought_gets_the_same_answer_as_one_that_did(stations, stocked, place, sign_in, outbox):
    place(stations.substation, stocked.sku, email=ALICE)
    known, unknown = sign_in(ALICE), sign_in("nobody@example.com")
    assert (known.status, known.raw["body"]) == (unknown.status, unknown.raw["body"])
    assert {m["To"] for m in outbox.sent()} == {ALICE, "nobody@example.com"}


def test_an_unknown_station_is_refused(stations, sign_in, outbox):
    response = sign_in(ALICE, "no-such-shop")
    assert response.status == 404 and response.error["code"] == "unknown_station" and outbox.sent() == []


def test_an_invalid_email_is_refused_with_the_field(stations, sign_in):
    response = sign_in("not-an-address")
    assert response.status == 400 and response.error["fields"][0]["loc"] == "email"


def test_asking_too_often_for_one_email_is_rate_limited(stations, sign_in, outbox):
    answers = [sign_in(ALICE, source_ip=f"198.51.100.{i}").status for i in range(SIGN_INS_PER_SHOPPER + 1)]
    assert answers == [202] * SIGN_INS_PER_SHOPPER + [429]
    assert len(outbox.sent()) == SIGN_INS_PER_SHOPPER


def test_one_address_asking_for_many_emails_is_rate_limited(stations, sign_in):
    answers = [sign_in(f"shopper{i}@example.com", source_ip="198.51.100.7").status for i in range(SIGN_INS_PER_ADDRESS + 1)]
    assert answers == [202] * SIGN_INS_PER_ADDRESS + [429]


def test_the_rate_limit_says_when_to_retry_and_lifts_after_the_window(stations, sign_in, clock):
    for _ in range(SIGN_INS_PER_SHOPPER):
        sign_in(ALICE)
    limited = sign_in(ALICE)
    assert (limited.error["code"], int(limited.headers["retry-after"])) == ("rate_limited", SIGN_IN_WINDOW_SECONDS)
    clock.advance(seconds=SIGN_IN_WINDOW_SECONDS)
    assert sign_in(ALICE).status == 202


# ---------------------------------------------------------------- the session


def test_a_sign_in_link_works_only_once(stations, sign_in, start_session, outbox):
    sign_in(ALICE)
    token = token_of(last_link(outbox, ALICE))
    assert start_session(token).status == 200
    again = start_session(token)
    assert again.status == 400 and again.error["code"] == "invalid_sign_in" and "cookies" not in again.raw


def test_an_expired_sign_in_link_is_refused(stations, sign_in, start_session, outbox, clock):
    sign_in(ALICE)
    clock.advance(seconds=SIGN_IN_TTL.total_seconds())
    response = start_session(token_of(last_link(outbox, ALICE)))
    assert response.status == 400 and response.error["code"] == "invalid_sign_in"


def test_a_link_used_just_before_it_expires_still_works(stations, sign_in, start_session, outbox, clock):
    sign_in(ALICE)
    clock.advance(seconds=SIGN_IN_TTL.total_seconds() - 1)
    assert start_session(token_of(last_link(outbox, ALICE))).status == 200


def test_a_made_up_token_is_refused(stations, start_session):
    response = start_session("x" * 43)
    assert response.status == 400 and response.error["code"] == "invalid_sign_in"


def test_the_session_cookie_is_http_only_lax_scoped_to_the_api_and_lasts_thirty_days(
        stations, sign_in, start_session, outbox):
    sign_in(ALICE)
    (set_cookie,) = start_session(token_of(last_link(outbox, ALICE))).raw["cookies"]
    attributes = {part.strip().split("=")[0]: part.strip().partition("=")[2] for part in set_cookie.split(";")[1:]}
    assert attributes == {"Path": "/api", "Max-Age": str(int(SESSION_TTL.total_seconds())),
                          "HttpOnly": "", "SameSite": "Lax"}


def test_the_session_cookie_is_secure_when_the_request_came_over_https(stations, sign_in, start_session, outbox):
    sign_in(ALICE)
    (set_cookie,) = start_session(token_of(last_link(outbox, ALICE)), https=True).raw["cookies"]
    assert "Secure" in [part.strip() for part in set_cookie.split(";")]


def test_without_a_cookie_the_account_is_signed_out(stations, get_account):
    response = get_account(None)
    assert response.status == 401 and response.error["code"] == "signed_out"


def test_a_tampered_cookie_is_signed_out(stations, signed_in, get_account):
    value = signed_in()
    payload, signature = value.split(".")
    forged_payload = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")
    for forged in (f"{forged_payload}.{signature}", f"{payload}.{signature[:-2]}xx", payload, f"{payload}.", "garbage"):
        response = get_account(forged)
        assert response.status == 401 and response.error["code"] == "signed_out", forged


def test_a_cookie_signed_by_another_shop_is_signed_out(stations, signed_in, get_account, deps):
    import dataclasses

    from kameng import wiring
    from kameng.adapters.cipher_local import LocalCipher

    value = signed_in()
    wiring.use(dataclasses.replace(deps, cipher=LocalCipher(b"\x07" * 32)))
    assert get_account(value).status == 401


def test_a_session_expires_after_thirty_days(stations, signed_in, get_account, clock):
    value = signed_in()
    clock.advance(seconds=SESSION_TTL.total_seconds() - 1)
    assert get_account(value).status == 200
    clock.advance(seconds=1)
    assert get_account(value).status == 401


def test_signing_out_clears_the_cookie(deps, api_event):
    event = api_event("POST", "/api/account/sign-out", body={}, headers={"x-forwarded-proto": "https"})
    response = Response(account_handler.sign_out(event, None))
    assert response.status == 200
    paths = set()
    for set_cookie in response.raw["cookies"]:
        parts = [part.strip() for part in set_cookie.split(";")]
        assert parts[0] == f"{SESSION_COOKIE}=" and "Max-Age=0" in parts and "Secure" in parts
        paths |= {part for part in parts if part.startswith("Path=")}
    # today's cookie path, and the one sessions had before checkout read them
    assert paths == {"Path=/api", "Path=/api/account"}


# ---------------------------------------------------------------- the account


def test_the_account_lists_the_emails_orders_newest_first_with_keys_once_delivered(
        stations, stocked, place, pay, signed_in, get_account, order_view, clock):
    delivered = place(stations.substation, stocked.sku, 2, email=ALICE)
    pay(delivered)
    clock.advance(seconds=1)
    pending = place(stations.substation, stocked.sku, email="Alice@Example.com")
    account = get_account(signed_in()).json
    assert [o["id"] for o in account["orders"]] == [pending.order_id, delivered.order_id]
    assert account["orders"][1]["keys"] == order_view(delivered)["keys"] and len(account["orders"][1]["keys"]) == 2
    assert account["orders"][0]["status"] == "pending" and account["orders"][0]["keys"] == []


def test_spend_is_the_total_of_delivered_orders_only(stations, stocked, place, pay, signed_in, get_account):
    first, second = place(stations.substation, stocked.sku, 2, email=ALICE), place(stations.substation, stocked.sku, email=ALICE)
    pay(first)
    pay(second)
    place(stations.substation, stocked.sku, email=ALICE)  # not paid
    account = get_account(signed_in()).json
    assert account["spend"] == first.total + second.total and account["currency"] == "CNY"


def test_a_refunded_order_no_longer_counts_towards_spend(deps, stations, stocked, place, pay, signed_in, get_account):
    from kameng.services.refunds import refund_order

    kept, refunded = place(stations.substation, stocked.sku, email=ALICE), place(stations.substation, stocked.sku, email=ALICE)
    pay(kept)
    pay(refunded)
    assert get_account(signed_in()).json["spend"] == kept.total + refunded.total
    refund_order(refunded.order_id, "owner refund", deps)
    account = get_account(signed_in()).json
    assert account["spend"] == kept.total
    assert {o["id"]: o["status"] for o in account["orders"]}[refunded.order_id] == "refunded"


def test_a_station_without_levels_points_or_referrals_shows_none_of_them(stations, stocked, place, pay, signed_in, get_account):
    pay(place(stations.substation, stocked.sku, email=ALICE))
    account = get_account(signed_in()).json
    assert (account["level"], account["points"], account["referral"], account["coupons"]) == (None, None, None, [])
    assert account["email_masked"] == "a***e@example.com"


def test_a_shopper_never_sees_another_shoppers_orders(stations, stocked, place, pay, signed_in, get_account):
    alices = place(stations.substation, stocked.sku, email=ALICE)
    bobs = place(stations.substation, stocked.sku, email=BOB)
    pay(alices)
    pay(bobs)
    assert [o["id"] for o in get_account(signed_in(BOB)).json["orders"]] == [bobs.order_id]
    assert [o["id"] for o in get_account(signed_in(ALICE)).json["orders"]] == [alices.order_id]


def test_an_account_shows_only_the_orders_of_the_station_it_signed_in_at(stations, stocked, place, signed_in, get_account):
    at_substation = place(stations.substation, stocked.sku, email=ALICE)
    at_main = place(stations.main, stocked.sku, email=ALICE)
    assert [o["id"] for o in get_account(signed_in(station=stations.substation)).json["orders"]] == [at_substation.order_id]
    assert [o["id"] for o in get_account(signed_in(station=stations.main)).json["orders"]] == [at_main.order_id]


def test_a_new_account_has_no_orders_and_no_spend(stations, signed_in, get_account):
    account = get_account(signed_in("new@example.com")).json
    assert (account["orders"], account["spend"], account["currency"]) == ([], 0, "CNY")


def test_the_account_lists_at_most_its_newest_orders(stations, sku_with_keys, place, signed_in, get_account, clock):
    stocked = sku_with_keys(ACCOUNT_ORDERS + 1, max_quantity=1)
    for _ in range(ACCOUNT_ORDERS + 1):
        place(stations.substation, stocked.sku, email=ALICE)
        clock.advance(seconds=1)
    assert len(get_account(signed_in()).json["orders"]) == ACCOUNT_ORDERS
