from kameng.domain.errors import DomainError
from kameng.http import api, body_fields, html_error, is_form, is_https, parse, redirect, respond
from kameng.services import checkout
from kameng.wiring import deps


@api
def handler(event, context=None):
    form = is_form(event)
    try:
        placed = checkout.place(parse(checkout.CheckoutRequest, body_fields(event)), deps())
    except DomainError as error:
        if form:
            return html_error(error)
        raise
    response = redirect(placed.pay_url) if form else respond(201, placed.public_view())
    return response | {"cookies": [placed.cookie(secure=is_https(event))]}
