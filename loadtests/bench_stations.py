"""Scale in stations: a rebuild's cost must follow what changed, not how many stations exist.

    .venv/bin/python loadtests/bench_stations.py [--stations 1000] [--products 60] [--sells 12] [--compare 100]

Generates a main station with --products products and --stations - 1 substations
(gen_catalog.py's; each sells one product every station sells, "the hot one", and
--sells - 1 others, or, one station in two, everything), builds it once (reported
on its own: the first build is the fan-out's job in production), then measures:
  (a) a rebuild with nothing changed,
  (b) editing the hot product's description: live on every station,
  (c) editing one of its prices (the wholesale, so every station's retail follows),
each twice, as build.py runs it (the whole process), with the files rewritten (by
inode and mtime), the stations they are on, peak memory, and the one CDN
invalidation those changes need (sitegen/cdn_paths.py). The same edit on --compare
stations shows whether memory stays flat as stations grow.
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402
from bench_build import BOOKKEEPING, changed, parse_report, run_build, snapshot  # noqa: E402
from gen_catalog import Generator  # noqa: E402

sys.path.insert(0, str(c.REPO / "functions"))
from kameng.sitegen.cdn_paths import invalidation_paths  # noqa: E402

BUDGET_NOOP_S = 1.0
BUDGET_EDIT_S = 10.0
# Memory flat in stations: ten times the stations may cost at most this much more at its peak.
BUDGET_MEMORY_GROWTH = 1.5
REPEAT = 2


class StationsGenerator(Generator):
    def __init__(self, out: Path, stations: int, products: int, sells: int, seed: int) -> None:
        super().__init__(out, stations, products, seed)
        self.sells = max(1, min(sells, products))

    def substation(self, number: int) -> None:
        every = self.generated
        hot, rest = every[0], every[1:]
        chosen = self.rng.sample(rest, self.sells - 1)
        self.generated = [hot, *sorted(chosen, key=lambda product: product.id)]
        try:
            super().substation(number)
        finally:
            self.generated = every
        # gen_catalog sells a share of the list it is given: the hot product must stay in it.
        station = self.out / f"sub-{number:02d}" / "station.yaml"
        text = station.read_text("utf-8")
        if "sells: all" not in text and f"  - {hot.id}\n" not in text:
            station.write_text(text.replace("sells:\n", f"sells:\n  - {hot.id}\n"), "utf-8")


def generate(out: Path, stations: int, products: int, sells: int) -> str:
    """Write the content tree; return the hot product's id."""
    out.mkdir(parents=True, exist_ok=True)
    generator = StationsGenerator(out, stations, products, sells, seed=1)
    generator.run()
    return generator.generated[0].id


def timed_edits(content: Path, site: Path, edit, label: str) -> dict:
    runs = []
    for number in range(REPEAT):
        before = snapshot(site)
        edit(number)
        measured, report = run_build(content, site)
        rewritten = [path for path in changed(before, snapshot(site)) if path not in BOOKKEEPING]
        paths = invalidation_paths(rewritten)
        stations = {path.partition("/")[0] for path in rewritten}
        runs.append({"wall_s": round(measured.seconds, 3), "peak_mib": round(measured.peak_mib, 1),
                     "files_rewritten": len(rewritten), "stations": len(stations),
                     "invalidation_paths": len(paths), "invalidation": list(paths[:5]), "report": report})
        print(f"  {label} {number + 1}: {measured.seconds:.2f} s, peak {measured.peak_mib:.0f} MiB, "
              f"{len(rewritten)} files on {len(stations)} stations, one invalidation of {len(paths)} paths "
              f"({report.get('stdout', '')})", flush=True)
    return {"runs": runs, "median_s": round(statistics.median(run["wall_s"] for run in runs), 3),
            "peak_mib": max(run["peak_mib"] for run in runs)}


def edits(content: Path, hot: str) -> tuple:
    product = content / "main" / "products" / f"{hot}.md"

    def describe(number: int) -> None:
        with product.open("a", encoding="utf-8") as file:
            file.write(f"\n补充说明（第 {number + 1} 次更新）：本商品库存充足。\n")

    def reprice(number: int) -> None:
        # One SKU a yuan cheaper, wholesale (every substation's retail follows) and main's retail alike.
        text = product.read_text("utf-8")
        for field in ("wholesale", "retail"):
            match = re.search(field + r": (\d+)\.(\d\d)", text)
            assert match is not None
            fen = int(match[1]) * 100 + int(match[2]) - 100
            text = text[:match.start()] + f"{field}: {fen // 100}.{fen % 100:02d}" + text[match.end():]
        product.write_text(text, "utf-8")

    return describe, reprice


def price_follows(content: Path, hot: str) -> int:
    """The stations whose price of the repriced SKU follows its wholesale: those without a fixed price for it."""
    text = (content / "main" / "products" / f"{hot}.md").read_text("utf-8")
    sku = re.search(r"- id: (\S+)", text)
    assert sku is not None
    fixed = f"    {sku[1]}: "
    return sum(fixed not in path.read_text("utf-8") for path in content.glob("*/station.yaml"))


def measure(work: Path, stations: int, products: int, sells: int, full: bool) -> dict:
    content, site = work / f"content-{stations}", work / f"site-{stations}"
    started = time.perf_counter()
    hot = generate(content, stations, products, sells)
    print(f"catalog: {stations} stations, {products} products (each substation sells {sells} or all), "
          f"hot product {hot}, generated in {time.perf_counter() - started:.1f} s", flush=True)
    measured, report = run_build(content, site)
    first = {"wall_s": round(measured.seconds, 3), "peak_mib": round(measured.peak_mib, 1), "report": report}
    print(f"  first build: {measured.seconds:.2f} s, peak {measured.peak_mib:.0f} MiB ({report.get('stdout', '')})",
          flush=True)
    describe, reprice = edits(content, hot)
    result = {"stations": stations, "first_build": first, "edit": timed_edits(content, site, describe, "product edit"),
              "price_follows": price_follows(content, hot)}
    if full:
        noop = []
        for number in range(REPEAT):
            before = snapshot(site)
            measured, report = run_build(content, site)
            noop.append({"wall_s": round(measured.seconds, 3), "peak_mib": round(measured.peak_mib, 1),
                         "files_rewritten": len(changed(before, snapshot(site))), "report": parse_report(measured.stdout)})
            print(f"  no-op {number + 1}: {measured.seconds:.2f} s ({report.get('stdout', '')})", flush=True)
        result["noop"] = {"runs": noop, "median_s": round(statistics.median(run["wall_s"] for run in noop), 3)}
        result["price_edit"] = timed_edits(content, site, reprice, "price edit")
    c.cleanup(content, site)
    return result


def edit_row(what: str, edit: dict, stations: int, of: str = "") -> dict:
    worst = max(edit["runs"], key=lambda run: run["files_rewritten"])
    everywhere = all(run["stations"] == stations for run in edit["runs"])
    return c.row(
        what,
        f"{edit['median_s']:.2f} s, {worst['files_rewritten']} files rewritten on {worst['stations']} stations{of}, "
        f"one invalidation of {worst['invalidation_paths']} paths, peak {edit['peak_mib']:.0f} MiB",
        f"≤ {BUDGET_EDIT_S:g} s, live on every station, one invalidation",
        edit["median_s"] <= BUDGET_EDIT_S and everywhere)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rebuilds at many stations (budgets: DESIGN.md).")
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--products", type=int, default=60)
    parser.add_argument("--sells", type=int, default=12)
    parser.add_argument("--compare", type=int, default=100, help="stations of the smaller run memory is compared with")
    args = parser.parse_args(argv)
    c.require_build_py()
    work = c.temp_dir("bench-stations")
    try:
        small = measure(work, args.compare, args.products, args.sells, full=False)
        big = measure(work, args.stations, args.products, args.sells, full=True)
    finally:
        c.cleanup(work)
    n = args.stations
    first = big["first_build"]
    growth = big["edit"]["peak_mib"] / small["edit"]["peak_mib"]
    rows = [
        c.row(f"first build, {n} stations × {args.products} products ({first['report'].get('pages', '?')} pages), "
              "one machine", f"{first['wall_s']:.1f} s, {first['peak_mib']:.0f} MiB",
              "— (fanned out in production: docs/deploy.md)", None),
        c.row(f"rebuild, nothing changed, {n} stations",
              f"{big['noop']['median_s']:.2f} s ({max(r['files_rewritten'] for r in big['noop']['runs'])} files rewritten)",
              f"≤ {BUDGET_NOOP_S:g} s", big["noop"]["median_s"] <= BUDGET_NOOP_S),
        edit_row(f"one-product edit, {n} stations", big["edit"], n),
        # A station with a fixed price for that SKU shows the same price: only the others change.
        edit_row(f"one-price edit, {n} stations", big["price_edit"], big["price_follows"],
                 f" (of {big['price_follows']} whose price follows it; the others fix it)"),
        c.row(f"peak memory of a one-product edit, {n} vs {args.compare} stations",
              f"{big['edit']['peak_mib']:.0f} vs {small['edit']['peak_mib']:.0f} MiB (× {growth:.2f})",
              f"flat (≤ × {BUDGET_MEMORY_GROWTH:g})", growth <= BUDGET_MEMORY_GROWTH),
    ]
    c.print_table(rows, f"Stations ({n}; median of {REPEAT} runs; whole process incl. Python start-up)")
    c.write_result("bench_stations", rows, {"args": vars(args), "small": small, "big": big})
    return 0


if __name__ == "__main__":
    sys.exit(main())
