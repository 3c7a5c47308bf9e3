"""The owner dashboard (`services.dashboard.overview`) on a year of statistics, embedded SQLite store.

    .venv/bin/python loadtests/bench_dashboard.py [--orders 1000000] [--buyers 100000] [--calls 200]

1. Rollups of 1,000,000 orders from 100,000 buyers over 365 days, across STATIONS stations of
   SKUS_PER_STATION SKUs each, REFUND_EVERY-th order refunded. The first SAMPLE orders (and their
   refunds) go through the Statistics port's record(), one transaction each as in production.
   record() one order at a time takes about 3.5 minutes for a million on 2 cores (each commit
   waits for the disk, synchronous=FULL), so the rest are written by the adapter's own statements
   (its marker insert, `_add_to_day` for the station's and the SKU's row, `_add_to_buyer`): exactly
   the rows record() writes, in transactions of BATCH orders instead of one each.
2. `overview()` CALLS times for random (station, today) in the year, after a few warm-up calls:
   p50 / p95 against the budget (DESIGN.md: p95 ≤ 200 ms, rollups, never a scan).
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

sys.path.insert(0, str(c.REPO / "functions"))

from kameng.adapters.sqlite import open_store  # noqa: E402
from kameng.adapters.sqlite.stats import _STATION_TOTAL, _add_to_buyer, _add_to_day  # noqa: E402
from kameng.domain.stats import Counted, Figures, StatsDelta  # noqa: E402
from kameng.services.dashboard import overview  # noqa: E402

BUDGET_P95_MS = 200
STATIONS = 10
SKUS_PER_STATION = 40
REFUND_EVERY = 50
SAMPLE = 20_000
BATCH = 50_000
FIRST_DAY = date(2026, 1, 1)
YEAR = 365
WARM_UP = 5


def orders(count: int, buyers: int, seed: int):
    """(order id, kind, delta) of each delivery, and of every REFUND_EVERY-th order's refund after it."""
    rng = random.Random(seed)
    prices = [rng.choice((1000, 2980, 5000, 9980, 19900)) for _ in range(SKUS_PER_STATION)]
    for n in range(count):
        buyer = rng.randrange(buyers)
        # A buyer shops at one station: the buyer record is per station.
        station = f"station-{buyer % STATIONS:02d}"
        sku_index = rng.randrange(SKUS_PER_STATION)
        quantity = rng.choice((1, 1, 1, 2, 3))
        total = prices[sku_index] * quantity
        delivered = StatsDelta(station, f"sku-{sku_index:02d}", FIRST_DAY + timedelta(days=rng.randrange(YEAR)),
                               f"buyer-{buyer:06d}", Figures(gmv=total, orders=1, keys=quantity), total, 1)
        yield f"order-{n:07d}", Counted.DELIVERED, delivered
        if n % REFUND_EVERY == 0:
            refund = Figures(gmv=-total, orders=-1, keys=-quantity, refunded=total, refunds=1)
            yield f"order-{n:07d}", Counted.REFUNDED, StatsDelta(
                delivered.station, delivered.sku, delivered.day, delivered.shopper_key, refund, -total, -1)


def _write_batch(store, batch: list) -> None:
    with store.statistics._db.write() as conn:
        conn.executemany("INSERT INTO stats_marks (order_id, kind) VALUES (?, ?)",
                         [(order_id, kind.value) for order_id, kind, _ in batch])
        for _, _, delta in batch:
            _add_to_day(conn, delta, _STATION_TOTAL)
            _add_to_day(conn, delta, delta.sku)
            _add_to_buyer(conn, delta)


def fill(store, count: int, buyers: int, sample: int, seed: int) -> dict:
    started = time.perf_counter()
    generated = orders(count, buyers, seed)
    recorded = 0
    for order_id, kind, delta in generated:
        if not store.statistics.record(order_id, kind, delta):
            raise RuntimeError(f"record() refused {order_id} {kind.value}")
        recorded += 1
        if kind is Counted.DELIVERED and int(order_id.split("-")[1]) >= sample - 1:
            break
    sampled = time.perf_counter() - started
    batch, batched = [], 0
    for item in generated:
        batch.append(item)
        if len(batch) >= BATCH:
            _write_batch(store, batch)
            batched += len(batch)
            batch = []
    if batch:
        _write_batch(store, batch)
        batched += len(batch)
    rows = store.statistics._db.conn().execute("SELECT count(*) FROM stats_days").fetchone()[0]
    return {"recorded": recorded, "record_per_s": round(recorded / sampled), "batched": batched,
            "fill_s": round(time.perf_counter() - started, 1), "stats_days_rows": rows}


def check(store, count: int) -> None:
    orders_kept, refunds = store.statistics._db.conn().execute(
        "SELECT sum(orders), sum(refunds) FROM stats_days WHERE sku = ?", (_STATION_TOTAL,)).fetchone()
    expected_refunds = -(-count // REFUND_EVERY)
    if (orders_kept + refunds, refunds) != (count, expected_refunds):
        raise RuntimeError(f"rollups hold {orders_kept + refunds} orders and {refunds} refunds, "
                           f"expected {count} and {expected_refunds}")


def time_overview(store, calls: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    deps = SimpleNamespace(store=store)
    asked = [(f"station-{rng.randrange(STATIONS):02d}", FIRST_DAY + timedelta(days=rng.randrange(YEAR)))
             for _ in range(calls + WARM_UP)]
    for station, today in asked[:WARM_UP]:
        overview(station, today, deps)
    seconds = []
    for station, today in asked[WARM_UP:]:
        t0 = time.perf_counter()
        dashboard = overview(station, today, deps)
        seconds.append(time.perf_counter() - t0)
        if not dashboard.by_revenue:
            raise RuntimeError(f"no best sellers for {station} on {today}: the rollups are not there")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The owner dashboard on a year of rollups (budget: DESIGN.md).")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--buyers", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--sample", type=int, default=SAMPLE)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    work = c.temp_dir("bench-dashboard")
    details: dict = {"orders": args.orders, "buyers": args.buyers, "stations": STATIONS,
                     "skus_per_station": SKUS_PER_STATION, "days": YEAR, "refund_every": REFUND_EVERY}
    try:
        store = open_store(work / "kameng.db")
        print(f"writing the rollups of {args.orders:,} orders ({args.sample:,} through record()) ...", flush=True)
        details["fill"] = fill(store, args.orders, args.buyers, args.sample, args.seed)
        print(f"  {details['fill']}", flush=True)
        check(store, args.orders)
        details["load_avg_before"] = c.machine().get("load_avg_1m")
        latency = c.summary_ms(time_overview(store, args.calls, args.seed))
        details["overview"] = latency
    finally:
        c.cleanup(work)
    rows = [c.row(
        f"owner dashboard `overview()`, {args.orders:,} orders from {args.buyers:,} buyers over a year, "
        f"{args.calls} calls (random station and day)",
        f"p50 {latency['p50_ms']:.1f} ms, p95 {latency['p95_ms']:.1f} ms",
        f"p95 ≤ {BUDGET_P95_MS} ms", latency["p95_ms"] <= BUDGET_P95_MS)]
    c.print_table(rows, "Owner dashboard (embedded SQLite store, statistics rollups)")
    c.write_result("bench_dashboard", rows, details)
    return 0


if __name__ == "__main__":
    sys.exit(main())
