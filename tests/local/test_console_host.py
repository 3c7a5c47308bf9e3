"""The local server answers console.localhost with the owner console's pages (site/_console/)."""
from __future__ import annotations

from pathlib import Path

from kameng.local.server import LocalServer
from tests.local.test_server import call, site


def with_console(tmp_path: Path) -> Path:
    root = site(tmp_path)
    console = root / "_console"
    (console / "assets").mkdir(parents=True)
    (console / "index.html").write_text("<h1>console</h1>")
    (console / "assets/console.0123456789.js").write_text("// console")
    return root


def test_console_localhost_serves_the_console_with_the_stations_security_headers(tmp_path):
    status, headers, body = call(LocalServer(with_console(tmp_path), lambda: None, 8000), host="console.localhost:8000")
    assert status == 200 and body == b"<h1>console</h1>"
    assert "script-src 'self';" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"


def test_the_consoles_hashed_assets_are_cached_for_good(tmp_path):
    app = LocalServer(with_console(tmp_path), lambda: None, 8000)
    status, headers, _ = call(app, "/assets/console.0123456789.js", host="console.localhost:8000")
    assert status == 200 and "immutable" in headers["Cache-Control"]


def test_the_index_links_the_console_but_does_not_list_it_as_a_station(tmp_path):
    status, _, body = call(LocalServer(with_console(tmp_path), lambda: None, 8000), host="localhost:8000")
    assert status == 200 and b'id="console" href="http://console.localhost:8000/"' in body
    assert b"_console" not in body


def test_the_console_folder_is_not_reachable_as_a_station(tmp_path):
    status, _, body = call(LocalServer(with_console(tmp_path), lambda: None, 8000), host="_console.localhost:8000")
    assert status == 404 and b"console</h1>" not in body


def test_without_a_built_console_its_host_is_an_unknown_station(tmp_path):
    status, _, body = call(LocalServer(site(tmp_path), lambda: None, 8000), host="console.localhost:8000")
    assert status == 404 and b"shop.localhost:8000" in body and b'id="console"' not in body
