"""Posters (推广海报): drawing one, and serving one already drawn, in process with the embedded store.

    .venv/bin/python loadtests/bench_posters.py [--runs 30]

For the product poster and the referral poster: `--runs` first draws (each into an empty cache, so each
is drawn and kept) and `--runs` cached answers (the same poster again: read back by its content hash),
p50 / p95 of each against the 300 ms budget. The process's very first draw (the font loaded) is reported
on its own, as a cold function's is.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

sys.path.insert(0, str(c.REPO / "functions"))

from kameng import config, wiring  # noqa: E402
from kameng.adapters.poster_cache import FolderPosterCache  # noqa: E402
from kameng.domain.commissions import ReferralRule  # noqa: E402
from kameng.domain.price_book import PriceBook, PricedSku  # noqa: E402
from kameng.services import posters  # noqa: E402

BUDGET_MS = 300
STATION, PRODUCT, SHOPPER = "game-zone", "steam-wallet", "bench-shopper"


def publish(deps) -> None:
    skus = {f"steam-cny-{face}": PricedSku(sku=f"steam-cny-{face}", product=PRODUCT, title=f"Steam 钱包充值卡 {face} 元",
                                           price=face * 100 - 10, wholesale=face * 96, min_quantity=1,
                                           max_quantity=10, low_stock=0) for face in (50, 100, 200)}
    deps.store.price_books.put_price_book(PriceBook(
        station=STATION, domain="www.gamezone.example", name="游戏地带", currency="CNY",
        referrals=ReferralRule(levels_percent=(10, 5, 3), welcome_coupon=500), skus=skus))
    deps.store.members.open_member(STATION, SHOPPER, "BENCH7Q2")


def timed(make, runs: int, cache_for) -> list[float]:
    seconds = []
    for n in range(runs):
        cache = cache_for(n)
        t0 = time.perf_counter()
        make(cache)
        seconds.append(time.perf_counter() - t0)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    work = c.temp_dir("bench-posters-")
    try:
        deps = wiring.build(config.load({"KAMENG_DATA_DIR": str(work / "data")}))
        publish(deps)
        kinds = {
            "product poster": lambda cache: posters.product_poster(STATION, PRODUCT, deps, cache, shopper_key=SHOPPER),
            "referral poster": lambda cache: posters.referral_poster(STATION, SHOPPER, deps, cache),
        }
        t0 = time.perf_counter()
        kinds["product poster"](FolderPosterCache(work / "cold"))
        cold_ms = round((time.perf_counter() - t0) * 1000, 1)
        rows, details = [], {"first_draw_in_process_ms": cold_ms, "runs": args.runs}
        for what, make in kinds.items():
            slug = what.split()[0]
            drawn = c.summary_ms(timed(make, args.runs, lambda n: FolderPosterCache(work / f"{slug}-{n}")))
            kept = FolderPosterCache(work / f"{slug}-kept")
            make(kept)
            cached = c.summary_ms(timed(make, args.runs, lambda n: kept))
            for how, summary in (("drawn", drawn), ("cached", cached)):
                rows.append(c.row(f"{what}, {how}: p50 / p95", f"{summary['p50_ms']} / {summary['p95_ms']} ms",
                                  f"≤ {BUDGET_MS} ms", summary["p95_ms"] <= BUDGET_MS))
                details[f"{slug}_{how}"] = summary
        c.print_table(rows, "posters")
        print(f"first draw in this process (font loaded): {cold_ms} ms")
        c.write_result("bench_posters", rows, details)
    finally:
        c.cleanup(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
