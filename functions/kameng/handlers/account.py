from kameng.http import (
    ENGLISH, SESSION_COOKIE, accept_post, api, body_fields, cleared_session_cookies, client_address, cookie, is_https,
    parse, prefers_english, respond, session_cookie,
)
from kameng.services import account, real_name
from kameng.wiring import deps


@api
def sign_in(event, context=None):
    account.request_sign_in(parse(account.SignInRequest, body_fields(event)), client_address(event), deps())
    # The same answer whether or not the address has ever bought anything.
    return respond(202, {"sent": True})


@api
def start_session(event, context=None):
    request = parse(account.SessionStart, body_fields(event))
    session, value = account.start_session(request, deps())
    referral = account.join(session, request.ref, deps())
    if "code" in referral and prefers_english(event):
        # A refused referral is not an error, so the error path's translation does not reach it.
        referral["message"] = ENGLISH.get(referral["code"], referral["message"])
    body = {"email_masked": session.email_masked, "expires_at": session.expires_at.isoformat(), "referral": referral}
    return respond(200, body) | {"cookies": [session_cookie(value, account.SESSION_TTL, secure=is_https(event))]}


@api
def sign_out(event, context=None):
    # A page of another site must not sign the shopper out: the same gate as every other POST.
    accept_post(event)
    return respond(200, {"signed_out": True}) | {"cookies": cleared_session_cookies(secure=is_https(event))}


@api
def get_account(event, context=None):
    session = account.read_session(cookie(event, SESSION_COOKIE), deps())
    return respond(200, account.overview(session, deps()))


@api
def redeem_points(event, context=None):
    accept_post(event)
    session = account.read_session(cookie(event, SESSION_COOKIE), deps())
    return respond(201, account.redeem(session, deps()))


@api
def request_withdrawal(event, context=None):
    session = account.read_session(cookie(event, SESSION_COOKIE), deps())
    request = parse(account.WithdrawalRequest, body_fields(event))
    return respond(201, account.request_withdrawal(session, request, deps()))


@api
def get_real_name(event, context=None):
    session = account.read_session(cookie(event, SESSION_COOKIE), deps())
    return respond(200, real_name.status(session.station, session.shopper_key, deps()))


@api
def verify_real_name(event, context=None):
    accept_post(event)
    session = account.read_session(cookie(event, SESSION_COOKIE), deps())
    request = parse(real_name.RealNameRequest, body_fields(event))
    return respond(201, real_name.verify(session.station, session.shopper_key, request, deps()))
