"""API Gateway HTTP API (payload v2) events in, JSON responses out, errors as data."""
from __future__ import annotations

import base64
import hmac
import ipaddress
import json
import logging
from datetime import timedelta
from functools import cache
from typing import Any, Callable, Iterable, TypeVar
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, ValidationError

from kameng import config
from kameng.domain import errors
from kameng.domain import real_name, tickets

log = logging.getLogger(__name__)
Model = TypeVar("Model", bound=BaseModel)
MAX_BODY_BYTES = 64 * 1024
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
# Sec-Fetch-Site values of a request the shop's own pages made, or one typed or bookmarked.
SAME_SITE_FETCHES = frozenset({"same-origin", "none"})
# Added by CloudFront to every origin request with the deployment's token (infra/template.base.yaml).
EDGE_HEADER = "x-kameng-edge"
VIEWER_ADDRESS_HEADER = "cloudfront-viewer-address"


class UnsupportedMediaType(errors.DomainError):
    code = "unsupported_media_type"


class CrossSiteRequest(errors.DomainError):
    code = "cross_site_request"


STATUS = {
    errors.InvalidRequest: 400,
    errors.RailNotOffered: 400,
    errors.InvalidSignature: 400,
    errors.InvalidSignIn: 400,
    errors.SignedOut: 401,
    # Only a page of another site meets this, never the shop's own pages or an API client.
    # Behind CloudFront the distribution answers it with its 404 page (CustomErrorResponses).
    CrossSiteRequest: 403,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.UnknownStation: 404,
    errors.UnknownSku: 404,
    errors.SoldOut: 409,
    errors.NotSelling: 409,
    errors.FlashSaleSoldOut: 409,
    errors.ShopperLimit: 409,
    errors.CouponUsedUp: 409,
    errors.CouponNotApplicable: 422,
    errors.ReferralRefused: 409,
    errors.NotEnoughPoints: 409,
    errors.NothingToWithdraw: 409,
    errors.NotRefundable: 409,
    errors.RefundNotOwed: 409,
    errors.RefundPaidAlready: 409,
    errors.QuantityOutOfRange: 422,
    errors.RequestInProgress: 409,
    errors.IdempotencyKeyReused: 422,
    tickets.TicketClosed: 409,
    tickets.TicketAlreadyOpen: 409,
    tickets.KeyNotReportable: 409,
    errors.UploadUsed: 409,
    errors.UploadMissing: 409,
    errors.UploadTooLarge: 413,
    UnsupportedMediaType: 415,
    errors.RateLimited: 429,
    # Not 403: CloudFront turns the API's 403 into the shop's 404 page (infra: CustomErrorResponses).
    errors.RiskBlocked: 422,
    errors.RiskVelocity: 429,
    errors.GatewayUnavailable: 503,
    errors.Busy: 503,
    errors.ContentInvalid: 422,
    errors.ContentChanged: 409,
    errors.PayoutOverBalance: 409,
    errors.PayoutWrongStatus: 409,
    errors.NotDeliverable: 409,
    real_name.RealNameMismatch: 422,
    real_name.RealNameVerified: 409,
    real_name.RealNameUnavailable: 503,
    errors.SupplierRefused: 502,
    errors.SupplierUnavailable: 503,
    errors.InvalidCallback: 400,
    errors.ResellerUnauthorized: 401,
    errors.InsufficientBalance: 402,
    errors.WholesaleRefused: 422,
}


def header(event: dict, name: str) -> str | None:
    # API Gateway lower-cases header names in v2 events; the local server does the same.
    return (event.get("headers") or {}).get(name.lower())


def cookie(event: dict, name: str) -> str | None:
    # HTTP API v2 hands cookies over as a list of "name=value" strings.
    for pair in event.get("cookies") or []:
        key, _, value = pair.strip().partition("=")
        if key == name:
            return value
    return None


def is_https(event: dict) -> bool:
    return header(event, "x-forwarded-proto") == "https"


ORDER_COOKIE = "order_token"
SESSION_COOKIE = "account_session"
# Checkout and the quote read the session too (a signed-in member's level), so the cookie goes to all of /api.
SESSION_PATH = "/api"
# Where sessions made before that lived; signing out clears both.
OLD_SESSION_PATH = "/api/account"


def set_cookie(name: str, value: str, path: str, lasts: timedelta, secure: bool, same_site: str = "Lax") -> str:
    # HttpOnly: no script needs these values, so none that slips into a page can read them.
    attributes = f"Path={path}; Max-Age={int(lasts.total_seconds())}; HttpOnly; SameSite={same_site}"
    return f"{name}={value}; {attributes}" + ("; Secure" if secure else "")


def order_cookie(order_id: str, token: str, kept: timedelta, secure: bool) -> str:
    # Sent back only to this order's API path: no other request carries the token.
    return set_cookie(ORDER_COOKIE, token, f"/api/orders/{order_id}", kept, secure)


def session_cookie(value: str, lasts: timedelta, secure: bool) -> str:
    return set_cookie(SESSION_COOKIE, value, SESSION_PATH, lasts, secure)


def cleared_session_cookies(secure: bool) -> list[str]:
    return [set_cookie(SESSION_COOKIE, "", path, timedelta(0), secure) for path in (SESSION_PATH, OLD_SESSION_PATH)]


def raw_body(event: dict, limit: int = MAX_BODY_BYTES) -> bytes:
    body = event.get("body") or ""
    try:
        data = base64.b64decode(body, validate=True) if event.get("isBase64Encoded") else body.encode()
    except ValueError:  # binascii.Error: what API Gateway never sends, a forger may
        raise errors.InvalidRequest("请求体不是有效的 base64") from None
    if len(data) > limit:
        raise errors.InvalidRequest(f"请求体过大（最多 {limit} 字节）")
    return data


def media_type(event: dict) -> str:
    return (header(event, "content-type") or "").split(";", 1)[0].strip().lower()


def is_form(event: dict) -> bool:
    return media_type(event) == FORM


def refuse_cross_site(event: dict) -> None:
    """Refuse what a page of another site made the shopper's browser send: browsers set Sec-Fetch-Site, pages cannot."""
    fetched_from = (header(event, "sec-fetch-site") or "").strip().lower()
    if fetched_from and fetched_from not in SAME_SITE_FETCHES:
        raise CrossSiteRequest("拒绝来自其他网站的请求：请在本店页面上操作")


def refuse_foreign_origin(event: dict, own_hosts: Callable[[], Iterable[str]]) -> None:
    """For a form target: a browser too old for Sec-Fetch-Site still names the posting page's Origin."""
    if header(event, "sec-fetch-site"):
        return refuse_cross_site(event)
    origin = header(event, "origin")
    if origin is None:
        return None
    parts = urlsplit(origin.strip())
    host = parts.netloc.lower() if parts.scheme in ("http", "https") else ""
    if host and (host == (header(event, "host") or "").lower() or host in {h.lower() for h in own_hosts()}):
        return None
    raise CrossSiteRequest("拒绝来自其他网站的请求：请在本店页面上操作")


def accept_post(event: dict, forms: bool = False) -> None:
    """A POST that changes something: from the shop's pages or an API client, in a type the route reads.

    Only application/json, unless the route is a no-JavaScript form's target: a page of another
    site can post a form or text/plain anywhere, but JSON only after a CORS preflight this API
    never grants.
    """
    refuse_cross_site(event)
    if forms and media_type(event) not in (JSON, FORM):
        raise UnsupportedMediaType(f"请求体须为 {JSON} 或 {FORM}（Content-Type 头）")
    if not forms and media_type(event) != JSON:
        raise UnsupportedMediaType(f"此接口只接受 {JSON}（Content-Type 头）；网页上的表单请启用 JavaScript 后提交")


def body_fields(event: dict, forms: bool = False, limit: int = MAX_BODY_BYTES) -> dict[str, Any]:
    accept_post(event, forms)
    data = raw_body(event, limit)
    try:
        if is_form(event):
            return dict(parse_qsl(data.decode(), keep_blank_values=True))
        parsed = json.loads(data or b"{}")
    except (ValueError, RecursionError):
        # ValueError: invalid JSON or UTF-8, and an integer past Python's 4,300-digit conversion limit.
        # RecursionError: a few KB of "[[[[" nests deeper than the parser will go.
        raise errors.InvalidRequest("请求体不是有效的 JSON") from None
    if not isinstance(parsed, dict):
        raise errors.InvalidRequest("请求体须为 JSON 对象")
    return parsed


def parse(model: type[Model], fields: dict[str, Any]) -> Model:
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        problems = [
            {"loc": ".".join(str(part) for part in e["loc"]) or "body", "msg": e["msg"].removeprefix("Value error, ")}
            for e in error.errors(include_url=False, include_context=False, include_input=False)
        ]
        summary = "；".join(f"{p['loc']}: {p['msg']}" for p in problems)
        raise errors.InvalidRequest(f"请求参数有误：{summary}", fields=problems) from None


def respond(status: int, body: Any, headers: dict[str, str] | None = None) -> dict:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json; charset=utf-8", "cache-control": "no-store", **(headers or {})},
        "body": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
    }


# Messages are written in Chinese, the default; a shopper whose browser asks for
# English gets these instead (the code and the fields stay the same).
ENGLISH = {
    "invalid_request": "Some fields are not valid: please check them and try again.",
    "unsupported_media_type": "This address takes a JSON body (Content-Type: application/json); for a web form, turn JavaScript on.",
    "cross_site_request": "Refused: this request came from another website. Please use the shop's own pages.",
    "invalid_signature": "The notification's signature is missing, forged or too old.",
    "not_found": "No such order.",
    "unknown_station": "No such shop.",
    "unknown_sku": "This shop does not sell that item.",
    "quantity_out_of_range": "That quantity is outside what one order may buy.",
    "sold_out": "Sold out.",
    "not_selling": "Not available for now: its supplier cost is above this shop's price.",
    "flash_sale_sold_out": "The flash sale's quantity is gone: the sale is over, the item is still sold at its usual price.",
    "shopper_limit": "You have reached this item's per-shopper limit (for the flash sale, or for today).",
    "rate_limited": "Too many requests: please try again in 10 minutes.",
    "risk_blocked": "This order cannot be accepted: please contact the shop's support if you think this is a mistake.",
    "risk_velocity": "Too many orders in a short time: please try again in an hour, or contact the shop's support.",
    "busy": "Many shoppers are buying right now: please try again.",
    "gateway_unavailable": "Payments are unavailable right now: please try again shortly.",
    "rail_not_offered": "This shop does not take that way of paying; choose another one.",
    "invalid_sign_in": "This sign-in link is invalid, used already or expired: please ask for a new one.",
    "signed_out": "You are signed out: please sign in with your e-mail.",
    "forbidden": "Your role may not do this at this station.",
    "invalid_owner_token": "This owner token is unknown, revoked or expired: ask for a new one.",
    "not_refundable": "This order, or these keys, cannot be refunded as they stand.",
    "refund_not_owed": "This order owes no refund to pay back by hand: only a bank order the shop refunded does.",
    "refund_paid_already": "This refund was recorded as paid back with another bank reference; the first record stands.",
    "invalid_code": "That code is wrong or was used already: type the current code from your authenticator app.",
    "coupon_used_up": "This coupon has been used up.",
    "coupon_not_applicable": "This coupon does not apply to this order.",
    "referral_refused": "This referral link cannot be used for your account.",
    "no_referral_poster": "This shop has no referral programme, or your account has no referral link yet.",
    "not_enough_points": "You do not have enough points for that.",
    "nothing_to_withdraw": "Not enough commission is withdrawable yet.",
    "request_in_progress": "This request is still being processed: please try again in a moment.",
    "idempotency_key_reused": "This Idempotency-Key was used for another request: send a new key.",
    "ticket_closed": "This ticket has been dealt with already.",
    "ticket_already_open": "This key already has an open report: please follow that one on the order page.",
    "key_not_reportable": "Only a key of this order, once it is delivered, can be reported.",
    "upload_used": "This upload was imported already: upload the file again to import it again.",
    "upload_missing": "The file has not been uploaded (or not whole) yet: upload it, then import.",
    "upload_too_large": "The file is too large: split it into files of at most 20 MB.",
    "content_invalid": "The content has mistakes and was not published: each one names its file and field.",
    "content_changed": "This station's content changed since you opened the editor: reload it and apply your edits again.",
    "payout_over_balance": "The amount is more than the station's balance due less the payouts already asked for.",
    "payout_wrong_status": "This payout cannot take that step from its current status (paid and rejected ones are final).",
    "order_not_deliverable": "Only a paid order in needs_attention, never delivered or refunded, can be delivered by hand.",
    "supplier_refused": "The supplier refused this order; nothing was charged.",
    "supplier_unavailable": "The supplier is not answering right now: please try again shortly.",
    "invalid_callback": "The supplier callback is unsigned, forged, too old, for an unknown order or for a wrong amount.",
    "reseller_unauthorized": "Refused: the request is unsigned, forged, replayed, more than 5 minutes off, or from an unknown or inactive reseller.",
    "insufficient_balance": "Your balance and credit limit do not cover this order: top up, then order again.",
    "wholesale_refused": "The upstream does not take this order (unknown SKU, price above your maximum, quantity out of range or out of stock); nothing was charged.",
    "real_name_required": "This order needs a verified identity: sign in, verify your real name on the account page, then order with the same e-mail.",
    "real_name_mismatch": "The name and the ID number do not match: check both and try again.",
    "real_name_refused": "The verification service refused this name or ID number: check them and try again.",
    "real_name_unavailable": "Real-name verification is unavailable right now: please try again later (nothing was kept).",
    "real_name_verified": "Your account is verified already.",
    "id_number_invalid": "This is not a valid ID number: check every digit (18 characters, the last may be X).",
}


# A refused coupon says which rule refused it.
ENGLISH_COUPON = {
    "coupon_unknown": "There is no such coupon.",
    "coupon_expired": "This coupon is not valid at this time.",
    "coupon_scope": "This coupon does not apply to this item.",
    "coupon_min_spend": "This order does not reach the coupon's minimum spend.",
    "coupon_no_room": "This coupon would take nothing off this order (the price is at its floor), so it was not used.",
    "coupon_sign_in": "This coupon is in your account: sign in, then order with the same e-mail.",
}


def prefers_english(event: dict) -> bool:
    return (header(event, "accept-language") or "").strip().lower().startswith("en")


def error_response(error: errors.DomainError, english: bool = False) -> dict:
    message = error.message
    if english:
        reason = getattr(error, "reason", None)
        message = ENGLISH_COUPON.get(reason) or ENGLISH.get(error.code, error.message)
    body: dict[str, Any] = {"code": error.code, "message": message}
    extra: dict[str, str] = {}
    if isinstance(error, errors.InvalidRequest) and error.fields:
        body["fields"] = error.fields
    if isinstance(error, errors.CouponNotApplicable):
        body["reason"] = error.reason
    if isinstance(error, errors.RateLimited):
        extra["retry-after"] = str(error.retry_after)
    if isinstance(error, (errors.Busy, errors.RequestInProgress)):
        extra["retry-after"] = "1"
    # An adapter's own subclass (StoreBusy is a Busy) answers as its parent does.
    status = next((STATUS[kind] for kind in type(error).__mro__ if kind in STATUS), 400)
    return respond(status, {"error": body}, extra)


def api(handler: Callable[[dict, Any], dict]) -> Callable[[dict, Any], dict]:
    """Wrap a Lambda handler: domain errors become 4xx data, anything else a logged 500."""

    def wrapped(event: dict, context: Any = None) -> dict:
        try:
            return handler(event, context)
        except errors.DomainError as error:
            return error_response(error, prefers_english(event))
        except Exception:
            log.exception("unhandled error", extra={"path": event.get("rawPath")})
            return respond(500, {"error": {"code": "internal", "message": "服务暂时不可用，请稍后再试"}})

    wrapped.__name__ = handler.__name__
    wrapped.__wrapped__ = handler
    return wrapped


@cache
def _edge() -> config.Edge:
    return config.edge()


def client_address(event: dict, edge: config.Edge | None = None) -> str:
    """The address per-address limits count: the viewer's behind CloudFront, else the connection's."""
    return viewers_address(event, edge) or _source(event)


def viewers_address(event: dict, edge: config.Edge | None = None) -> str | None:
    """The viewer's own address, or None where only an edge's is known (behind CloudFront, without a
    trusted CloudFront-Viewer-Address): a cap that one client must not pass together with everyone
    behind the same edge counts only this."""
    edge = edge or _edge()
    if not edge.behind_cloudfront:
        return _source(event)
    if edge.edge_token is not None:
        sent = (header(event, EDGE_HEADER) or "").encode("utf-8", "replace")
        if not hmac.compare_digest(sent, edge.edge_token.encode()):
            return None
    return viewer_address(header(event, VIEWER_ADDRESS_HEADER))


def _source(event: dict) -> str:
    return ((event.get("requestContext") or {}).get("http") or {}).get("sourceIp") or "unknown"


def viewer_address(value: str | None) -> str | None:
    """The IP of CloudFront-Viewer-Address ("198.51.100.10:46532", "2001:db8::1:46532", "[2001:db8::1]:46532")."""
    address, _, port = (value or "").strip().rpartition(":")
    if not (port.isascii() and port.isdigit() and len(port) <= 5 and int(port) <= 65535):
        return None
    if address.startswith("[") and address.endswith("]"):
        address = address[1:-1]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    # One spelling per address: an IPv4 client seen over IPv6, and the long and short IPv6 forms, count once.
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return str(mapped or ip)


def redirect(location: str) -> dict:
    return {"statusCode": 303, "headers": {"location": location, "cache-control": "no-store"}, "body": ""}


def html_error(error: errors.DomainError) -> dict:
    """A form post without JavaScript gets a page it can read, with the same status code."""
    from html import escape

    status = error_response(error)["statusCode"]
    page = (
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1"><title>下单失败</title>'
        f'<main><h1>下单失败</h1><p id="error-message">{escape(error.message)}</p>'
        '<p><a href="/">返回首页</a></p></main></html>'
    )
    return {"statusCode": status, "headers": {"content-type": "text/html; charset=utf-8", "cache-control": "no-store"}, "body": page}


DEVICE_COOKIE = "device"


def device_cookie(value: str, secure: bool) -> str:
    """The first-party cookie that names a browser to the unpaid-hold limits: sent to checkout only."""
    return set_cookie(DEVICE_COOKIE, value, "/api/checkout", timedelta(days=365), secure)
