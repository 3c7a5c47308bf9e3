"""Owners sign in to the console with an e-mail link and a TOTP code; the session is theirs alone."""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import pyotp
import pytest

from kameng.domain.second_factor import STEP_SECONDS
from kameng.services import owners, owner_session
from kameng.services.account import SESSION_COOKIE_PURPOSE
from kameng.services.signed_cookie import sign

from tests.support.owners import Answer, call_route, make_owner

COOKIE = owner_session.COOKIE
ZHANG = "zhang@example.com"
LINK = re.compile(r"http://console\.localhost:8000/#signin=([A-Za-z0-9_-]+)")


@pytest.fixture
def zhang(deps, stations):
    owners.add_owner(deps, "test", ZHANG, "station_owner", stations.substation)
    return ZHANG


def mailed_token(deps, to: str) -> str:
    message = [m for m in deps.mail.sent() if m["To"] == to][-1]
    (token,) = LINK.findall(message.get_content())
    return token


def code_for(secret: str, clock, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock() + timedelta(seconds=offset_steps * STEP_SECONDS))


def open_link(deps, email: str) -> Answer:
    assert call_route("POST", "/api/owner/sign-in", {"email": email}).status == 202
    return call_route("POST", "/api/owner/session", {"token": mailed_token(deps, email)})


def type_code(pending: Answer | str, code: str) -> Answer:
    value = pending if isinstance(pending, str) else pending.cookie(COOKIE)
    return call_route("POST", "/api/owner/totp", {"code": code}, cookies={COOKIE: value})


def me(session: str | None) -> Answer:
    return call_route("GET", "/api/owner/me", cookies={COOKIE: session} if session is not None else None)


@pytest.fixture
def enrolled(deps, clock, zhang):
    """Zhang has set up the second factor: the secret their phone holds."""
    first = open_link(deps, ZHANG)
    assert type_code(first, code_for(first.json["secret"], clock)).status == 200
    # Past the window that counted the set-up's code, on a 10-minute boundary like the test's start.
    clock.advance(minutes=10)
    return first.json["secret"]


def test_the_first_sign_in_sets_up_the_second_factor_then_signs_in(deps, clock, zhang):
    first = open_link(deps, ZHANG)
    assert first.status == 200
    assert first.json["stage"] == "enrol"
    secret = first.json["secret"]
    assert first.json["otpauth_uri"].startswith("otpauth://totp/Kameng:zhang%40example.com?secret=" + secret)
    assert first.json["qr_svg"].startswith("<svg")
    # The link alone signs no one in: the pending session opens nothing.
    assert me(first.cookie(COOKIE)).status == 401

    signed_in = type_code(first, code_for(secret, clock))
    assert signed_in.status == 200
    assert signed_in.json | {"stations": None} == {
        "email": ZHANG, "role": "station_owner", "station": "game-zone", "stations": None, "main_station": "main"}
    session = signed_in.cookie(COOKIE)
    assert me(session).json["email"] == ZHANG


def test_the_session_cookie_is_strict_http_only_and_scoped_to_the_owner_api(deps, clock, zhang):
    first = open_link(deps, ZHANG)
    signed_in = type_code(first, code_for(first.json["secret"], clock))
    (line,) = signed_in.set_cookies
    assert "Path=/api/owner;" in line and "HttpOnly" in line and "SameSite=Strict" in line
    assert "Max-Age=43200" in line


def test_later_sign_ins_ask_only_for_the_code_and_never_show_the_secret_again(deps, clock, enrolled):
    again = open_link(deps, ZHANG)
    assert again.json == {"stage": "verify", "email_masked": "z***g@example.com"}
    assert type_code(again, code_for(enrolled, clock)).status == 200


def test_a_wrong_code_or_a_code_typed_twice_is_refused(deps, clock, enrolled):
    pending = open_link(deps, ZHANG)
    wrong = type_code(pending, "000000" if code_for(enrolled, clock) != "000000" else "111111")
    assert (wrong.status, wrong.code) == (400, "invalid_code")
    code = code_for(enrolled, clock)
    assert type_code(pending, code).status == 200
    # Someone who watched the code being typed cannot use it again, nor an older one.
    replay = type_code(open_link(deps, ZHANG), code)
    assert (replay.status, replay.code) == (400, "invalid_code")


def test_a_code_one_step_off_is_accepted_two_steps_off_is_not(deps, clock, enrolled):
    assert type_code(open_link(deps, ZHANG), code_for(enrolled, clock, -2)).code == "invalid_code"
    assert type_code(open_link(deps, ZHANG), code_for(enrolled, clock, +1)).status == 200


def test_guessing_codes_is_cut_off_after_five_tries(deps, clock, enrolled):
    pending = open_link(deps, ZHANG)
    right = code_for(enrolled, clock)
    wrong = [c for c in ("123456", "234567", "345678", "456789", "567890", "678901") if c != right][:5]
    assert [type_code(pending, c).status for c in wrong] == [400] * 5
    blocked = type_code(pending, right)
    assert (blocked.status, blocked.code) == (429, "rate_limited")


def test_a_sign_in_link_works_once_and_not_for_a_shopper(deps, clock, zhang):
    assert call_route("POST", "/api/owner/sign-in", {"email": ZHANG}).status == 202
    token = mailed_token(deps, ZHANG)
    assert call_route("POST", "/api/owner/session", {"token": token}).status == 200
    again = call_route("POST", "/api/owner/session", {"token": token})
    assert (again.status, again.code) == (400, "invalid_sign_in")

    assert call_route("POST", "/api/owner/sign-in", {"email": ZHANG}).status == 202
    shopper_try = call_route("POST", "/api/account/session", {"token": mailed_token(deps, ZHANG)})
    assert (shopper_try.status, shopper_try.code) == (400, "invalid_sign_in")


def test_a_stranger_gets_the_same_answer_and_no_mail(deps, zhang):
    answer = call_route("POST", "/api/owner/sign-in", {"email": "nobody@example.com"})
    assert (answer.status, answer.json) == (202, {"sent": True})
    assert not [m for m in deps.mail.sent() if m["To"] == "nobody@example.com"]


def test_a_second_link_cannot_replace_a_confirmed_secret(deps, clock, enrolled):
    # Whoever reads the owner's mailbox gets a link, but never a fresh secret for their own phone.
    stolen = open_link(deps, ZHANG)
    assert stolen.json["stage"] == "verify" and "secret" not in stolen.json
    assert type_code(stolen, code_for(enrolled, clock)).status == 200


def test_the_secret_is_kept_sealed(deps, clock, enrolled, data_dir):
    sealed = deps.store.owners.second_factor(deps.store.owners.owner_by_email(ZHANG).id).sealed_secret
    assert enrolled.encode() not in sealed
    assert not any(enrolled.encode() in path.read_bytes() for path in data_dir.rglob("*") if path.is_file())


def test_sessions_expire_and_forged_or_shoppers_cookies_open_nothing(deps, clock, enrolled):
    session = type_code(open_link(deps, ZHANG), code_for(enrolled, clock)).cookie(COOKIE)
    owner_id = deps.store.owners.owner_by_email(ZHANG).id
    forged = session[:-4] + ("AAAA" if not session.endswith("AAAA") else "BBBB")
    shoppers = sign({"o": owner_id, "g": "signed_in", "x": 2_000_000_000}, SESSION_COOKIE_PURPOSE, deps)
    for cookie in (forged, shoppers, "", "not.a.cookie"):
        assert (me(cookie).status, me(cookie).code) == (401, "signed_out")
    assert me(session).status == 200
    clock.advance(hours=12, seconds=1)
    assert me(session).status == 401


def test_an_api_token_still_signs_in_the_remote_cli(deps, stations):
    client = make_owner(deps, "boss@example.com", "platform_owner", None)
    answer = client.call("GET", "/api/owner/me")
    assert answer.status == 200
    assert answer.json["stations"] == ["game-zone", "main"]


def test_sign_out_clears_the_console_cookie(deps, clock, enrolled):
    out = call_route("POST", "/api/owner/sign-out", {})
    assert out.status == 200 and out.cookie(COOKIE) == ""


def test_two_tabs_typing_the_same_code_at_once_sign_in_one(deps, clock, enrolled):
    pendings = [open_link(deps, ZHANG).cookie(COOKIE) for _ in range(4)]
    code = code_for(enrolled, clock)
    results: list[int] = []
    barrier = threading.Barrier(len(pendings))

    def attempt(pending: str) -> None:
        barrier.wait()
        results.append(type_code(pending, code).status)

    threads = [threading.Thread(target=attempt, args=(p,)) for p in pendings]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 400, 400, 400]


def test_after_a_reset_the_next_link_sets_up_a_new_secret_and_the_old_phone_fails(deps, clock, enrolled):
    assert owners.reset_second_factor(deps, "boss@example.com", ZHANG) is True
    fresh = open_link(deps, ZHANG)
    assert fresh.json["stage"] == "enrol" and fresh.json["secret"] != enrolled
    assert type_code(fresh, code_for(enrolled, clock)).code == "invalid_code"
    assert type_code(fresh, code_for(fresh.json["secret"], clock)).status == 200
    actions = [e.action for e in deps.store.audit_log.entries(None, 0, 100)]
    assert "owner.second_factor_reset" in actions and actions.count("owner.second_factor_set") == 2


@pytest.mark.parametrize("origin", ["https://game-zone.shop.example", "https://evil.example",
                                    "http://console.localhost:8001", "null"])
def test_a_page_of_another_origin_cannot_use_the_owner_api(deps, stations, origin):
    client = make_owner(deps, "boss@example.com", "platform_owner", None)
    for answer in (client.call("GET", "/api/owner/me", headers={"origin": origin}),
                   call_route("POST", "/api/owner/sign-in", {"email": ZHANG}, headers={"origin": origin})):
        assert (answer.status, answer.code) == (403, "cross_site_request")
    assert not [m for m in deps.mail.sent() if m["To"] == ZHANG]


def test_the_console_itself_and_scripts_without_an_origin_are_let_through(deps, stations):
    client = make_owner(deps, "boss@example.com", "platform_owner", None)
    assert client.call("GET", "/api/owner/me").status == 200
    event_without_origin = client.call("GET", "/api/owner/me", headers={"origin": "HTTP://Console.localhost:8000"})
    assert event_without_origin.status == 200
