"""Failover after a supplier timeout, on the real clock: the first supplier of the demo's phone top-up
(sim-flaky) keeps the caller waiting past its 2 s timeout; the second (sim-fast) delivers.

    .venv/bin/python loadtests/supplier_failover.py [--orders 20] [--timeout 2]

The demo content is built into a temp data folder and served by the services in this process (see
_supply.py): each order is placed with checkout and paid on the sandbox gateway, whose webhook runs the
supply routing. The orders come as one burst, all at once, so each meets the timeout before five of them
have opened the supplier's circuit breaker (after which orders skip it without waiting at all).

Two rounds, as a top-up must be sent once at most (a second supplier would top the phone up again):
  - `not taken`: the order's call hangs past the timeout before the supplier took anything; the router's
    question at once finds nothing there, and the next supplier is asked. Measured per order: payment →
    delivered, and the failover time, from the first supplier's timeout (payment + the caller's timeout)
    to delivery by the next. Budget: next supplier within 5 s of a timeout.
  - `taken, answer late`: the supplier took the order and only its answer was lost; the question finds it,
    and it is delivered by that supplier, never bought twice.
Counted in both: orders charged by two suppliers (must be 0).
"""
from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402
import _supply as s  # noqa: E402

BUDGET_FAILOVER_S = 5.0
SKU = "cmcc-direct-50"


def burst(shop: s.Shop, orders: int, offset: int) -> list[s.Bought]:
    bought: list[s.Bought | None] = [None] * orders
    errors: list[str] = []
    start = threading.Barrier(orders)

    def one(index: int) -> None:
        start.wait()
        try:
            bought[index] = shop.buy(offset + index, SKU)
        except Exception as error:  # counted and shown; the order is then missing from the results
            errors.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(orders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = [b for b in bought if b is not None]
    shop.wait_settled(done, within=30)
    if errors:
        print(f"  {len(errors)} orders failed to be placed or paid: {errors[:3]}", flush=True)
    return done


def round_(shop: s.Shop, name: str, knobs: dict, orders: int, offset: int, timeout: float) -> dict:
    shop.tune_suppliers({"sim-flaky": knobs, "sim-fast": {"latency": 0.05, "failure_rate": 0.0},
                         "sim-slow": {"latency": 0.05, "completion_delay": 0}})
    for supplier in ("sim-flaky", "sim-fast", "sim-slow"):
        breaker = shop.deps.suppliers.breaker(supplier)
        breaker.outcomes.clear()
        breaker.opened_until = None
    print(f"round '{name}': {orders} orders at once, sim-flaky {knobs}", flush=True)
    bought = burst(shop, orders, offset)
    delivered = [b for b in bought if b.status == "delivered" and b.settled_at is not None]
    to_delivery = [b.settled_at - b.paid_at for b in delivered]
    failover = [seconds - timeout for seconds in to_delivery]
    charges = shop.charges(bought)
    twice = sum(1 for n in charges["charged"].values() if n > 1)
    result = {
        "orders": orders, "placed_and_paid": len(bought), "delivered": len(delivered),
        "statuses": dict(sorted((status, sum(1 for b in bought if b.status == status))
                                for status in {b.status for b in bought})),
        "payment_to_delivery_s": c.summary_ms(to_delivery) if to_delivery else {},
        "failover_after_timeout_s": c.summary_ms(failover) if failover else {},
        "charged_by_two_suppliers": twice, **charges,
    }
    result.pop("charged")
    summary = result["failover_after_timeout_s"]
    print(f"  delivered {len(delivered)}/{orders}; failover after the timeout p50 {summary.get('p50_ms', 0) / 1000:.2f} s, "
          f"max {summary.get('max_ms', 0) / 1000:.2f} s; charged by two suppliers: {twice}", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Failover after a supplier timeout (budget: next supplier within 5 s).")
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds the caller waits for it")
    args = parser.parse_args(argv)
    c.require_build_py()
    work = c.temp_dir("bench-failover")
    rows, details = [], {"orders": args.orders, "timeout_s": args.timeout, "sku": SKU,
                         "how": "services in one process (checkout.place, sandbox gateway pay → webhook → supply)"}
    try:
        shop = s.open_shop(work)
        stop, sweeper = s.sweeping(shop)
        quick = {"latency": 0.05, "timeout": args.timeout, "failure_rate": 0.0}
        rounds = {"not taken": quick | {"hang_rate": 1.0}, "taken, answer late": quick | {"timeout_rate": 1.0}}
        for number, (name, knobs) in enumerate(rounds.items()):
            details[name] = round_(shop, name, knobs, args.orders, number * 1000, args.timeout)
        stop.set()
        sweeper.join()
    finally:
        c.cleanup(work)

    found = details["not taken"]
    failover, total = found["failover_after_timeout_s"], found["payment_to_delivery_s"]
    worst = failover.get("max_ms", float("inf")) / 1000
    rows.append(c.row(
        f"supplier failover after a {args.timeout:g} s timeout, order not taken ({args.orders} top-ups at once, real clock)",
        f"{found['delivered']}/{args.orders} delivered by the next supplier {worst:.2f} s after the timeout at most "
        f"(p50 {failover.get('p50_ms', 0) / 1000:.2f} s; payment → delivered p50 {total.get('p50_ms', 0) / 1000:.2f} s); "
        f"charged by two suppliers: {found['charged_by_two_suppliers']}",
        f"next supplier within {BUDGET_FAILOVER_S:g} s of a timeout",
        found["delivered"] == args.orders and worst <= BUDGET_FAILOVER_S and not found["charged_by_two_suppliers"]))
    late = details["taken, answer late"]
    late_total = late["payment_to_delivery_s"]
    rows.append(c.row(
        f"a top-up whose answer timed out after it was taken ({args.orders} at once)",
        f"{late['delivered']}/{args.orders} delivered by that supplier (payment → delivered p50 "
        f"{late_total.get('p50_ms', 0) / 1000:.2f} s); charged by two suppliers: {late['charged_by_two_suppliers']}",
        "never sent to a second supplier", late["delivered"] == args.orders and not late["charged_by_two_suppliers"]))
    c.print_table(rows, "Supplier failover (services in process, embedded SQLite store)")
    c.write_result("bench_failover", rows, details)
    return 0


if __name__ == "__main__":
    sys.exit(main())
