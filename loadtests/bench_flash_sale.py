"""Flash sale on the local server: Locust, 500 concurrent shoppers, one SKU, limited keys.

    .venv/bin/python loadtests/bench_flash_sale.py [--users 500] [--spawn-rate 100] [--duration 30s] [--keys 300]

Builds the demo content into a temp data folder, imports --keys keys into one SKU,
starts `python -m kameng.local` and runs loadtests/locustfile.py headless against it
(FastHttpUser; Locust and the server share the machine's cores). Afterwards it checks,
through the API and the CLI:
  - every order placed is readable with its token; paid ones are delivered with keys,
  - delivered keys ≤ keys imported, and no key is in two orders (0 oversold),
  - `kameng stock --json`: available + reserved + sold + void = imported, and sold equals
    the keys delivered,
and reports errors (non-2xx other than 409 sold_out) and checkout p50/p95/p99.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

BUDGET_CHECKOUT_P95_MS = 300
STATION, PRODUCT, SKU = "main", "steam-wallet", "steam-cny-100"
CHECKOUT = "POST /api/checkout"


def read_stats(prefix: Path) -> dict[str, dict]:
    path = prefix.parent / f"{prefix.name}_stats.csv"
    if not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as f:
        return {row["Name"]: row for row in csv.DictReader(f)}


def read_failures(prefix: Path) -> list[dict]:
    path = prefix.parent / f"{prefix.name}_failures.csv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def verify(server: c.Server, orders_file: Path, data_dir: Path, keys: int) -> dict:
    placed = c.placed_orders(orders_file)
    statuses: dict[str, int] = {}
    owners: dict[str, str] = {}
    duplicates: list[str] = []
    paid_not_delivered, delivered_keys = 0, 0
    seen, unreadable = c.read_back(server.url, placed)
    for order, view in seen:
        statuses[view["status"]] = statuses.get(view["status"], 0) + 1
        if order["pay"] and view["status"] != "delivered":
            paid_not_delivered += 1
        if view["status"] == "delivered":
            for key in view.get("keys") or []:
                delivered_keys += 1
                code = key["code"]
                if code in owners:
                    duplicates.append(code)
                owners[code] = view["id"]
    counts, source = c.stock_counts(data_dir)
    stock = counts.get(SKU, {})
    equation = sum(stock.get(f, 0) for f in ("available", "reserved", "sold", "void"))
    return {
        "orders_placed": len(placed),
        "orders_paid_by_shoppers": sum(1 for o in placed if o["pay"]),
        "statuses": statuses,
        "unreadable_orders": unreadable,
        "paid_not_delivered": paid_not_delivered,
        "keys_delivered": delivered_keys,
        "distinct_keys_delivered": len(owners),
        "keys_in_two_orders": len(duplicates),
        "oversold": max(0, delivered_keys - keys) + len(duplicates) + max(0, len(placed) - keys),
        "stock": stock,
        "stock_source": source,
        "stock_equation_holds": equation == stock.get("imported") == keys,
        "sold_matches_delivered": stock.get("sold") == delivered_keys,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Flash-sale load test (budget: DESIGN.md).")
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--spawn-rate", type=int, default=100)
    parser.add_argument("--duration", default="30s")
    parser.add_argument("--keys", type=int, default=300)
    parser.add_argument("--pay-share", type=float, default=0.6, help="share of shoppers with an order who pay")
    parser.add_argument("--wait", default="1,3", help="think time between a shopper's visits, MIN,MAX seconds")
    parser.add_argument("--server-threads", type=int, default=None, help="waitress threads (default: the server's own)")
    args = parser.parse_args(argv)
    c.require_build_py()
    wait_min, wait_max = (float(x) for x in args.wait.split(","))
    work = c.temp_dir("bench-flash")
    rows: list[dict] = []
    details: dict = {"users": args.users, "spawn_rate": args.spawn_rate, "duration": args.duration, "keys": args.keys,
                     "pay_share": args.pay_share, "wait_s": [wait_min, wait_max], "sku": SKU, "station": STATION}
    try:
        data_dir = work / "data"
        site = c.build_demo(work, data_dir)
        c.import_keys(data_dir, SKU, c.write_keys(work / "keys.txt", args.keys, "FLASH"))
        orders_file, latency_file, prefix = work / "orders.jsonl", work / "latency.json", work / "locust"
        with c.local_server(site, data_dir, threads=args.server_threads) as server:
            env = c.kameng_env(None, FLASH_STATION=STATION, FLASH_PRODUCT=PRODUCT, FLASH_SKU=SKU,
                               FLASH_PAY_SHARE=str(args.pay_share), FLASH_WAIT_MIN=str(wait_min),
                               FLASH_WAIT_MAX=str(wait_max), FLASH_ORDERS_FILE=str(orders_file),
                               FLASH_LATENCY_FILE=str(latency_file))
            argv_locust = [str(c.VENV_BIN / "locust"), "-f", str(c.HERE / "locustfile.py"), "--headless",
                           "-u", str(args.users), "-r", str(args.spawn_rate), "-t", args.duration,
                           "--host", server.url, "--csv", str(prefix), "--only-summary", "--stop-timeout", "10",
                           "--loglevel", "WARNING"]
            print(f"local server on {server.url}; locust: {args.users} users, +{args.spawn_rate}/s, {args.duration} ...", flush=True)
            server_cpu_before = _cpu(server.process.pid)
            details["load_avg_before"] = round(os.getloadavg()[0], 2)
            locust = c.run_measured(argv_locust, env=env, timeout=600)
            details["server_cpu_s"] = round(_cpu(server.process.pid) - server_cpu_before, 2)
            details["locust_cpu_s"] = round(locust.cpu_seconds, 2)
            details["locust_wall_s"] = round(locust.seconds, 2)
            details["locust_exit"] = locust.returncode
            details["locust_stderr_tail"] = locust.stderr.strip()[-1500:]
            details["server_rss_mib"] = server.rss_mib()
            print(locust.stdout.strip()[-4000:] or locust.stderr.strip()[-4000:], flush=True)
            stats = read_stats(prefix)
            if not stats:
                raise RuntimeError(f"locust wrote no stats (exit {locust.returncode}):\n{locust.stderr[-3000:]}")
            checks = verify(server, orders_file, data_dir, args.keys)

        recorded = json.loads(latency_file.read_text()) if latency_file.exists() else {}
        latencies, failed = recorded.get("latency_ms", {}), recorded.get("failures", {})
        checkout_ms = latencies.get(CHECKOUT, [])
        exact = c.summary_ms([ms / 1000 for ms in checkout_ms]) if checkout_ms else {}
        total = stats.get("Aggregated", {})
        if latencies:  # every request until Locust quit, in-flight ones at the stop included
            requests_total, failures = sum(map(len, latencies.values())), sum(map(len, failed.values()))
        else:
            requests_total, failures = int(total.get("Request Count", 0)), int(total.get("Failure Count", 0))
        checkout = stats.get(CHECKOUT, {})
        details.update(
            requests=requests_total, failures=failures,
            per_request={name: {k: row.get(k) for k in ("Request Count", "Failure Count", "50%", "95%", "99%", "Max Response Time", "Requests/s")}
                         for name, row in stats.items()},
            failure_samples=read_failures(prefix)[:10],
            checkout_exact_ms=exact, checks=checks,
            exact_ms={name: c.summary_ms([ms / 1000 for ms in values]) for name, values in latencies.items() if values},
            failures_by_request={name: len(values) for name, values in failed.items()},
            throughput_req_s=round(requests_total / max(1.0, details.get("locust_wall_s") or 1.0), 1),
        )
        p95 = exact.get("p95_ms", float(checkout.get("95%") or "nan"))
        rows.append(c.row(
            f"flash sale: {args.users} shoppers, 1 SKU, {args.keys} keys, {args.duration} (Locust + server on {os.cpu_count()} cores)",
            f"{failures} errors / {requests_total} requests, checkout p95 {p95:.0f} ms "
            f"(p50 {exact.get('p50_ms', float('nan')):.0f}, {len(checkout_ms)} checkouts), {checks['oversold']} oversold",
            f"0 errors, checkout p95 ≤ {BUDGET_CHECKOUT_P95_MS} ms, 0 oversold",
            failures == 0 and p95 <= BUDGET_CHECKOUT_P95_MS and checks["oversold"] == 0
            and checks["stock_equation_holds"] and checks["sold_matches_delivered"] and checks["paid_not_delivered"] == 0))
    finally:
        c.cleanup(work)

    checks = details.get("checks", {})
    print("\nrequests (exact, ms):")
    for name, summary in details.get("exact_ms", {}).items():
        print(f"  {name:<32} n={summary['count']:<6} p50 {summary['p50_ms']:>8.1f}  p95 {summary['p95_ms']:>8.1f}  "
              f"p99 {summary['p99_ms']:>8.1f}  failures {details.get('failures_by_request', {}).get(name, 0)}")
    print("\nafter the sale:")
    for key in ("orders_placed", "orders_paid_by_shoppers", "statuses", "keys_delivered", "keys_in_two_orders", "oversold",
                "paid_not_delivered", "stock", "stock_equation_holds", "sold_matches_delivered", "stock_source"):
        print(f"  {key:<24} {checks.get(key)}")
    print(f"  server CPU {details.get('server_cpu_s')} s, locust CPU {details.get('locust_cpu_s')} s over {details.get('locust_wall_s')} s")
    c.print_table(rows, "Flash sale (local server, embedded SQLite store)")
    c.write_result("bench_flash_sale", rows, details)
    return 0


def _cpu(pid: int) -> float:
    if c.psutil is None:
        return float("nan")
    try:
        times = c.psutil.Process(pid).cpu_times()
        return times.user + times.system
    except c.psutil.Error:
        return float("nan")


if __name__ == "__main__":
    sys.exit(main())
