"""Over a real socket: requests as a browser sends them, bytes as an attacker writes them."""
from __future__ import annotations

import socket

import pytest

from tests.e2e.test_purchase import SKU, STATION, fresh_keys

EVIL = "https://evil.example"


def raw_get(shop, target: str) -> tuple[int, dict[str, str]]:
    """GET with the request target written byte for byte, as no HTTP library would send it."""
    with socket.create_connection(("127.0.0.1", shop.port), timeout=10) as connection:
        connection.sendall(f"GET {target} HTTP/1.1\r\nHost: {shop.host(STATION)}\r\nConnection: close\r\n\r\n".encode("latin-1"))
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in head[1:])
    return int(head[0].split()[1]), headers


@pytest.mark.parametrize("target", [
    "/%5C127.0.0.1:8614/..%2Fp",
    "/%5Cevil.example/..%2Fp",
    "/%2F%2Fevil.example/..%2Fp",
    "/\\evil.example/../p",
    "/%09/evil.example/..%2Fp",
    "/.//p",
])
def test_the_local_server_redirects_no_path_to_another_host(shop, target):
    status, headers = raw_get(shop, target)
    assert status in (400, 404), (status, headers)
    assert "Location" not in headers


def test_a_leading_run_of_slashes_redirects_to_the_page_on_this_host(shop):
    status, headers = raw_get(shop, "//p/qq-coin?from=qq")
    assert (status, headers["Location"]) == (301, "/p/qq-coin/?from=qq")


def test_a_form_another_site_posts_to_the_session_route_is_refused(shop):
    response = shop.post("/api/account/session", data={"token": "t" * 43},
                         headers={"Host": shop.host(STATION), "Origin": EVIL, "Sec-Fetch-Site": "cross-site"})
    assert (response.status_code, response.json()["error"]["code"]) == (403, "cross_site_request")
    assert "Set-Cookie" not in response.headers


def test_a_form_post_to_a_json_route_is_refused_as_unsupported(shop):
    response = shop.post("/api/account/sign-out", data={}, headers={"Host": shop.host(STATION)})
    assert (response.status_code, response.json()["error"]["code"]) == (415, "unsupported_media_type")
    assert "Set-Cookie" not in response.headers


def test_the_buy_form_posted_from_another_site_gets_a_page_saying_so(shop, tmp_path):
    shop.import_keys(SKU, fresh_keys(1), tmp_path)
    response = shop.post("/api/checkout", headers={"Host": shop.host(STATION), "Origin": EVIL}, data={
        "station": STATION, "sku": SKU, "quantity": "1", "email": "csrf@example.com", "query_password": "8888", "rail": "stripe"})
    assert response.status_code == 403 and response.headers["Content-Type"].startswith("text/html")
    assert "Set-Cookie" not in response.headers


def test_the_buy_form_posted_from_the_stations_own_page_goes_to_the_pay_page(shop, tmp_path):
    shop.import_keys(SKU, fresh_keys(1), tmp_path)
    response = shop.post("/api/checkout", data={
        "station": STATION, "sku": SKU, "quantity": "1", "email": "form@example.com", "query_password": "8888", "rail": "stripe"},
        headers={"Host": shop.host(STATION), "Origin": f"http://{shop.host(STATION)}", "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 303
    assert shop.pay_page({"pay_url": response.headers["Location"]}).startswith("/_sandbox/pay/")
