"""Key import and `GET /api/stock` on the local server with a large pool of keys.

    .venv/bin/python loadtests/bench_stock.py [--keys 100000] [--requests 2000] [--threads 8]

1. `kameng import-keys` of 10,000 keys into one SKU, then of 100,000 keys into another:
   wall time and peak RSS of each import process. "Memory flat" means the 100,000-key
   import peaks no higher than the 10,000-key one plus FLAT_SLACK_MIB (RSS does not grow
   with the file).
2. The local server with those keys; 2,000 `GET /api/stock?station=main` (the main
   station sells every SKU, the 100,000-key one included) from 8 threads, each with its
   own keep-alive connection: p50 / p95 / p99 latency.
"""
from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

BUDGET_IMPORT_S = 15
BUDGET_STOCK_P95_MS = 50
FLAT_SLACK_MIB = 25
SMALL_SKU, BIG_SKU = "steam-cny-50", "steam-cny-100"
STATION = "main"


def hammer(server: c.Server, station: str, total: int, threads: int) -> dict:
    import requests

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    per_thread = [total // threads + (1 if i < total % threads else 0) for i in range(threads)]
    start = threading.Barrier(threads + 1)

    def worker(count: int) -> None:
        session = requests.Session()
        mine, bad = [], []
        for _ in range(3):  # warm the connection, not counted
            session.get(f"{server.url}/api/stock", params={"station": station}, timeout=30)
        start.wait()
        for _ in range(count):
            t0 = time.perf_counter()
            try:
                r = session.get(f"{server.url}/api/stock", params={"station": station}, timeout=30)
                elapsed = time.perf_counter() - t0
                if r.status_code != 200 or BIG_SKU not in r.json().get("skus", {}):
                    bad.append(f"{r.status_code} {r.text[:100]}")
                else:
                    mine.append(elapsed)
            except Exception as error:  # noqa: BLE001 - counted and reported
                bad.append(repr(error))
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    workers = [threading.Thread(target=worker, args=(n,)) for n in per_thread]
    for w in workers:
        w.start()
    start.wait()
    t0 = time.perf_counter()
    for w in workers:
        w.join()
    seconds = time.perf_counter() - t0
    return {"latency": c.summary_ms(latencies) if latencies else None, "errors": len(errors),
            "error_samples": errors[:5], "seconds": round(seconds, 3),
            "requests_per_s": round(total / seconds, 1), "threads": threads}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Key import and /api/stock benchmarks (budgets: DESIGN.md).")
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--small-keys", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    c.require_build_py()
    work = c.temp_dir("bench-stock")
    rows, details = [], {"keys": args.keys, "small_keys": args.small_keys, "station": STATION}
    try:
        data_dir = work / "data"
        site = c.build_demo(work, data_dir)
        imports = {}
        for sku, count in ((SMALL_SKU, args.small_keys), (BIG_SKU, args.keys)):
            keys_file = c.write_keys(work / f"keys-{count}.txt", count, f"ST{count}")
            measured = c.import_keys(data_dir, sku, keys_file, timeout=600)
            samples = measured.samples
            imports[count] = {
                "sku": sku, "seconds": round(measured.seconds, 3), "cpu_s": round(measured.cpu_seconds, 3),
                "peak_rss_mib": round(measured.peak_mib, 1), "load_avg_before": round(measured.load_before, 2),
                # RSS at a quarter, half and the end of the run: flat memory stays level.
                "rss_mib_at": {f"{q}%": round(samples[min(len(samples) - 1, len(samples) * q // 100)][1] / c.MIB, 1)
                               for q in (25, 50, 75, 99)} if samples else {},
                "stdout": measured.stdout.strip()[-300:],
            }
            print(f"  import {count:,} keys into {sku}: {measured.seconds:.2f} s, peak {measured.peak_mib:.0f} MiB "
                  f"({measured.stdout.strip()})", flush=True)
        details["imports"] = imports
        big, small = imports[args.keys], imports[args.small_keys]
        flat = big["peak_rss_mib"] <= small["peak_rss_mib"] + FLAT_SLACK_MIB
        rows.append(c.row(
            f"import {args.keys:,} card keys into one SKU",
            f"{big['seconds']:.2f} s, peak {big['peak_rss_mib']:.0f} MiB (10k keys: {small['peak_rss_mib']:.0f} MiB)",
            f"≤ {BUDGET_IMPORT_S} s, memory flat", big["seconds"] <= BUDGET_IMPORT_S and flat))

        counts, source = c.stock_counts(data_dir)
        details["stock_after_import"] = {BIG_SKU: counts.get(BIG_SKU), SMALL_SKU: counts.get(SMALL_SKU), "source": source}
        if (counts.get(BIG_SKU) or {}).get("available") != args.keys:
            raise RuntimeError(f"expected {args.keys} available keys in {BIG_SKU}, the store says {counts.get(BIG_SKU)}")

        with c.local_server(site, data_dir) as server:
            print(f"local server on {server.url}; {args.requests} GET /api/stock?station={STATION} from {args.threads} threads ...", flush=True)
            details["load_avg_before"] = c.machine().get("load_avg_1m")
            result = hammer(server, STATION, args.requests, args.threads)
            details["stock_requests"] = result
        latency = result["latency"] or {}
        rows.append(c.row(
            f"GET /api/stock?station={STATION} ({args.keys:,} keys in one SKU), {args.requests} req / {args.threads} threads",
            f"p50 {latency.get('p50_ms', float('nan')):.1f} ms, p95 {latency.get('p95_ms', float('nan')):.1f} ms, "
            f"{result['requests_per_s']:.0f} req/s, {result['errors']} errors",
            f"p95 ≤ {BUDGET_STOCK_P95_MS} ms",
            result["errors"] == 0 and latency.get("p95_ms", 1e9) <= BUDGET_STOCK_P95_MS))
    finally:
        c.cleanup(work)

    c.print_table(rows, "Stock: key import and GET /api/stock (local server, embedded SQLite store)")
    c.write_result("bench_stock", rows, details)
    return 0


if __name__ == "__main__":
    sys.exit(main())
