from kameng.domain.errors import DomainError
from kameng.http import (
    SESSION_COOKIE, api, body_fields, cookie, html_error, is_form, is_https, order_cookie, parse, redirect, respond,
)
from kameng.services import checkout
from kameng.services.account import session_shopper
from kameng.wiring import deps


@api
def handler(event, context=None):
    form = is_form(event)
    try:
        request = parse(checkout.CheckoutRequest, body_fields(event))
        shopper = session_shopper(cookie(event, SESSION_COOKIE), request.station, deps())
        placed = checkout.place(request, deps(), session_shopper=shopper)
    except DomainError as error:
        if form:
            return html_error(error)
        raise
    response = redirect(placed.pay_url) if form else respond(201, placed.public_view())
    kept = order_cookie(placed.order.id, placed.token, checkout.ORDER_TOKEN_KEPT, secure=is_https(event))
    return response | {"cookies": [kept]}


@api
def quote(event, context=None):
    request = parse(checkout.QuoteRequest, body_fields(event))
    shopper = session_shopper(cookie(event, SESSION_COOKIE), request.station, deps())
    return respond(200, checkout.quote(request, deps(), session_shopper=shopper))
