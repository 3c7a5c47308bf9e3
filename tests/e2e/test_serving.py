"""The local server answers as the CDN and API Gateway would."""
from __future__ import annotations

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")


def test_each_station_is_served_under_its_own_host_name(shop):
    game = shop.get("game-zone", "/")
    video = shop.get("av-club", "/")
    assert game.status_code == video.status_code == 200
    assert "游戏地带" in game.text and "影音会员站" in video.text


def test_the_bare_address_lists_every_station(shop):
    index = shop.get(None, "/")
    for station in ("main", "game-zone", "av-club"):
        assert f"http://{station}.localhost:{shop.port}/" in index.text


def test_pages_carry_the_security_headers_a_cdn_would_send(shop):
    for response in (shop.get("game-zone", "/"), shop.get("game-zone", "/api/stock?station=game-zone")):
        for name in SECURITY_HEADERS:
            assert name in response.headers, name
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in shop.get("game-zone", "/").headers


def test_an_untrusted_forwarded_proto_header_does_not_turn_on_hsts(shop):
    response = shop.get("game-zone", "/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_an_unknown_page_gets_the_stations_404_page(shop):
    response = shop.get("game-zone", "/no/such/page/")
    assert response.status_code == 404
    assert "游戏地带" in response.text


def test_paths_cannot_escape_the_station_folder(shop):
    for path in ("/../main/index.html", "/%2e%2e/main/index.html", "/..%2f..%2fetc/passwd"):
        response = shop.get("game-zone", path)
        assert response.status_code in (301, 404), path
        assert "root:" not in response.text


def test_hashed_assets_are_cached_for_a_year_and_pages_revalidate(shop):
    page = shop.get("game-zone", "/")
    asset = next(part.split('"')[0] for part in page.text.split('href="/assets/')[1:] if part.split('"')[0].endswith(".css"))
    cached = shop.get("game-zone", f"/assets/{asset}")
    assert cached.status_code == 200
    assert "immutable" in cached.headers["Cache-Control"]
    assert "must-revalidate" in page.headers["Cache-Control"]


def test_a_directory_without_slash_redirects(shop):
    response = shop.get("game-zone", "/p/qq-coin")
    assert response.status_code == 301 and response.headers["Location"] == "/p/qq-coin/"


def test_an_unknown_api_route_is_a_json_404(shop):
    response = shop.get("game-zone", "/api/nothing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_wrong_method_is_a_json_405(shop):
    response = shop.get("game-zone", "/api/checkout")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_an_oversized_body_is_refused_with_413(shop):
    response = shop.post("/api/checkout", data=b"x" * (65 * 1024), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_stock_is_live_json_not_baked_into_pages(shop):
    response = shop.get("game-zone", "/api/stock?station=game-zone")
    assert response.status_code == 200
    levels = response.json()["skus"]
    assert levels and all(v["level"] in ("in_stock", "low", "sold_out") for v in levels.values())
    assert "max-age=5" in response.headers["Cache-Control"]
