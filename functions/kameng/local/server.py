"""The local server: every station by its host name, /api to the Lambda handlers, /_sandbox to the pay page.

It answers as the CDN and API Gateway would in production, security headers
included, so what works here works there.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
import mimetypes
import re
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import parse_qs, parse_qsl, quote

import jinja2
import segno

from kameng import routes
from kameng.adapters.gateway_sandbox import SandboxGateway, SandboxSession
from kameng.domain.money import format_minor
from kameng.http import MAX_BODY_BYTES
from kameng.local import compress
from kameng.local.pay_words import words_for
from kameng.sitegen.console import OUTPUT as CONSOLE_FOLDER

HERE = Path(__file__).parent
Response = tuple[int, list[tuple[str, str]], bytes]
StartResponse = Callable[..., object]

REASONS = {200: "OK", 201: "Created", 202: "Accepted", 301: "Moved Permanently", 303: "See Other", 304: "Not Modified",
           400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           409: "Conflict", 413: "Payload Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Entity",
           429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}
# In the path as sent: an encoded slash, backslash or control character has no business in a page's address.
ENCODED_SEPARATOR = re.compile(r"%(2f|5c|[01][0-9a-f]|7f)", re.IGNORECASE)
# Characters a browser, or the IDNA mapping of a host name, can read as a slash or a backslash.
SLASH_LIKE = frozenset("\\\u2044\u2215\u2216\u29f8\u29f9\ufe68\uff0f\uff3c")
# Kept as they are in a Location; everything else is percent-encoded.
PATH_SAFE = "/!$&'()*+,;=:@-._~"
# The owner console's host name; content validation keeps stations from taking it (sitegen.load).
CONSOLE_HOST = "console"
mimetypes.add_type("image/svg+xml", ".svg")
mimetypes.add_type("image/webp", ".webp")
mimetypes.add_type("application/manifest+json", ".webmanifest")


def security_headers(form_targets: str, https: bool) -> list[tuple[str, str]]:
    headers = [
        ("Content-Security-Policy",
         "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
         f"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self' {form_targets}"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if https:
        # Only over HTTPS: HSTS on plain http://localhost would be ignored, or worse, remembered.
        headers.append(("Strict-Transport-Security", "max-age=63072000; includeSubDomains"))
    return headers


def v2_event(environ: dict, route: routes.Route, params: dict[str, str], body: bytes) -> dict:
    """A WSGI request as API Gateway (HTTP API, payload 2.0) hands it to Lambda."""
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").lower()] = value
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    # As API Gateway does: the scheme the client really used, and cookies as a list.
    headers["x-forwarded-proto"] = environ.get("wsgi.url_scheme", "http")
    cookies = [c.strip() for c in headers.pop("cookie", "").split(";") if c.strip()]
    query = environ.get("QUERY_STRING", "")
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    return {
        "version": "2.0",
        "routeKey": f"{route.method} {route.path}",
        "rawPath": environ.get("PATH_INFO", "/"),
        "rawQueryString": query,
        "headers": headers,
        "cookies": cookies or None,
        "queryStringParameters": {k: ",".join(v) for k, v in parse_qs(query).items()} or None,
        "pathParameters": params or None,
        "requestContext": {
            "http": {"method": route.method, "path": environ.get("PATH_INFO", "/"), "protocol": environ.get("SERVER_PROTOCOL"),
                     "sourceIp": environ.get("REMOTE_ADDR", ""), "userAgent": headers.get("user-agent", "")},
            "requestId": uuid.uuid4().hex, "routeKey": f"{route.method} {route.path}", "stage": "$default",
            "timeEpoch": int(time.time() * 1000),
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


def _already_paid(session: SandboxSession | None) -> bool:
    return session is not None and session.status == "complete" and session.payment_status == "paid"


class LocalServer:
    def __init__(self, site_dir: Path, gateway_provider: Callable[[], object], port: int):
        self.site_dir = site_dir
        self.gateway_provider = gateway_provider
        self.port = port
        # The rails' sandboxes (Alipay, WeChat Pay, 易支付) by rail, each a WSGI app under /_sandbox/<rail>/.
        self.rail_sandboxes: dict[str, Callable] = {}
        self.pay_page = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE), autoescape=True).get_template("pay.html")

    # WSGI

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        # Behind a TLS proxy, waitress sets the scheme from X-Forwarded-Proto only for a --trusted-proxy.
        https = environ.get("wsgi.url_scheme") == "https"
        try:
            if path.startswith("/api/"):
                status, headers, body = self.api(environ, path)
            elif path.startswith("/_sandbox/"):
                status, headers, body = self.sandbox(environ, path)
            elif path.startswith("/_uploads/"):
                from kameng.local import uploads

                status, headers, body = uploads.receive(environ, path)
            else:
                status, headers, body = self.static(environ, path)
        except _TooLarge:
            status, headers, body = _json(413, {"error": {"code": "payload_too_large", "message": "请求体过大"}})
        headers += security_headers(f"http://localhost:{self.port} http://*.localhost:{self.port}", https)
        # Before a HEAD loses its body: it answers with the headers its GET would have.
        status, headers, body = compress.negotiate(status, headers, body, environ.get("HTTP_ACCEPT_ENCODING", ""),
                                                   environ.get("HTTP_IF_NONE_MATCH", ""))
        if environ.get("REQUEST_METHOD") == "HEAD":
            # The server would count the empty body; a HEAD tells the length its GET would send.
            headers.append(("Content-Length", str(len(body))))
            body = b""
        start_response(f"{status} {REASONS.get(status, 'Status')}", headers)
        return [body]

    # /api → the same handlers Lambda runs

    def api(self, environ: dict, path: str) -> Response:
        method = environ.get("REQUEST_METHOD", "GET")
        route, params, path_known = routes.match("GET" if method == "HEAD" else method, path)
        if route is None:
            code, status = ("method_not_allowed", 405) if path_known else ("not_found", 404)
            return _json(status, {"error": {"code": code, "message": f"{method} {path} 不存在"}})
        result = route.handler()(v2_event(environ, route, params, _read_body(environ)), None)
        body = result.get("body") or ""
        data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        headers = [(k.title(), v) for k, v in (result.get("headers") or {}).items()]
        headers += [("Set-Cookie", c) for c in result.get("cookies") or []]
        return result["statusCode"], headers, data

    def send_from_sandbox(self, method: str, url: str, body: bytes, headers: dict) -> tuple[int, bytes]:
        """A rail sandbox's notification: to this very server through its own routing (post_to_self says
        why), anywhere else over HTTP."""
        from urllib.parse import urlsplit

        from kameng.adapters.sandbox_send import http_send

        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.port != self.port or not (host in ("127.0.0.1", "localhost") or host.endswith(".localhost")):
            return http_send(method, url, body, headers)
        status, _, answer = self.api(self._environ(method, parts.path, parts.query, body, headers), parts.path)
        return status, answer

    def _environ(self, method: str, path: str, query: str, body: bytes, headers: dict[str, str]) -> dict:
        import io

        environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "wsgi.url_scheme": "http",
                   "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "127.0.0.1",
                   "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": f"127.0.0.1:{self.port}"}
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
        return environ

    def post_to_self(self, path: str, body: bytes, headers: dict[str, str]) -> None:
        """Deliver a request through this server's own routing, without taking a socket.

        The sandbox's webhooks go this way: sent over HTTP from a pay-page request,
        each would hold one worker thread while waiting for another, and a burst of
        payments would starve the pool. The route, the v2 event, the handler and the
        signature check are the ones a real HTTP request meets.
        """
        status, _, answer = self.api(self._environ("POST", path, "", body, headers), path)
        if status >= 300:
            raise RuntimeError(f"the webhook answered {status}: {answer[:200].decode('utf-8', 'replace')}")

    # the sandbox gateway's pay page

    def rail_sandbox(self, environ: dict, rail: str) -> Response:
        answered: list = []
        body = b"".join(self.rail_sandboxes[rail](environ, lambda status, headers: answered.append((status, headers))))
        status, headers = answered[0]
        return int(status.split()[0]), list(headers), body

    def sandbox(self, environ: dict, path: str) -> Response:
        rail = path.split("/")[2] if path.count("/") >= 3 else ""
        if rail in self.rail_sandboxes:
            return self.rail_sandbox(environ, rail)
        if path == "/_sandbox/pay.css":
            return 200, [("Content-Type", "text/css; charset=utf-8"), ("Cache-Control", "no-cache")], (HERE / "static" / "pay.css").read_bytes()
        if not path.startswith("/_sandbox/pay/"):
            return _text(404, "not found")
        gateway = self.gateway_provider()
        if not isinstance(gateway, SandboxGateway):
            return _text(404, "the sandbox is off: a real payment gateway is configured")
        session_id = path.removeprefix("/_sandbox/pay/")
        session = gateway.session(session_id)
        if session is not None and session.status == "open" and session.expires_at <= time.time():
            gateway.expire_session(session_id)
            session = gateway.session(session_id)
        message = ""
        words = words_for(session.language if session else None)
        if environ.get("REQUEST_METHOD") == "POST" and session is not None:
            form = dict(parse_qsl(_read_body(environ).decode("utf-8", "replace")))
            action, method = form.get("action"), form.get("method", "card")
            if method not in ("card", "alipay", "wechat_pay"):
                message = words["unknown_method"]
            else:
                try:
                    if action == "pay":
                        paid = gateway.pay(session_id, method) is not None
                        # A second click (or a resubmitted form) of a session already paid goes to its order.
                        if paid or _already_paid(gateway.session(session_id)):
                            return 303, [("Location", session.success_url), ("Cache-Control", "no-store")], b""
                        message = words["ended"]
                    elif action == "fail":
                        gateway.fail(session_id, method)
                        message = words["failed"]
                    elif action == "expire":
                        gateway.expire_session(session_id)
                        message = words["expired_now"]
                    else:
                        message = words["unknown_action"]
                except Exception as error:
                    # As with Stripe, the payment stands; the shop's sweeper and lookup still find the order.
                    logging.getLogger(__name__).exception("sandbox webhook delivery failed")
                    message = f"{words['not_told']}{error}"
            session = gateway.session(session_id)
        page = self.pay_page.render(
            session=session, message=message, w=words,
            amount=format_minor(session.total, session.currency) if session else "",
            expires=datetime.fromtimestamp(session.expires_at, timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if session else "",
            qr=segno.make(f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}{path}").svg_data_uri(scale=4) if session else "",
        )
        status = 200 if session else 404
        return status, [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")], page.encode()

    # the CDN: static files of the station named by the host

    def stations(self) -> list[str]:
        if not self.site_dir.is_dir():
            return []
        return sorted(p.name for p in self.site_dir.iterdir() if (p / "index.html").is_file() and p.name != CONSOLE_FOLDER)

    def static(self, environ: dict, path: str) -> Response:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return _text(405, "method not allowed")
        host = environ.get("HTTP_HOST", "").rsplit(":", 1)[0].lower()
        station = host.removesuffix(".localhost") if host.endswith(".localhost") else None
        if station == CONSOLE_HOST and (self.site_dir / CONSOLE_FOLDER / "index.html").is_file():
            station = CONSOLE_FOLDER
        elif station is None or station not in self.stations():
            return self.index(station)
        root = (self.site_dir / station).resolve()
        text = plain_path(path, environ.get("REQUEST_URI", ""))
        if text is None:
            return self.not_found(root)
        target = (root / text.lstrip("/")).resolve()
        if not target.is_relative_to(root):
            return self.not_found(root)
        if target.is_dir():
            if not text.endswith("/"):
                return 301, [("Location", own_location(text + "/", environ.get("QUERY_STRING", "")))], b""
            target = target / "index.html"
        if not target.is_file():
            return self.not_found(root)
        data = target.read_bytes()
        etag = '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'
        headers = [("Content-Type", _content_type(target)), ("ETag", etag), ("Cache-Control", _cache_control(path))]
        if environ.get("HTTP_IF_NONE_MATCH") == etag:
            return 304, headers, b""
        return 200, headers, data

    def not_found(self, root: Path) -> Response:
        page = root / "404.html"
        body = page.read_bytes() if page.is_file() else b"not found"
        return 404, [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-cache")], body

    def index(self, unknown: str | None) -> Response:
        stations = self.stations()
        items = "".join(
            f'<li><a href="http://{html.escape(s)}.localhost:{self.port}/">{html.escape(s)}.localhost:{self.port}</a></li>'
            for s in stations)
        note = f"<p>没有名为 {html.escape(unknown)} 的站点。</p>" if unknown else ""
        console = (f'<p>店主管理后台：<a id="console" href="http://{CONSOLE_HOST}.localhost:{self.port}/">{CONSOLE_HOST}.localhost:{self.port}</a></p>'
                   if (self.site_dir / CONSOLE_FOLDER / "index.html").is_file() else "")
        empty = "" if stations else "<p>还没有构建任何站点：先运行 <code>make build</code>。</p>"
        body = ('<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">'
                f'<title>Kameng 本地站点</title><main><h1>Kameng 本地站点</h1>{note}{empty}<ul id="stations">{items}</ul>{console}</main></html>')
        return (404 if unknown else 200), [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-cache")], body.encode()


def plain_path(path_info: str, request_uri: str) -> str | None:
    """The path as text, or None for one no page of a station has (and no redirect may echo).

    Refused: encoded slashes and backslashes; control characters, since a browser drops a tab or
    a newline from a Location and "/<tab>/evil" becomes "//evil"; backslashes and their
    look-alikes, since a browser reads "/<backslash>evil" as "//evil"; dot segments; and empty
    segments, except in the leading run of slashes, which collapses to one.
    """
    if ENCODED_SEPARATOR.search(request_uri.split("?", 1)[0]):
        return None
    try:
        # PATH_INFO is WSGI's latin-1 view of the bytes sent.
        text = path_info.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return None
    if any(c in SLASH_LIKE or not c.isprintable() for c in text):
        return None
    segments = text.lstrip("/").split("/")
    if any(s in (".", "..") for s in segments) or "" in segments[:-1]:
        return None
    return "/" + "/".join(segments)


def own_location(path: str, query: str) -> str:
    """A Location on this very host: one slash, then a path that cannot start another host's address."""
    location = "/" + quote(path.lstrip("/\\"), safe=PATH_SAFE)
    # The query string arrives as sent, still encoded; anything else in it is dropped, not echoed.
    if query and query.isascii() and query.isprintable() and " " not in query:
        location += "?" + query
    return location


class _TooLarge(Exception):
    pass


def _read_body(environ: dict) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        raise _TooLarge()
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _json(status: int, body: dict) -> Response:
    return status, [("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store")], json.dumps(body, ensure_ascii=False).encode()


def _text(status: int, text: str) -> Response:
    return status, [("Content-Type", "text/plain; charset=utf-8")], text.encode()


def _content_type(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") or kind in ("application/javascript", "application/xml", "image/svg+xml") else kind


def _cache_control(path: str) -> str:
    # Hashed assets never change under their name; pages must revalidate to show a new build.
    return "public, max-age=31536000, immutable" if path.startswith("/assets/") else "public, max-age=0, must-revalidate"
