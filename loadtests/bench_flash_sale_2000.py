"""A flash sale of limited quantity under 2,000 concurrent users, across Locust processes, on the local server.

    .venv/bin/python loadtests/bench_flash_sale_2000.py [--users 2000] [--processes 2] [--duration 60s]
                                                        [--quantity 600] [--keys 1500] [--browsers 3]

Copies content/ into a temp folder and moves the game-zone station's flash sale of
qq-coin-10 so that it runs now, with --quantity units; builds and publishes it,
imports --keys keys (more than the sale's quantity, so the sale's counter is what
runs out, not the stock) and starts `python -m kameng.local`. Locust then runs
loadtests/locustfile.py headless with --processes worker processes: for every
shopper (who checks out one key, pays or not, polls the order) --browsers users
read the station's pages. Afterwards, through the API and the store:
  - orders placed at the sale ≤ its quantity, and the sale's counter says the same,
  - no key in two orders, delivered keys ≤ keys imported (0 oversold),
  - available + reserved + sold + void = imported,
and it reports users, requests/s, checkout p50/p95, errors (non-2xx other than a
409 sold_out / flash_sale_sold_out). On a small machine the server (one process of
waitress threads) is the bottleneck, not the store: latencies there say so.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import sqlite3
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402
from bench_flash_sale import read_failures, read_stats  # noqa: E402

STATION, PRODUCT, SKU = "game-zone", "qq-coin", "qq-coin-10"
CHECKOUT = "POST /api/checkout"
PAGES = "/,/p/qq-coin/,/p/steam-wallet/,/search/"
BUDGET_WALL_S = 120


def sale_running_now(content: Path, quantity: int) -> None:
    """The station's flash sale of SKU, started five minutes ago, for two hours, of `quantity` units."""
    station = content / STATION / "station.yaml"
    text = station.read_text(encoding="utf-8")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    block = re.search(rf"- sku: {re.escape(SKU)}\n(?:    .*\n)+", text.split("flash_sales:", 1)[1])
    if block is None:
        raise RuntimeError(f"{station}: no flash sale of {SKU} to move")
    moved = re.sub(r"starts: .*", f"starts: {(now - timedelta(minutes=5)).isoformat()}", block.group(0))
    moved = re.sub(r"ends: .*", f"ends: {(now + timedelta(hours=2)).isoformat()}", moved)
    moved = re.sub(r"quantity: \d+", f"quantity: {quantity}", moved)
    station.write_text(text.replace(block.group(0), moved, 1), encoding="utf-8")


def sale_counted(data_dir: Path) -> int | None:
    with sqlite3.connect(f"file:{data_dir / 'kameng.db'}?mode=ro", uri=True) as db:
        row = db.execute("SELECT SUM(sold) FROM quota_counts WHERE counter LIKE ? AND holder = '*'",
                         (f"FLASH#{STATION}#{SKU}@%",)).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def merged_latencies(latency_file: Path) -> tuple[dict[str, list[float]], dict[str, list[str]]]:
    latencies: dict[str, list[float]] = {}
    failures: dict[str, list[str]] = {}
    for path in glob.glob(f"{latency_file}*"):
        recorded = json.loads(Path(path).read_text(encoding="utf-8"))
        for name, values in recorded.get("latency_ms", {}).items():
            latencies.setdefault(name, []).extend(values)
        for name, values in recorded.get("failures", {}).items():
            failures.setdefault(name, []).extend(values)
    return latencies, failures


def verify(server: c.Server, orders_file: Path, data_dir: Path, keys: int, quantity: int) -> dict:
    placed = c.placed_orders(orders_file)
    owners: dict[str, str] = {}
    duplicates, delivered_keys = 0, 0
    statuses: dict[str, int] = {}
    seen, unreadable = c.read_back(server.url, placed)
    for _, view in seen:
        statuses[view["status"]] = statuses.get(view["status"], 0) + 1
        for key in view.get("keys") or []:
            delivered_keys += 1
            duplicates += key["code"] in owners
            owners[key["code"]] = view["id"]
    counts, _ = c.stock_counts(data_dir)
    stock = counts.get(SKU, {})
    counted = sale_counted(data_dir)
    return {
        "orders_placed": len(placed), "statuses": statuses, "unreadable_orders": unreadable,
        "keys_delivered": delivered_keys, "keys_in_two_orders": duplicates, "sale_counter": counted,
        # Lapsed orders give their units back, so the counter may be below the orders placed, never above the quantity.
        "oversold": max(0, (counted or 0) - quantity) + duplicates + max(0, delivered_keys - keys)
                    + max(0, len(placed) - keys),
        "stock": stock,
        "stock_equation_holds": sum(stock.get(f, 0) for f in ("available", "reserved", "sold", "void"))
                                == stock.get("imported") == keys,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Flash sale under 2,000 users (Locust processes, local server).")
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=2, help="Locust worker processes")
    parser.add_argument("--spawn-rate", type=int, default=200)
    parser.add_argument("--duration", default="60s")
    parser.add_argument("--quantity", type=int, default=600, help="the flash sale's quantity")
    parser.add_argument("--keys", type=int, default=1500)
    parser.add_argument("--browsers", type=int, default=3, help="browsing users per shopper")
    parser.add_argument("--pay-share", type=float, default=0.6)
    parser.add_argument("--wait", default="5,15", help="think time between a user's visits, MIN,MAX seconds")
    parser.add_argument("--server-threads", type=int, default=48, help="waitress threads")
    args = parser.parse_args(argv)
    c.require_build_py()
    wait_min, wait_max = (float(x) for x in args.wait.split(","))
    work = c.temp_dir("bench-flash-2000")
    rows: list[dict] = []
    details: dict = {"users": args.users, "processes": args.processes, "spawn_rate": args.spawn_rate,
                     "duration": args.duration, "quantity": args.quantity, "keys": args.keys,
                     "browsers_per_shopper": args.browsers, "wait_s": [wait_min, wait_max],
                     "server_threads": args.server_threads, "sku": SKU, "station": STATION}
    try:
        data_dir, content = work / "data", work / "content"
        shutil.copytree(c.REPO / "content", content)
        sale_running_now(content, args.quantity)
        site = work / "site"
        c.run_measured(c.build_cmd(content, site, publish=True), env=c.kameng_env(data_dir)).check()
        c.import_keys(data_dir, SKU, c.write_keys(work / "keys.txt", args.keys, "SALE"))
        orders_file, latency_file, prefix = work / "orders.jsonl", work / "latency.json", work / "locust"
        with c.local_server(site, data_dir, threads=args.server_threads) as server:
            env = c.kameng_env(None, FLASH_STATION=STATION, FLASH_PRODUCT=PRODUCT, FLASH_SKU=SKU,
                               FLASH_PAY_SHARE=str(args.pay_share), FLASH_WAIT_MIN=str(wait_min),
                               FLASH_WAIT_MAX=str(wait_max), FLASH_ORDERS_FILE=str(orders_file),
                               FLASH_LATENCY_FILE=str(latency_file), FLASH_BROWSERS=str(args.browsers),
                               FLASH_PAGES=PAGES)
            argv_locust = [str(c.VENV_BIN / "locust"), "-f", str(c.HERE / "locustfile.py"), "--headless",
                           "--processes", str(args.processes), "-u", str(args.users), "-r", str(args.spawn_rate),
                           "-t", args.duration, "--host", server.url, "--csv", str(prefix), "--only-summary",
                           "--stop-timeout", "10", "--loglevel", "WARNING"]
            print(f"local server on {server.url}; locust: {args.users} users in {args.processes} processes, "
                  f"+{args.spawn_rate}/s, {args.duration} ...", flush=True)
            details["load_avg_before"] = round(os.getloadavg()[0], 2)
            locust = c.run_measured(argv_locust, env=env, timeout=300)
            details.update(locust_wall_s=round(locust.seconds, 2), locust_exit=locust.returncode,
                           locust_stderr_tail=locust.stderr.strip()[-1500:], server_rss_mib=server.rss_mib())
            stats = read_stats(prefix)
            if not stats:
                raise RuntimeError(f"locust wrote no stats (exit {locust.returncode}):\n{locust.stderr[-3000:]}")
            checks = verify(server, orders_file, data_dir, args.keys, args.quantity)
        latencies, failed = merged_latencies(latency_file)
        total = stats.get("Aggregated", {})
        requests_total = sum(map(len, latencies.values())) or int(total.get("Request Count", 0))
        failures = sum(map(len, failed.values())) if latencies else int(total.get("Failure Count", 0))
        checkout = c.summary_ms([ms / 1000 for ms in latencies.get(CHECKOUT, [])]) if latencies.get(CHECKOUT) else {}
        rps = float(total.get("Requests/s") or 0)
        details.update(requests=requests_total, failures=failures, requests_per_s=round(rps, 1), checks=checks,
                       checkout_exact_ms=checkout, failure_samples=read_failures(prefix)[:10],
                       exact_ms={name: c.summary_ms([ms / 1000 for ms in values])
                                 for name, values in latencies.items() if values},
                       failures_by_request={name: len(values) for name, values in failed.items()})
        wall = details["locust_wall_s"]
        rows.append(c.row(
            f"flash sale: {args.users} users ({args.processes} Locust processes), a sale of {args.quantity}, "
            f"{args.duration} (Locust + server on {os.cpu_count()} cores)",
            f"{failures} errors / {requests_total} requests, {rps:.0f} req/s, checkout p50 "
            f"{checkout.get('p50_ms', float('nan')):.0f} ms p95 {checkout.get('p95_ms', float('nan')):.0f} ms "
            f"({checkout.get('count', 0)} checkouts, {checks['orders_placed']} orders), {checks['oversold']} oversold, "
            f"{wall:.0f} s",
            f"0 errors, 0 oversold, ≤ {BUDGET_WALL_S} s",
            failures == 0 and checks["oversold"] == 0 and checks["stock_equation_holds"] and wall <= BUDGET_WALL_S))
    finally:
        c.cleanup(work)

    print("\nrequests (exact, ms):")
    for name, summary in details.get("exact_ms", {}).items():
        print(f"  {name:<32} n={summary['count']:<6} p50 {summary['p50_ms']:>8.1f}  p95 {summary['p95_ms']:>8.1f}  "
              f"p99 {summary['p99_ms']:>8.1f}  failures {details.get('failures_by_request', {}).get(name, 0)}")
    print("\nafter the sale:")
    for key, value in details.get("checks", {}).items():
        print(f"  {key:<24} {value}")
    for sample in details.get("failure_samples", []):
        print(f"  failure: {sample}")
    c.print_table(rows, "Flash sale, 2,000 users (local server, embedded SQLite store)")
    c.write_result("bench_flash_sale_2000", rows, details)
    return 0


if __name__ == "__main__":
    sys.exit(main())
