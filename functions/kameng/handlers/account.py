from kameng.http import api, body_fields, client_address, cookie, is_https, parse, respond
from kameng.services import account
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
    body = {"email_masked": session.email_masked, "expires_at": session.expires_at.isoformat(),
            "referral": account.join(session, request.ref, deps())}
    return respond(200, body) | {"cookies": [account.session_cookie(value, secure=is_https(event))]}


@api
def sign_out(event, context=None):
    return respond(200, {"signed_out": True}) | {"cookies": account.cleared_cookies(secure=is_https(event))}


@api
def get_account(event, context=None):
    session = account.read_session(cookie(event, account.SESSION_COOKIE), deps())
    return respond(200, account.overview(session, deps()))


@api
def redeem_points(event, context=None):
    session = account.read_session(cookie(event, account.SESSION_COOKIE), deps())
    return respond(201, account.redeem(session, deps()))
