from urllib.parse import parse_qs, quote, urlsplit

from kameng.domain.errors import DomainError, NotFound
from kameng.domain.price_book import DEFAULT_TIME_ZONE
from kameng.domain.shopper import ShopperCredentials
from kameng.http import (
    ORDER_COOKIE, api, body_fields, client_address, cookie, header, is_form, parse, prefers_english, redirect, respond,
)
from kameng.services import lookup, pay_step, tickets
from kameng.handlers import order_html, pay_page
from kameng.wiring import deps


def _token(event):
    authorization = header(event, "authorization") or ""
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return (event.get("queryStringParameters") or {}).get("token") or cookie(event, ORDER_COOKIE)


# The order page's no-JavaScript form goes here: its id reaches the server only in the form or the Referer.
VIEW = "view"


@api
def get_order(event, context=None):
    order_id = (event.get("pathParameters") or {}).get("id", "")
    if order_id == VIEW:
        return _to_order(event)
    if not order_html.prefers_html(event):
        return respond(200, {"order": tickets.order_page_view(order_id, _token(event), deps())})
    # A browser without JavaScript, sent on by the order page: the keys as a page (API clients keep JSON).
    english = prefers_english(event)
    try:
        view = tickets.order_page_view(order_id, _token(event), deps())
        book = deps().store.price_books.price_book(view["station"])
        english = (book.language == "en") if book is not None else english
        return order_html.orders_page([view], english, book.time_zone if book is not None else DEFAULT_TIME_ZONE)
    except DomainError as error:
        return order_html.error_page(error, english)


def _to_order(event) -> dict:
    """On to /api/orders/{id}, the only path the order's cookie is sent to: the id typed in the form, else the
    one in the query of the order page that sent the browser here (a same-origin Referer keeps it). Only an id
    is taken, and only into this API's own path: no Referer can send the browser anywhere else."""
    typed = ((event.get("queryStringParameters") or {}).get("id") or "").strip()
    referred = parse_qs(urlsplit(header(event, "referer") or "").query).get("id", [""])[0]
    order_id = typed or referred.strip()
    if not order_id or order_id == VIEW or not order_id.isalnum():
        error = NotFound("订单不存在")
        if order_html.prefers_html(event):
            return order_html.error_page(error, prefers_english(event))
        raise error
    return redirect(f"/api/orders/{quote(order_id)}")


@api
def report_problem(event, context=None):
    order_id = (event.get("pathParameters") or {}).get("id", "")
    fields = body_fields(event)
    return respond(201, {"ticket": tickets.report(order_id, _token(event), fields, deps())})


@api
def open_pay_page(event, context=None):
    order_id = (event.get("pathParameters") or {}).get("id", "")
    query = event.get("queryStringParameters") or {}
    oauth = (query["code"], query.get("state")) if query.get("code") else None
    try:
        step = pay_step.open_pay_page(order_id, query.get("t"), deps(), oauth)
    except DomainError as error:
        if oauth is None:
            raise
        # Back from WeChat's 网页授权 in WeChat's browser: a page the payer can read, not JSON.
        response = pay_page.error_response(error, pay_page.speaks_english(order_id, query.get("t"), event, deps()))
        response["headers"]["referrer-policy"] = "no-referrer"
        return response
    if isinstance(step, str):
        response = redirect(step)
    else:
        response = {"statusCode": 200, "body": pay_page.render(step),
                    "headers": {"content-type": "text/html; charset=utf-8", "cache-control": "no-store"}}
    # The link's proof stays out of the Referer the rail's page would be sent.
    response["headers"]["referrer-policy"] = "no-referrer"
    return response


@api
def lookup_orders(event, context=None):
    # The order page's lookup form posts here without JavaScript: a form body is answered with a page.
    if not is_form(event):
        credentials = parse(ShopperCredentials, body_fields(event))
        return respond(200, {"orders": lookup.by_shopper(credentials, client_address(event), deps())})
    english = prefers_english(event)
    try:
        credentials = parse(ShopperCredentials, body_fields(event, forms=True))
        views = lookup.by_shopper(credentials, client_address(event), deps())
        book = deps().store.price_books.price_book(views[0]["station"]) if views else None
        english = (book.language == "en") if book is not None else english
        return order_html.orders_page(views, english, book.time_zone if book is not None else DEFAULT_TIME_ZONE)
    except DomainError as error:
        return order_html.error_page(error, english)
