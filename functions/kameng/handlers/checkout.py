import re
from typing import Callable
from urllib.parse import urlsplit

from kameng.domain.errors import DomainError
from kameng.http import (
    DEVICE_COOKIE, SESSION_COOKIE, api, body_fields, cookie, device_cookie, header, html_error, is_form,
    is_https, order_cookie, parse, redirect, refuse_foreign_origin, respond, viewers_address,
)
from kameng.domain.ids import new_token
from kameng.domain.rails import paying_from
from kameng.services import checkout, idempotency
from kameng.services.account import session_shopper
from kameng.wiring import deps


def station_hosts(fields: dict) -> Callable[[], list[str]]:
    """The station's own host names, read only for a browser that names an Origin but no Sec-Fetch-Site.

    Behind CloudFront the Host header is the API's own endpoint, so the station's published domain
    is what such a browser's Origin must match.
    """

    def hosts() -> list[str]:
        station = fields.get("station")
        if not isinstance(station, str) or not re.fullmatch(checkout.STATION_ID, station):
            return []
        services = deps()
        book = services.store.price_books.price_book(station)
        if book is None:
            return []
        return [book.domain, urlsplit(services.settings.station_url(book.station, book.domain)).netloc]

    return hosts


@api
def handler(event, context=None):
    # The no-JavaScript buy form posts here, so a form body is taken, from the station's own pages only.
    form = is_form(event)
    try:
        fields = body_fields(event, forms=True)
        refuse_foreign_origin(event, station_hosts(fields))
        key = idempotency.key_of(header(event, idempotency.KEY_HEADER), fields.get(idempotency.KEY_FIELD) if form else None)
        request = parse(checkout.CheckoutRequest, fields)
        claim = None if key is None else idempotency.claim_for(key, request.station, request.email, request, form, deps())
        return idempotency.once(claim, deps(), lambda: place(event, request, form))
    except DomainError as error:
        if form:
            return html_error(error)
        raise


def place(event: dict, request: checkout.CheckoutRequest, form: bool) -> dict:
    shopper = session_shopper(cookie(event, SESSION_COOKIE), request.station, deps())
    # A cookie is the client's to forge: it only adds a name to count under, never removes one.
    device = (cookie(event, DEVICE_COOKIE) or "")[:64] or new_token()
    client = checkout.Client(address=viewers_address(event), device=device,
                             paying_from=paying_from(header(event, "user-agent")))
    placed = checkout.place(request, deps(), session_shopper=shopper, client=client)
    response = redirect(placed.pay_url) if form else respond(201, placed.public_view())
    kept = order_cookie(placed.order.id, placed.token, checkout.ORDER_TOKEN_KEPT, secure=is_https(event))
    return response | {"cookies": [kept, device_cookie(device, secure=is_https(event))]}


@api
def quote(event, context=None):
    request = parse(checkout.QuoteRequest, body_fields(event))
    shopper = session_shopper(cookie(event, SESSION_COOKIE), request.station, deps())
    return respond(200, checkout.quote(request, deps(), session_shopper=shopper))
