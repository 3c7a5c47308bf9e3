"""The local server as a WSGI application, without a socket."""
from __future__ import annotations

import io
from pathlib import Path

from kameng.local.server import LocalServer


def call(app, path="/", host="shop.localhost:8000", scheme="http", method="GET"):
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "HTTP_HOST": host,
               "wsgi.url_scheme": scheme, "wsgi.input": io.BytesIO(b""), "REMOTE_ADDR": "127.0.0.1"}
    body = b"".join(app(environ, start_response))
    return int(seen["status"].split()[0]), seen["headers"], body


def site(tmp_path: Path) -> Path:
    station = tmp_path / "site" / "shop"
    (station / "assets").mkdir(parents=True)
    (station / "index.html").write_text("<h1>shop</h1>")
    (station / "404.html").write_text("<h1>missing</h1>")
    return tmp_path / "site"


def test_hsts_is_sent_only_over_https(tmp_path):
    app = LocalServer(site(tmp_path), lambda: None, 8000)
    assert "Strict-Transport-Security" in call(app, scheme="https")[1]
    assert "Strict-Transport-Security" not in call(app, scheme="http")[1]


def test_the_form_targets_allowed_by_the_csp_include_the_sandbox_pay_page(tmp_path):
    csp = call(LocalServer(site(tmp_path), lambda: None, 8000))[1]["Content-Security-Policy"]
    assert "form-action 'self' http://localhost:8000" in csp


def test_a_head_request_has_headers_and_no_body(tmp_path):
    status, headers, body = call(LocalServer(site(tmp_path), lambda: None, 8000), method="HEAD")
    assert status == 200 and body == b"" and headers["Content-Type"].startswith("text/html")


def test_an_unknown_station_is_a_404_listing_the_stations(tmp_path):
    status, _, body = call(LocalServer(site(tmp_path), lambda: None, 8000), host="nope.localhost:8000")
    assert status == 404 and b"shop.localhost:8000" in body
