"""Flash sale: many shoppers, one SKU, a limited number of keys.

Run by bench_flash_sale.py (which starts the server, imports the keys and checks the
store afterwards); by hand:

    KAMENG_DATA_DIR=... python -m kameng.local --port 8000 &
    locust -f loadtests/locustfile.py --headless -u 500 -r 100 -t 30s --host http://127.0.0.1:8000

Each shopper, in a loop: views the product page (Host: <station>.localhost, as a
browser would), reads /api/stock, then POSTs /api/checkout for one key. A 201 is a
success, and so is a clear `409 sold_out` (the page shows it as-is); anything else
is a failure. A shopper who got an order follows its pay_url at once, as the page
script does (the shop's pay step answers 303 to the sandbox pay page); FLASH_PAY_SHARE
of them pay on the sandbox form (the server then posts the signed webhook to itself) and open their order,
which they poll (0.5 s apart, 10 s at most) until the keys are shown.

Environment: FLASH_STATION (main), FLASH_PRODUCT (steam-wallet), FLASH_SKU
(steam-cny-100), FLASH_PAY_SHARE (0.6), FLASH_WAIT_MIN / FLASH_WAIT_MAX (1 / 3 s
between visits), FLASH_ORDERS_FILE (JSON lines of every order placed, for the
checks), FLASH_LATENCY_FILE (every request's latency in ms and every failure, by name,
written at the end; under --processes each worker writes <file>.<pid>), FLASH_BROWSERS
(0: the weight of Browser users against Shopper's 1; they read pages and never buy),
FLASH_PAGES (comma-separated paths they read on the station's host).
"""
from __future__ import annotations

import json
import os
import random
import time
from urllib.parse import urlsplit

from locust import FastHttpUser, between, events, task
from locust.runners import MasterRunner, WorkerRunner

STATION = os.environ.get("FLASH_STATION", "main")
PRODUCT = os.environ.get("FLASH_PRODUCT", "steam-wallet")
SKU = os.environ.get("FLASH_SKU", "steam-cny-100")
PAY_SHARE = float(os.environ.get("FLASH_PAY_SHARE", "0.6"))
WAIT = (float(os.environ.get("FLASH_WAIT_MIN", "1")), float(os.environ.get("FLASH_WAIT_MAX", "3")))
ORDERS_FILE = os.environ.get("FLASH_ORDERS_FILE")
LATENCY_FILE = os.environ.get("FLASH_LATENCY_FILE")
BROWSERS = int(os.environ.get("FLASH_BROWSERS", "0"))
PAGES = [p for p in os.environ.get("FLASH_PAGES", "/").split(",") if p]
# A shopper told the sale is over, or that the keys are gone, got the answer the page shows as-is.
SOLD_OUT_CODES = ("sold_out", "flash_sale_sold_out")

CHECKOUT = "POST /api/checkout"
ORDER_POLLS = 20
_orders = open(ORDERS_FILE, "a", encoding="utf-8", buffering=1) if ORDERS_FILE else None
_latencies: dict[str, list[float]] = {}
_failures: dict[str, list[str]] = {}


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, **kwargs):
    _latencies.setdefault(name, []).append(response_time)
    if exception is not None:
        _failures.setdefault(name, []).append(str(exception)[:200])


@events.quitting.add_listener
def _dump(environment, **kwargs):
    if LATENCY_FILE and not isinstance(environment.runner, MasterRunner):
        # Every worker process records its own users; the bench merges the files.
        path = f"{LATENCY_FILE}.{os.getpid()}" if isinstance(environment.runner, WorkerRunner) else LATENCY_FILE
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"latency_ms": _latencies, "failures": _failures}, f)
    if _orders is not None:
        _orders.flush()


class Shopper(FastHttpUser):
    wait_time = between(*WAIT)
    # One connection per shopper, as a browser tab has; generous timeouts, so a slow
    # answer is measured as slow rather than turned into an error by the client.
    connection_timeout = 30.0
    network_timeout = 60.0
    insecure = True

    def on_start(self) -> None:
        port = urlsplit(self.host).port or 80
        self.page_host = f"{STATION}.localhost:{port}"
        self.n = 0

    @task
    def visit(self) -> None:
        self.n += 1
        with self.client.get(f"/p/{PRODUCT}/", headers={"Host": self.page_host}, name="GET /p/[product]/",
                             catch_response=True) as page:
            if page.status_code != 200 or SKU.encode() not in (page.content or b""):
                page.failure(f"product page: {page.status_code}")
                return
        with self.client.get(f"/api/stock?station={STATION}", name="GET /api/stock", catch_response=True) as stock:
            if stock.status_code != 200:
                stock.failure(f"stock: {stock.status_code}")
                return
        body = {"station": STATION, "sku": SKU, "quantity": 1,
                "email": f"flash{random.randrange(10**9)}@example.com", "query_password": "flash-1234", "rail": "stripe"}
        placed = None
        with self.client.post("/api/checkout", json=body, name=CHECKOUT, catch_response=True) as r:
            if r.status_code == 201:
                placed = r.json()
                r.success()
            elif r.status_code == 409 and _code(r) in SOLD_OUT_CODES:
                r.success()  # a clear sold-out answer is what the shopper should get
            else:
                r.failure(f"checkout: {r.status_code} {(r.text or '')[:120]}")
        if placed is None:
            return
        token = placed["order_url"].split("#t=", 1)[1]
        pay = random.random() < PAY_SHARE
        if _orders is not None:
            _orders.write(json.dumps({"order_id": placed["order_id"], "token": token, "pay": pay}) + "\n")
        link = urlsplit(placed["pay_url"])
        with self.client.get(f"{link.path}?{link.query}", allow_redirects=False, name="GET /api/orders/[id]/pay",
                             catch_response=True) as r:
            if r.status_code != 303:
                r.failure(f"pay step: {r.status_code} {(r.text or '')[:120]}")
                return
            pay_page = urlsplit(r.headers["Location"]).path
        if not pay:
            return
        with self.client.post(pay_page, data={"action": "pay", "method": "card"},
                              allow_redirects=False, name="POST /_sandbox/pay/[session]", catch_response=True) as r:
            if r.status_code != 303:
                r.failure(f"pay: {r.status_code} {(r.text or '')[:120]}")
                return
        # The order page polls until the keys are there (at most ORDER_POLLS times, 0.5 s apart).
        for attempt in range(1, ORDER_POLLS + 1):
            with self.client.get(f"/api/orders/{placed['order_id']}", headers={"Authorization": f"Bearer {token}"},
                                 name="GET /api/orders/[id]", catch_response=True) as r:
                status = r.json().get("order", {}).get("status") if r.status_code == 200 else None
                if status == "delivered":
                    return
                if r.status_code != 200 or status not in ("pending", "paid") or attempt == ORDER_POLLS:
                    r.failure(f"order after payment: {r.status_code} {status}")
                    return
            time.sleep(0.5)


class Browser(FastHttpUser):
    """Someone reading the station's pages during the sale: the home page, a product, the stock line."""

    abstract = BROWSERS == 0
    weight = max(BROWSERS, 1)
    wait_time = between(*WAIT)
    connection_timeout = 30.0
    network_timeout = 60.0

    def on_start(self) -> None:
        self.page_host = f"{STATION}.localhost:{urlsplit(self.host).port or 80}"

    @task
    def read(self) -> None:
        path = random.choice(PAGES)
        with self.client.get(path, headers={"Host": self.page_host}, name="GET [page]", catch_response=True) as page:
            if page.status_code != 200:
                page.failure(f"page {path}: {page.status_code}")
                return
        if random.random() < 0.3:
            with self.client.get(f"/api/stock?station={STATION}", name="GET /api/stock", catch_response=True) as stock:
                if stock.status_code != 200:
                    stock.failure(f"stock: {stock.status_code}")


def _code(response) -> str | None:
    try:
        return response.json()["error"]["code"]
    except Exception:  # noqa: BLE001 - not the JSON error shape: a failure
        return None
