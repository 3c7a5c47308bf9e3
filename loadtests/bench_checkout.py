"""Checkout → keys delivered, sequential orders, on the embedded store with the sandbox webhook.

    .venv/bin/python loadtests/bench_checkout.py [--orders 200] [--warmup 5]

Local server (the realistic path): the demo content built and published to a temp
data folder, keys imported with `kameng import-keys`, `python -m kameng.local` on
127.0.0.1; then for each order, one after the other:
    POST /api/checkout → GET its pay_url (the shop's pay step, which holds the keys and
    answers 303 to the sandbox pay page) → POST the sandbox pay form (action=pay,
    method=card; the server signs the webhook and posts it to itself) → GET /api/orders/{id} with the token
    until the order is delivered with its keys.
The time is from sending the checkout request to holding the keys.

In-process (reported separately): the same steps calling the Lambda handlers
directly, as /tmp/smoke.py does, the webhook handed straight to its handler.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

BUDGET_P50_MS, BUDGET_P99_MS = 50, 250
SKU = "steam-cny-100"
STATION = "main"


def checkout_body(n: int, rail: str = "stripe") -> dict:
    # The card rail's sandbox by default, as every earlier figure was measured on it.
    return {"station": STATION, "sku": SKU, "quantity": 1, "email": f"bench-{rail}{n}@example.com",
            "query_password": "bench-1234", "rail": rail}


def pay_by_card(session, server: c.Server, pay_page: str):
    return session.post(c.local_url(pay_page, server.port), data={"action": "pay", "method": "card"},
                        allow_redirects=False, timeout=30)


def pay_by_alipay(session, server: c.Server, pay_page: str):
    """Open Alipay's page (the sandbox checks the shop's RSA2 signature) and press 支付成功: the sandbox signs the
    notification with its Alipay key and posts it to the shop, then sends the browser back."""
    page = session.get(c.local_url(pay_page, server.port), timeout=30)
    if page.status_code != 200:
        raise RuntimeError(f"Alipay's pay page answered {page.status_code}: {page.text[:300]}")
    order_id = dict(parse_qsl(urlsplit(pay_page).query))["biz_content"].split('"out_trade_no":"')[1].split('"')[0]
    return session.post(f"{server.url}/_sandbox/alipay/pay/{order_id}", data={"action": "paid"},
                        allow_redirects=False, timeout=30)


PAY = {"stripe": (pay_by_card, 303), "alipay": (pay_by_alipay, 302)}


def over_http(server: c.Server, orders: int, warmup: int, rail: str = "stripe") -> dict:
    import requests

    session = requests.Session()
    total, steps, statuses = [], {"checkout": [], "pay": [], "order": []}, {}
    polls = 0
    for n in range(warmup + orders):
        t0 = time.perf_counter()
        r = session.post(f"{server.url}/api/checkout", json=checkout_body(n, rail), timeout=30)
        if r.status_code != 201:
            raise RuntimeError(f"checkout answered {r.status_code}: {r.text[:300]}")
        placed = r.json()
        t1 = time.perf_counter()
        # The browser follows pay_url: the shop's pay step, then the sandbox pay page it answers 303 to.
        step = session.get(c.local_url(placed["pay_url"], server.port), allow_redirects=False, timeout=30)
        if step.status_code != 303:
            raise RuntimeError(f"the pay step answered {step.status_code}: {step.text[:300]}")
        pay_with, paid_status = PAY[rail]
        pay = pay_with(session, server, step.headers["Location"])
        if pay.status_code != paid_status:
            raise RuntimeError(f"the pay form answered {pay.status_code}: {pay.text[:300]}")
        t2 = time.perf_counter()
        token = placed["order_url"].split("#t=", 1)[1]
        deadline = t0 + 30
        while True:
            got = session.get(f"{server.url}/api/orders/{placed['order_id']}",
                              headers={"Authorization": f"Bearer {token}"}, timeout=30)
            polls += 1
            order = got.json()["order"]
            if order["status"] == "delivered" and order.get("keys"):
                break
            if order["status"] not in ("pending", "paid") or time.perf_counter() > deadline:
                raise RuntimeError(f"order {placed['order_id']} ended {order['status']}")
            time.sleep(0.001)
        t3 = time.perf_counter()
        statuses[order["status"]] = statuses.get(order["status"], 0) + 1
        if n >= warmup:
            total.append(t3 - t0)
            steps["checkout"].append(t1 - t0)
            steps["pay"].append(t2 - t1)
            steps["order"].append(t3 - t2)
    return {
        "end_to_end": c.summary_ms(total),
        "steps": {name: c.summary_ms(values) for name, values in steps.items()},
        "order_gets": polls,
        "statuses": statuses,
    }


def in_process(data_dir: Path, orders: int, warmup: int) -> dict:
    sys.path.insert(0, str(c.REPO / "functions"))
    from kameng import config, wiring
    from kameng.handlers import checkout, orders as orders_handler, webhook

    deps = wiring.build(config.load({"KAMENG_DATA_DIR": str(data_dir)}))
    deps.gateway.send = lambda payload, headers: webhook.handler({"body": payload.decode(), "headers": headers,
                                                                  "pathParameters": {"rail": "stripe"}})
    wiring.use(deps)
    total, steps = [], {"checkout": [], "pay": [], "order": []}
    for n in range(warmup + orders):
        t0 = time.perf_counter()
        r = checkout.handler({"body": json.dumps(checkout_body(n)), "headers": {"content-type": "application/json"}})
        if r["statusCode"] != 201:
            raise RuntimeError(f"checkout answered {r['statusCode']}: {r['body'][:300]}")
        placed = json.loads(r["body"])
        t1 = time.perf_counter()
        link = urlsplit(placed["pay_url"])
        step = orders_handler.open_pay_page({"pathParameters": {"id": placed["order_id"]},
                                             "queryStringParameters": dict(parse_qsl(link.query))})
        if step["statusCode"] != 303:
            raise RuntimeError(f"the pay step answered {step['statusCode']}: {step['body'][:300]}")
        if deps.gateway.pay(step["headers"]["location"].rsplit("/", 1)[1], "card") is None:
            raise RuntimeError("the sandbox session was not open")
        t2 = time.perf_counter()
        token = placed["order_url"].split("#t=", 1)[1]
        got = orders_handler.get_order({"pathParameters": {"id": placed["order_id"]},
                                        "headers": {"authorization": f"Bearer {token}"}})
        order = json.loads(got["body"])["order"]
        if order["status"] != "delivered" or not order["keys"]:
            raise RuntimeError(f"order {placed['order_id']} is {order['status']} right after payment")
        t3 = time.perf_counter()
        if n >= warmup:
            total.append(t3 - t0)
            steps["checkout"].append(t1 - t0)
            steps["pay"].append(t2 - t1)
            steps["order"].append(t3 - t2)
    wiring.use(None)
    return {"end_to_end": c.summary_ms(total), "steps": {k: c.summary_ms(v) for k, v in steps.items()}}


def prepare(work: Path, name: str, keys: int) -> tuple[Path, Path]:
    data_dir = work / name
    site = c.build_demo(work / f"{name}-build", data_dir)
    c.import_keys(data_dir, SKU, c.write_keys(work / f"{name}-keys.txt", keys, f"CK{name.upper()[:3]}"))
    return data_dir, site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Checkout → keys delivered latency (budget: DESIGN.md).")
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=5, help="orders placed first and not timed")
    args = parser.parse_args(argv)
    c.require_build_py()
    work = c.temp_dir("bench-checkout")
    rows, details = [], {"orders": args.orders, "warmup": args.warmup, "sku": SKU, "station": STATION}
    try:
        keys = 2 * (args.orders + args.warmup) + 50
        data_dir, site = prepare(work, "http", keys)
        with c.local_server(site, data_dir) as server:
            print(f"local server on {server.url}; {args.orders} sequential orders ...", flush=True)
            details["load_avg_before"] = c.machine().get("load_avg_1m")
            http = over_http(server, args.orders, args.warmup)
            details["local_server"] = http
            print(f"... and {args.orders} paid by Alipay on its sandbox", flush=True)
            details["local_server_alipay"] = over_http(server, args.orders, args.warmup, rail="alipay")
            details["server_rss_mib"] = server.rss_mib()
        for label, key in (("", "local_server"), (", Alipay rail", "local_server_alipay")):
            e2e = details[key]["end_to_end"]
            rows.append(c.row(f"checkout → keys delivered, local server{label}, {args.orders} sequential orders",
                              f"p50 {e2e['p50_ms']:.1f} ms, p99 {e2e['p99_ms']:.1f} ms",
                              f"p50 ≤ {BUDGET_P50_MS} ms, p99 ≤ {BUDGET_P99_MS} ms",
                              e2e["p50_ms"] <= BUDGET_P50_MS and e2e["p99_ms"] <= BUDGET_P99_MS))

        data_dir2, _ = prepare(work, "inproc", keys)
        print("in-process handlers ...", flush=True)
        inproc = in_process(data_dir2, args.orders, args.warmup)
        details["in_process"] = inproc
        e2e2 = inproc["end_to_end"]
        rows.append(c.row(f"checkout → keys delivered, handlers in-process, {args.orders} orders",
                          f"p50 {e2e2['p50_ms']:.1f} ms, p99 {e2e2['p99_ms']:.1f} ms",
                          f"p50 ≤ {BUDGET_P50_MS} ms, p99 ≤ {BUDGET_P99_MS} ms",
                          e2e2["p50_ms"] <= BUDGET_P50_MS and e2e2["p99_ms"] <= BUDGET_P99_MS))
    finally:
        c.cleanup(work)

    print("\nper step p50 / p99 (ms):")
    for label, result in (("local server", details.get("local_server")), ("with Alipay", details.get("local_server_alipay")),
                          ("in-process", details.get("in_process"))):
        if result:
            print(f"  {label:<13}" + "   ".join(f"{k} {v['p50_ms']:.1f} / {v['p99_ms']:.1f}" for k, v in result["steps"].items()))
    c.print_table(rows, "Checkout → keys delivered (sandbox webhook, embedded SQLite store)")
    c.write_result("bench_checkout", rows, details)
    return 0


if __name__ == "__main__":
    sys.exit(main())
