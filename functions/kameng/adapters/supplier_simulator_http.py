"""The supplier simulator over HTTP, to run beside the local server: a WSGI app and `serve`.

POST /orders, GET /orders/{request_id}, GET /balance, GET /catalogue; JSON both ways. A request is
signed like a callback over `METHOD path\\n` + body (request_payload), an answer over its body, with the
same two headers; an unsigned, forged or stale request gets 401 and changes nothing.
"""
from __future__ import annotations

import json
import threading
from typing import Any, Callable, Iterable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from kameng.adapters.supplier_simulator import (
    SIGNATURE_HEADER, TIMESTAMP_HEADER, SupplierSimulator, check_signature, offer_json, result_json, signed_headers,
)
from kameng.domain.errors import DomainError
from kameng.domain.errors import InvalidCallback, SupplierRefused, SupplierUnavailable
from kameng.domain.supply import SupplyRequest

MAX_BODY = 64 * 1024
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 422: "Unprocessable Entity",
           503: "Service Unavailable"}


def request_payload(method: str, path: str, body: bytes) -> bytes:
    # The method and path are signed too, so a signed GET of one order cannot be replayed for another.
    return f"{method.upper()} {path}\n".encode() + body


class _Answer(Exception):
    def __init__(self, status: int, body: dict[str, Any]):
        super().__init__(status)
        self.status, self.body = status, body


def _error(status: int, error: DomainError) -> _Answer:
    body = {"code": error.code, "message": error.message}
    if isinstance(error, SupplierRefused):
        body["reason"] = error.reason
    return _Answer(status, {"error": body})


def make_app(simulator: SupplierSimulator, secret: bytes) -> Callable:
    lock = threading.Lock()

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        try:
            with lock:
                status, answer = 200, _route(simulator, secret, environ)
        except _Answer as error:
            status, answer = error.status, error.body
        body = json.dumps(answer, ensure_ascii=False, sort_keys=True).encode()
        headers = signed_headers(secret, simulator.now(), body)
        start_response(f"{status} {REASONS[status]}", [("content-type", "application/json; charset=utf-8"),
                                                       ("content-length", str(len(body))), *headers.items()])
        return [body]

    return app


def _route(simulator: SupplierSimulator, secret: bytes, environ: dict) -> dict[str, Any]:
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO") or "/"
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length > MAX_BODY:
        raise _Answer(400, {"error": {"code": "invalid_request", "message": "请求体过大"}})
    body = environ["wsgi.input"].read(length) if length else b""
    headers = {name: environ.get("HTTP_" + name.upper().replace("-", "_"), "")
               for name in (TIMESTAMP_HEADER, SIGNATURE_HEADER)}
    try:
        check_signature(secret, headers, request_payload(method, path, body), simulator.now())
        return _dispatch(simulator, method, path, body)
    except InvalidCallback as error:
        raise _Answer(401, {"error": {"code": "invalid_signature", "message": error.message}}) from None
    except SupplierRefused as error:
        raise _error(404 if error.reason == "unknown_request" else 422, error) from None
    except SupplierUnavailable as error:
        raise _error(503, error) from None


def _dispatch(simulator: SupplierSimulator, method: str, path: str, body: bytes) -> dict[str, Any]:
    if (method, path) == ("POST", "/orders"):
        return result_json(simulator.place(_supply_request(body)))
    if method == "GET" and path.startswith("/orders/") and path.count("/") == 2:
        return result_json(simulator.query(path.removeprefix("/orders/")))
    if (method, path) == ("GET", "/balance"):
        return {"balance": simulator.balance()}
    if (method, path) == ("GET", "/catalogue"):
        return {"offers": [offer_json(offer) for offer in simulator.catalogue()]}
    raise _Answer(404, {"error": {"code": "not_found", "message": f"没有 {method} {path}"}})


def _supply_request(body: bytes) -> SupplyRequest:
    try:
        data = json.loads(body)
        return SupplyRequest(
            request_id=str(data["request_id"]), product_code=str(data["product_code"]),
            quantity=int(data["quantity"]), max_unit_cost=int(data["max_unit_cost"]),
            currency=str(data["currency"]),
            buyer_fields={str(k): str(v) for k, v in (data.get("buyer_fields") or {}).items()},
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise _Answer(400, {"error": {"code": "invalid_request", "message": f"订单请求无效：{error}"}}) from None


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(simulator: SupplierSimulator, secret: bytes, host: str = "127.0.0.1", port: int = 0) -> WSGIServer:
    """A server bound to host:port (0: any free port); call serve_forever() on it, in a thread if need be."""
    return make_server(host, port, make_app(simulator, secret), handler_class=_QuietHandler)
