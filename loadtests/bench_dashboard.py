"""The owner dashboard (GET /api/owner/stations/{station}/dashboard) on a year of statistics, embedded SQLite store.

    .venv/bin/python loadtests/bench_dashboard.py [--orders 1000000] [--buyers 100000] [--calls 200]

1. Rollups of 1,000,000 orders from 100,000 buyers over 365 days (placed in time order, as a shop's
   orders are), across STATIONS stations of SKUS_PER_STATION SKUs each, REFUND_EVERY-th order
   refunded, every INVITED-th buyer's orders carrying a referral commission, one checkout left unpaid
   per UNPAID orders. The first SAMPLE orders (and their refunds) go through the Statistics port's
   record() and count_once(), one transaction each as in production. record() one order at a time
   takes minutes for a million on 2 cores (each commit waits for the disk, synchronous=FULL), so the
   rest are written by the adapter's own statements (its marker insert, `_add_to_day` for the
   station's and the SKU's row, `_add_to_buyer`, `_add_to_activity` for the buyer's day, week and
   cohort, `_add_to_referrers`, `_add_tally` for checkouts and members): exactly the rows record()
   and count_once() write, in transactions of BATCH orders instead of one each.
2. The station owner's dashboard endpoint, called through the route table with an API token like
   any request, CALLS times for random (station, now) in the year after a few warm-up calls:
   p50 / p95 against the budget (DESIGN.md: p95 ≤ 200 ms, rollups, never a scan).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

sys.path.insert(0, str(c.REPO / "functions"))

import dataclasses  # noqa: E402
from datetime import datetime, time as clock_time, timezone  # noqa: E402

from kameng import config, routes, wiring  # noqa: E402
from kameng.adapters.sqlite.stats import (_STATION_TOTAL, add_tally, _add_to_activity, _add_to_buyer,  # noqa: E402
                                          _add_to_day, _add_to_referrers)
from kameng.domain.price_book import PriceBook, PricedSku  # noqa: E402
from kameng.domain.stats import Counted, Figures, ReferrerShare, StatsDelta, Tally  # noqa: E402
from kameng.services import owners  # noqa: E402

BUDGET_P95_MS = 200
STATIONS = 10
SKUS_PER_STATION = 40
REFUND_EVERY = 50
INVITED = 5
UNPAID = 3
COMMISSION_PERCENT = 3
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
        # An invitee's referrer is another buyer of the same station.
        referrers = (ReferrerShare(f"buyer-{(buyer // INVITED * STATIONS + buyer % STATIONS) % buyers:06d}", 1, total,
                                   total * COMMISSION_PERCENT // 100),) if buyer % INVITED == 0 else ()
        delivered = StatsDelta(station, f"sku-{sku_index:02d}", FIRST_DAY + timedelta(days=n * YEAR // count),
                               f"buyer-{buyer:06d}", Figures(gmv=total, orders=1, keys=quantity), total, 1, referrers)
        yield f"order-{n:07d}", Counted.DELIVERED, delivered
        if n % REFUND_EVERY == 0:
            refund = Figures(gmv=-total, orders=-1, keys=-quantity, refunded=total, refunds=1)
            yield f"order-{n:07d}", Counted.REFUNDED, dataclasses.replace(
                delivered, figures=refund, spend=-total, buyer_orders=-1,
                referrers=tuple(ReferrerShare(r.referrer, -1, -r.gmv, -r.commissions) for r in referrers))


def _checkouts(order_id: str) -> int:
    return 1 + (int(order_id.split("-")[1]) % UNPAID == 0)


def _count_events(store, order_id: str, delta: StatsDelta, seen: set[str]) -> None:
    """What checkout and sign-in count for the order, through count_once() as in production."""
    for n in range(_checkouts(order_id)):
        store.statistics.count_once(f"checkouts:{order_id}-{n}", delta.station, delta.day, Tally.CHECKOUTS)
    if delta.shopper_key not in seen:
        seen.add(delta.shopper_key)
        store.statistics.count_once(f"members:{delta.shopper_key}", delta.station, delta.day, Tally.MEMBERS)


def _write_batch(store, batch: list, seen: set[str]) -> None:
    with store.statistics._db.write() as conn:
        conn.executemany("INSERT INTO stats_marks (order_id, kind) VALUES (?, ?)",
                         [(order_id, kind.value) for order_id, kind, _ in batch])
        for order_id, kind, delta in batch:
            _add_to_day(conn, delta, _STATION_TOTAL)
            _add_to_day(conn, delta, delta.sku)
            _add_to_buyer(conn, delta)
            _add_to_activity(conn, delta, kind)
            _add_to_referrers(conn, delta)
            if kind is Counted.DELIVERED:
                day = delta.day.isoformat()
                add_tally(conn, delta.station, day, Tally.CHECKOUTS, _checkouts(order_id))
                if delta.shopper_key not in seen:
                    seen.add(delta.shopper_key)
                    add_tally(conn, delta.station, day, Tally.MEMBERS, 1)


def fill(store, count: int, buyers: int, sample: int, seed: int) -> dict:
    started = time.perf_counter()
    generated = orders(count, buyers, seed)
    recorded, seen = 0, set()
    for order_id, kind, delta in generated:
        if not store.statistics.record(order_id, kind, delta):
            raise RuntimeError(f"record() refused {order_id} {kind.value}")
        if kind is Counted.DELIVERED:
            _count_events(store, order_id, delta, seen)
        recorded += 1
        if kind is Counted.DELIVERED and int(order_id.split("-")[1]) >= sample - 1:
            break
    sampled = time.perf_counter() - started
    batch, batched = [], 0
    for item in generated:
        batch.append(item)
        if len(batch) >= BATCH:
            _write_batch(store, batch, seen)
            batched += len(batch)
            batch = []
    if batch:
        _write_batch(store, batch, seen)
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


def publish_stations(deps) -> str:
    """Every station's price book (the dashboard reads its SKUs and zone) and a station owner's API token."""
    skus = {f"sku-{i:02d}": PricedSku(sku=f"sku-{i:02d}", product=f"product-{i:02d}", title=f"SKU {i}", price=1000,
                                      wholesale=900, min_quantity=1, max_quantity=5, low_stock=0)
            for i in range(SKUS_PER_STATION)}
    for n in range(STATIONS):
        deps.store.price_books.put_price_book(PriceBook(station=f"station-{n:02d}", domain=f"s{n}.example",
                                                        currency="CNY", skus=skus))
    owners.add_owner(deps, "bench", "owner@example.com", "platform_owner", None)
    token, _ = owners.issue_token(deps, "bench", "owner@example.com", "bench")
    return token


def _request(station: str, token: str) -> dict:
    path = f"/api/owner/stations/{station}/dashboard"
    return {"version": "2.0", "routeKey": f"GET {path}", "rawPath": path, "rawQueryString": "",
            "headers": {"authorization": f"Bearer {token}", "sec-fetch-site": "same-origin"},
            "requestContext": {"http": {"method": "GET", "path": path, "sourceIp": "203.0.113.9"}},
            "pathParameters": {"station": station}}


def time_dashboard(deps, token: str, calls: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    asked = [(f"station-{rng.randrange(STATIONS):02d}", FIRST_DAY + timedelta(days=rng.randrange(YEAR)))
             for _ in range(calls + WARM_UP)]
    seconds = []
    for i, (station, today) in enumerate(asked):
        # Noon UTC is the evening of `today` in Shanghai.
        now = datetime.combine(today, clock_time(12), timezone.utc)
        wiring.use(dataclasses.replace(deps, clock=lambda now=now: now))
        route, params, _ = routes.match("GET", f"/api/owner/stations/{station}/dashboard")
        t0 = time.perf_counter()
        answer = route.handler()(_request(station, token))
        if i >= WARM_UP:
            seconds.append(time.perf_counter() - t0)
        shown = json.loads(answer["body"]) if answer["statusCode"] == 200 else {}
        if not shown.get("best_sellers", {}).get("by_revenue") or not shown["periods"]["30"]["paying_buyers"]:
            raise RuntimeError(f"dashboard of {station} on {today}: {answer['statusCode']} {answer['body'][:200]}")
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
        deps = wiring.build(config.load({"KAMENG_DATA_DIR": str(work)}))
        store = deps.store
        print(f"writing the rollups of {args.orders:,} orders ({args.sample:,} through record()) ...", flush=True)
        details["fill"] = fill(store, args.orders, args.buyers, args.sample, args.seed)
        print(f"  {details['fill']}", flush=True)
        check(store, args.orders)
        details["load_avg_before"] = c.machine().get("load_avg_1m")
        token = publish_stations(deps)
        latency = c.summary_ms(time_dashboard(deps, token, args.calls, args.seed))
        details["dashboard_endpoint"] = latency
    finally:
        wiring.use(None)
        c.cleanup(work)
    rows = [c.row(
        f"owner dashboard endpoint (GET /api/owner/stations/{{station}}/dashboard), {args.orders:,} orders from {args.buyers:,} buyers over a year, "
        f"{args.calls} calls (random station and day)",
        f"p50 {latency['p50_ms']:.1f} ms, p95 {latency['p95_ms']:.1f} ms",
        f"p95 ≤ {BUDGET_P95_MS} ms", latency["p95_ms"] <= BUDGET_P95_MS)]
    c.print_table(rows, "Owner dashboard (embedded SQLite store, statistics rollups)")
    c.write_result("bench_dashboard", rows, details)
    return 0


if __name__ == "__main__":
    sys.exit(main())
