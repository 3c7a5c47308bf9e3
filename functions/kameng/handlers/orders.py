from kameng.domain.errors import DomainError
from kameng.domain.shopper import ShopperCredentials
from kameng.http import ORDER_COOKIE, api, body_fields, client_address, cookie, header, parse, redirect, respond
from kameng.services import lookup, pay_step, tickets
from kameng.handlers import pay_page
from kameng.wiring import deps


def _token(event):
    authorization = header(event, "authorization") or ""
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return (event.get("queryStringParameters") or {}).get("token") or cookie(event, ORDER_COOKIE)


@api
def get_order(event, context=None):
    order_id = (event.get("pathParameters") or {}).get("id", "")
    return respond(200, {"order": tickets.order_page_view(order_id, _token(event), deps())})


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
        response = pay_page.error_response(error)
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
    credentials = parse(ShopperCredentials, body_fields(event))
    return respond(200, {"orders": lookup.by_shopper(credentials, client_address(event), deps())})
