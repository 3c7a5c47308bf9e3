"""The local server compresses text as CloudFront does, and leaves images and unwilling clients alone."""
from __future__ import annotations

import gzip
import io
from pathlib import Path

import brotli
import pytest

from kameng.local.compress import accepted
from kameng.local.server import LocalServer

PAGE = ("<!doctype html><title>shop</title>" + "<p>点卡 game card, delivered at once</p>" * 200).encode()
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20


def call(app, path="/", method="GET", **headers):
    seen = {}

    def start_response(status, response_headers):
        seen["status"], seen["headers"] = status, dict(response_headers)

    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "HTTP_HOST": "shop.localhost:8000",
               "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""), "REMOTE_ADDR": "127.0.0.1"}
    environ.update({f"HTTP_{name.upper()}": value for name, value in headers.items()})
    body = b"".join(app(environ, start_response))
    return int(seen["status"].split()[0]), seen["headers"], body


@pytest.fixture
def app(tmp_path: Path) -> LocalServer:
    station = tmp_path / "site" / "shop"
    (station / "assets").mkdir(parents=True)
    (station / "index.html").write_bytes(PAGE)
    (station / "404.html").write_text("<h1>missing</h1>")
    (station / "assets" / "style.css").write_text("body { color: #111; }\n" * 100)
    (station / "assets" / "logo.png").write_bytes(PNG)
    (station / "small.txt").write_text("tiny")
    return LocalServer(tmp_path / "site", lambda: None, 8000)


@pytest.mark.parametrize("accept, encoding, decode", [
    ("gzip, deflate, br, zstd", "br", brotli.decompress),
    ("gzip", "gzip", gzip.decompress),
    ("br;q=0, gzip;q=0.8", "gzip", gzip.decompress),
    ("*", "br", brotli.decompress),
])
def test_a_page_comes_compressed_in_the_encoding_accepted_and_decodes_to_the_same_bytes(app, accept, encoding, decode):
    status, headers, body = call(app, accept_encoding=accept)
    assert status == 200 and headers["Content-Encoding"] == encoding and headers["Vary"] == "Accept-Encoding"
    assert decode(body) == PAGE and len(body) < len(PAGE) / 4


def test_css_is_compressed_too(app):
    _, headers, body = call(app, "/assets/style.css", accept_encoding="br")
    assert headers["Content-Encoding"] == "br" and brotli.decompress(body) == ("body { color: #111; }\n" * 100).encode()


@pytest.mark.parametrize("accept", [None, "", "identity", "gzip;q=0, br;q=0", "*;q=0"])
def test_without_an_accepted_encoding_the_page_is_sent_as_it_is(app, accept):
    headers = {} if accept is None else {"accept_encoding": accept}
    status, response, body = call(app, **headers)
    assert status == 200 and "Content-Encoding" not in response and body == PAGE
    assert response["Vary"] == "Accept-Encoding"


def test_images_and_tiny_files_are_never_compressed(app):
    _, headers, body = call(app, "/assets/logo.png", accept_encoding="gzip, br")
    assert "Content-Encoding" not in headers and body == PNG and "Vary" not in headers
    _, headers, body = call(app, "/small.txt", accept_encoding="gzip, br")
    assert "Content-Encoding" not in headers and body == b"tiny"


def test_a_head_request_has_the_headers_of_its_get_and_no_body(app):
    _, get_headers, sent = call(app, accept_encoding="br")
    status, headers, body = call(app, method="HEAD", accept_encoding="br")
    assert status == 200 and body == b"" and headers["Content-Length"] == str(len(sent))
    assert headers["Content-Encoding"] == "br" and headers["ETag"] == get_headers["ETag"]


def test_each_encoding_has_its_own_etag_and_each_revalidates_to_304(app):
    tags = {}
    for accept in ("br", "gzip", "identity"):
        _, headers, _ = call(app, accept_encoding=accept)
        tags[accept] = headers["ETag"]
        status, again, body = call(app, accept_encoding=accept, if_none_match=headers["ETag"])
        assert status == 304 and body == b"" and again["ETag"] == headers["ETag"]
    assert len(set(tags.values())) == 3


def test_a_brotli_etag_does_not_revalidate_a_gzip_request(app):
    _, headers, _ = call(app, accept_encoding="br")
    status, answer, body = call(app, accept_encoding="gzip", if_none_match=headers["ETag"])
    assert status == 200 and answer["Content-Encoding"] == "gzip" and gzip.decompress(body) == PAGE


def test_a_browser_prefers_brotli_only_when_it_says_so():
    assert accepted("gzip, deflate, br") == "br"
    assert accepted("deflate") is None
    assert accepted("br;q=0") is None
