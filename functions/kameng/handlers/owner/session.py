from datetime import timedelta

from kameng.handlers.owner.gate import owner_api, refuse_other_origins
from kameng.http import accept_post, api, body_fields, client_address, cookie, is_https, parse, respond, set_cookie
from kameng.services import owner_session
from kameng.services.owner_session import COOKIE, COOKIE_PATH, OwnerCookie
from kameng.wiring import deps


def _session_cookie(value: str, lasts: timedelta, event: dict) -> str:
    # SameSite=Strict: the console is never entered from another site's link with a session to use.
    return set_cookie(COOKIE, value, COOKIE_PATH, lasts, secure=is_https(event), same_site="Strict")


def _with_cookie(response: dict, session: OwnerCookie, event: dict) -> dict:
    return response | {"cookies": [_session_cookie(session.value(deps()), session.lasts, event)]}


@api
def sign_in(event, context=None):
    refuse_other_origins(event)
    owner_session.request_sign_in(parse(owner_session.OwnerSignIn, body_fields(event)), client_address(event), deps())
    # The same answer whether or not the address is an owner's.
    return respond(202, {"sent": True})


@api
def start_session(event, context=None):
    refuse_other_origins(event)
    step, pending = owner_session.use_link(parse(owner_session.OwnerLink, body_fields(event)), deps())
    return _with_cookie(respond(200, step), pending, event)


@api
def verify_code(event, context=None):
    refuse_other_origins(event)
    request = parse(owner_session.OwnerCode, body_fields(event))
    owner, session = owner_session.verify_code(request, cookie(event, COOKIE), deps())
    return _with_cookie(respond(200, owner_session.whoami(owner, deps())), session, event)


@api
def sign_out(event, context=None):
    accept_post(event)
    return respond(200, {"signed_out": True}) | {"cookies": [_session_cookie("", timedelta(0), event)]}


@owner_api
def me(event, owner):
    return respond(200, owner_session.whoami(owner, deps()))
