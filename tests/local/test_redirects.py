"""Every redirect the local server makes stays on the station's own host, whatever the path sent.

Requests are handed over as waitress hands them: REQUEST_URI as sent, PATH_INFO percent-decoded
to bytes and read as latin-1 (PEP 3333)."""
from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest

from kameng.local.server import LocalServer
from tests.support.redirect_evasions import EVASIONS

HOST = "shop.localhost:8000"


def site(tmp_path: Path) -> Path:
    station = tmp_path / "site" / "shop"
    # Folders a redirect would be made for, named as an attacker's host or path would be.
    for folder in ("p", "p/x", "evil.example", "127.0.0.1:8614", "中文"):
        (station / folder).mkdir(parents=True, exist_ok=True)
        (station / folder / "index.html").write_text(f"<h1>{folder}</h1>")
    (station / "index.html").write_text("<h1>shop</h1>")
    (station / "404.html").write_text("<h1>missing</h1>")
    return tmp_path / "site"


@pytest.fixture
def app(tmp_path) -> LocalServer:
    return LocalServer(site(tmp_path), lambda: None, 8000)


def get(app: LocalServer, target: str) -> tuple[int, dict[str, str]]:
    raw_path, _, query = target.partition("?")
    environ = {"REQUEST_METHOD": "GET", "REQUEST_URI": target, "QUERY_STRING": query, "HTTP_HOST": HOST,
               "PATH_INFO": unquote_to_bytes(raw_path).decode("latin-1"), "wsgi.url_scheme": "http",
               "wsgi.input": io.BytesIO(b""), "REMOTE_ADDR": "127.0.0.1"}
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = int(status.split()[0]), dict(headers)

    b"".join(app(environ, start_response))
    return seen["status"], seen["headers"]


def read_as_a_browser_does(location: str) -> str:
    """WHATWG URL parsing drops tabs and newlines and reads a backslash as a slash in http(s) URLs."""
    return re.sub(r"[\t\n\r]", "", location).replace("\\", "/")


def stays_on_host(location: str) -> bool:
    seen = read_as_a_browser_does(location)
    return location.isascii() and location.isprintable() and seen.startswith("/") and not seen.startswith("//")


@pytest.mark.parametrize("target", EVASIONS)
def test_no_path_redirects_to_another_host(app, target):
    status, headers = get(app, target)
    assert status in (301, 404), (status, headers)
    if status == 301:
        assert stays_on_host(headers["Location"]), headers["Location"]


@pytest.mark.parametrize("target", [t for t in EVASIONS if not t.startswith(("//", "///"))])
def test_a_path_with_encoded_separators_control_characters_or_dot_segments_is_not_found(app, target):
    assert get(app, target)[0] == 404


@pytest.mark.parametrize(("target", "location"), [
    ("/p", "/p/"),
    ("/p/x?utm=1&b=%2F", "/p/x/?utm=1&b=%2F"),
    ("//p", "/p/"),
    ("////p/x", "/p/x/"),
    ("//evil.example", "/evil.example/"),
    ("/%E4%B8%AD%E6%96%87", "/%E4%B8%AD%E6%96%87/"),
])
def test_a_folder_without_its_slash_redirects_to_itself_on_this_host(app, target, location):
    status, headers = get(app, target)
    assert (status, headers["Location"]) == (301, location)


def test_the_pages_themselves_are_still_served(app):
    assert get(app, "/")[0] == get(app, "/p/")[0] == get(app, "/p/x/")[0] == get(app, "/%E4%B8%AD%E6%96%87/")[0] == 200
