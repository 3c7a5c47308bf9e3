"""The simulator's HTTP face, served on 127.0.0.1: signed JSON in and out, the same answers as in-process."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest

from kameng.adapters.supplier_simulator import check_signature, signed_headers
from kameng.adapters.supplier_simulator_http import request_payload, serve
from tests.supply.conftest import SECRET


@pytest.fixture
def upstream(simulator_with, clock):
    simulator = simulator_with(balance=50_000)
    server = serve(simulator, SECRET)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", simulator
    server.shutdown()
    server.server_close()
    thread.join()


def call(base: str, clock, method: str, path: str, data=None, secret: bytes = SECRET) -> tuple[int, dict]:
    body = json.dumps(data).encode() if data is not None else b""
    headers = {"content-type": "application/json",
               **signed_headers(secret, clock(), request_payload(method, path, body))}
    request = urllib.request.Request(base + path, data=body or None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            status, raw, answer_headers = answer.status, answer.read(), dict(answer.headers)
    except urllib.error.HTTPError as error:
        status, raw, answer_headers = error.code, error.read(), dict(error.headers)
    check_signature(SECRET, answer_headers, raw, clock())
    return status, json.loads(raw)


def test_orders_balance_and_catalogue_over_signed_http(upstream, clock):
    base, simulator = upstream
    order = {"request_id": "h-1", "product_code": "steam-100", "quantity": 2, "max_unit_cost": 9500,
             "currency": "CNY"}

    placed = call(base, clock, "POST", "/orders", order)
    again = call(base, clock, "POST", "/orders", order)
    queried = call(base, clock, "GET", "/orders/h-1")

    assert placed[0] == 200 and placed[1]["status"] == "delivered" and len(placed[1]["keys"]) == 2
    assert again == placed and queried == placed
    assert call(base, clock, "GET", "/balance") == (200, {"balance": 50_000 - 2 * 9200})
    offers = call(base, clock, "GET", "/catalogue")[1]["offers"]
    assert {o["product_code"]: o["stock"] for o in offers} == {"steam-100": 48, "cmcc-50": None}

    refused = call(base, clock, "POST", "/orders", {**order, "request_id": "h-2", "quantity": 10})
    assert refused[0] == 422 and refused[1]["error"]["reason"] == "insufficient_balance"
    assert call(base, clock, "GET", "/orders/h-404")[0] == 404
    unsigned = call(base, clock, "GET", "/balance", secret=b"not the secret")
    assert unsigned[0] == 401 and unsigned[1]["error"]["code"] == "invalid_signature"
