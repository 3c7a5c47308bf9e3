"""The wholesale API for resellers (货源对接): signed requests in, signed answers out.

Not a shopper's request: no cookies and no Origin or Sec-Fetch checks; the signature is the
authentication. Every answer after the reseller is known is signed, refusals included.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from kameng.domain.errors import DomainError, InvalidRequest
from kameng.domain.wholesale import answer_headers
from kameng.http import api, error_response, parse, prefers_english, raw_body, respond
from kameng.services import wholesale
from kameng.wiring import deps

Run = Callable[[wholesale.Caller, bytes, dict], tuple[int, Any]]


def _refusal(error: DomainError, event: dict) -> dict:
    response = error_response(error, prefers_english(event))
    reason = getattr(error, "reason", None)
    if reason:
        body = json.loads(response["body"])
        body["error"]["reason"] = reason
        response["body"] = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return response


def _signed(event: dict, run: Run) -> dict:
    world = deps()
    body = raw_body(event)
    method = event["requestContext"]["http"]["method"]
    path = event.get("rawPath") or event["requestContext"]["http"]["path"]
    try:
        caller = wholesale.authenticate(method, path, event.get("headers") or {}, body, world)
    except DomainError as error:
        return _refusal(error, event)
    try:
        status, answer = run(caller, body, event.get("pathParameters") or {})
        response = respond(status, answer)
    except DomainError as error:
        response = _refusal(error, event)
    response["headers"].update(answer_headers(caller.secret, response["statusCode"], path, caller.nonce,
                                              response["body"].encode(), world.clock()))
    return response


def _fields(body: bytes) -> dict:
    try:
        fields = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        raise InvalidRequest("请求体不是有效的 JSON") from None
    if not isinstance(fields, dict):
        raise InvalidRequest("请求体须为 JSON 对象")
    return fields


@api
def get_catalogue(event, context=None):
    return _signed(event, lambda caller, body, params: (200, wholesale.catalogue(caller, deps())))


@api
def get_balance(event, context=None):
    return _signed(event, lambda caller, body, params: (200, wholesale.balance(caller, deps())))


@api
def place_order(event, context=None):
    def run(caller, body, params):
        request = parse(wholesale.WholesaleOrder, _fields(body))
        answer = wholesale.place(caller, request, deps())
        # Accepted, not done: the reseller asks again by its request id for the goods.
        return (202 if answer["status"] == "pending" else 200), answer

    return _signed(event, run)


@api
def get_order(event, context=None):
    return _signed(event, lambda caller, body, params: (200, wholesale.order_of(caller, params.get("request_id", ""),
                                                                                  deps())))
