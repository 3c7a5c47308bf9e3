"""Run every benchmark in order and print one summary table (the README's format).

    .venv/bin/python loadtests/run_all.py [--only build,checkout,stock,flash_sale,flash_sale_2000,failover,topups,lighthouse,posters,stations]

Each benchmark runs in its own process and writes loadtests/out/<name>.json; this
script then reads those files and prints (and writes to loadtests/out/summary.md)
one Markdown table: what, measured, budget, ok?. Exit status 1 if any benchmark
failed to run; a missed budget is reported, not an error.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

BENCHMARKS = ["build", "checkout", "stock", "flash_sale", "flash_sale_2000", "cold_start", "dashboard", "failover", "topups", "lighthouse", "posters", "stations"]
# The script of a benchmark not named bench_<name>.py; each writes loadtests/out/bench_<name>.json all the same.
SCRIPTS = {"failover": "supplier_failover.py", "topups": "topup_flood.py"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated subset of: " + ", ".join(BENCHMARKS))
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    started = time.time()
    load_before = os.getloadavg()
    failed: list[str] = []
    ran: list[str] = []
    for name in BENCHMARKS:
        if name not in chosen:
            continue
        print(f"\n=== bench_{name} ===", flush=True)
        result = c.OUT / f"bench_{name}.json"
        result.unlink(missing_ok=True)
        t0 = time.perf_counter()
        code = subprocess.call([c.PYTHON, str(c.HERE / SCRIPTS.get(name, f"bench_{name}.py"))], cwd=c.REPO)
        print(f"=== bench_{name}: exit {code}, {time.perf_counter() - t0:.0f} s ===", flush=True)
        if code != 0 or not result.exists():
            failed.append(name)
        ran.append(name)

    rows = []
    for name in ran:
        result = c.OUT / f"bench_{name}.json"
        if result.exists():
            rows.extend(json.loads(result.read_text(encoding="utf-8"))["rows"])
        else:
            rows.append(c.row(f"bench_{name}", "did not finish", "-", False))

    info = c.machine()
    header = (f"Measured {time.strftime('%Y-%m-%d', time.gmtime(started))} on {info['cpus']} cores, "
              f"{info.get('memory_mib', '?')} MiB, Python {info['python']}; "
              f"load average before the run {load_before[0]:.2f} (1 min), {load_before[2]:.2f} (15 min).")
    print("\n" + header)
    c.print_table(rows, "Budgets (DESIGN.md) — summary")
    c.OUT.mkdir(parents=True, exist_ok=True)
    lines = [header, "", "| what | measured | budget | ok? |", "| --- | --- | --- | --- |"]
    lines += [f"| {r['what']} | {r['measured']} | {r['budget']} | {c.ok_text(r['ok'])} |" for r in rows]
    (c.OUT / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    c.write_result("summary", rows, {"ran": ran, "failed": failed, "load_avg_before": load_before,
                                      "seconds": round(time.time() - started)})
    if failed:
        print("benchmarks that did not finish: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
