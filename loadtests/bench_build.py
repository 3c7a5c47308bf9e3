"""Build benchmarks: build.py as a subprocess, wall-clock time and peak RSS.

    .venv/bin/python loadtests/bench_build.py [--stations 10] [--products 1000] [--repeat 3]

Generates the 10 × 1,000 catalog (gen_catalog.py) into a temp folder, then measures
  (a) a full build (fresh output folder; median of --repeat runs, --no-publish),
      and once more with publishing to a temp KAMENG_DATA_DIR,
  (b) a rebuild when nothing changed,
  (c) a rebuild after editing one product's description: time, and which files were
      rewritten (by inode and mtime: unchanged files must keep both),
  (d) the demo content (content/) build, fresh output folder.
Every figure is the whole process, Python start-up and imports included, as an owner
running `python build.py` sees it. Each timed run starts after os.sync(), so the
writeback of earlier runs (and their deletions) is not charged to it.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import tempfile
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402
from gen_catalog import generate  # noqa: E402

BUDGET_FULL_S, BUDGET_FULL_MIB = 6.0, 500
BUDGET_NOOP_S = 0.5
BUDGET_EDIT_S = 1.0
BUDGET_DEMO_S = 1.0
BOOKKEEPING = {".build-digest", ".price-books.json"}


def snapshot(site: Path) -> dict[str, tuple[int, int]]:
    """relative path → (inode, mtime_ns) of every file of a built site."""
    found = {}
    for root, _, names in os.walk(site):
        for name in names:
            path = Path(root, name)
            st = path.stat()
            found[path.relative_to(site).as_posix()] = (st.st_ino, st.st_mtime_ns)
    return found


def changed(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> list[str]:
    return sorted(p for p in after.keys() | before.keys() if before.get(p) != after.get(p))


def code_fingerprint() -> tuple:
    """mtimes of what the build's digest covers besides content: its code and the templates."""
    roots = [c.REPO / "functions" / "kameng" / "sitegen", c.REPO / "functions" / "kameng" / "domain", c.REPO / "templates"]
    return tuple(sorted((str(p), p.stat().st_mtime_ns) for root in roots for p in root.rglob("*") if p.is_file()
                        and "__pycache__" not in p.parts))


def parse_report(stdout: str) -> dict:
    info: dict = {"stdout": stdout.strip()[-500:]}
    if m := re.search(r"built (\d+) stations?, (\d+) pages?, (\d+) files? written in ([\d.]+) s", stdout):
        info.update(stations=int(m[1]), pages=int(m[2]), files_written=int(m[3]), internal_s=float(m[4]))
    if m := re.search(r"up to date: (\d+) stations?, ([\d.]+) s", stdout):
        info.update(up_to_date=True, stations=int(m[1]), internal_s=float(m[2]))
    return info


def run_build(content: Path, site: Path, publish: bool = False, data_dir: Path | None = None) -> tuple[c.Measured, dict]:
    # Start each timed build on a settled disk: the writeback (and, on a filesystem mounted with
    # discard, the trims) of what was written or deleted before is not the build's own work.
    os.sync()
    measured = c.run_measured(c.build_cmd(content, site, publish), env=c.kameng_env(data_dir)).check()
    return measured, parse_report(measured.stdout)


def describe(runs: list[c.Measured]) -> dict:
    return {
        "wall_s": [round(r.seconds, 3) for r in runs],
        "median_s": round(statistics.median(r.seconds for r in runs), 3),
        "peak_rss_mib": [round(r.peak_mib, 1) for r in runs],
        "peak_rss_kernel_mib": [round(r.peak_rss_kernel / c.MIB, 1) for r in runs],
        "cpu_s": [round(r.cpu_seconds, 3) for r in runs],
        "median_cpu_s": round(statistics.median(r.cpu_seconds for r in runs), 3),
        "load_avg_before": [round(r.load_before, 2) for r in runs],
    }


def spread(described: dict) -> str:
    return f"{min(described['wall_s']):.2f}–{max(described['wall_s']):.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build benchmarks (budgets: DESIGN.md).")
    parser.add_argument("--stations", type=int, default=10)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timed build (median reported)")
    args = parser.parse_args(argv)
    c.require_build_py()

    work = c.temp_dir("bench-build")
    content = work / "content"
    generate(content, args.stations, args.products, seed=1)
    print(f"catalog: {args.stations} stations × {args.products} products in {content}", flush=True)
    rows, details = [], {"stations": args.stations, "products": args.products, "repeat": args.repeat}
    try:
        # (a) full build, fresh output folder each time
        # Each run writes a new folder; the previous ones are removed only at the end, because
        # deleting ~10k files leaves the disk busy for seconds after rm returns.
        full_runs, report = [], {}
        for i in range(args.repeat):
            site = work / f"site-{i + 1}"
            measured, report = run_build(content, site)
            full_runs.append(measured)
            print(f"  full build {i + 1}: {measured.seconds:.2f} s, peak {measured.peak_mib:.0f} MiB  ({report.get('stdout', '')})", flush=True)
        full = describe(full_runs)
        full["report"] = report
        peak = max(r.peak_mib for r in full_runs)
        details["full_build"] = full
        pages = report.get("pages", "?")
        rows.append(c.row(
            f"full build, {args.stations} stations × {args.products} products ({pages} pages)",
            f"{full['median_s']:.2f} s ({spread(full)}), {peak:.0f} MiB", f"≤ {BUDGET_FULL_S:g} s, ≤ {BUDGET_FULL_MIB} MiB",
            full["median_s"] <= BUDGET_FULL_S and peak <= BUDGET_FULL_MIB))

        # (a, reference) the same build writing to tmpfs: what the disk's metadata work costs
        shm = Path("/dev/shm")
        if shm.is_dir() and os.access(shm, os.W_OK):
            tmpfs_site = Path(tempfile.mkdtemp(prefix="kameng-bench-build-", dir=shm)) / "site"
            try:
                measured, tmpfs_report = run_build(content, tmpfs_site)
            finally:
                shutil.rmtree(tmpfs_site.parent, ignore_errors=True)
            details["full_build_tmpfs"] = {**describe([measured]), "report": tmpfs_report}
            print(f"  full build, output on tmpfs: {measured.seconds:.2f} s, peak {measured.peak_mib:.0f} MiB", flush=True)
            rows.append(c.row("(reference) same full build, output on tmpfs /dev/shm",
                              f"{measured.seconds:.2f} s, {measured.peak_mib:.0f} MiB", "—", None))

        # (a') full build publishing the price books to a temp store
        published_site, data_dir = work / "site-published", work / "data"
        measured, pub_report = run_build(content, published_site, publish=True, data_dir=data_dir)
        details["full_build_publish"] = {**describe([measured]), "report": pub_report}
        print(f"  full build + publish: {measured.seconds:.2f} s, peak {measured.peak_mib:.0f} MiB", flush=True)
        rows.append(c.row("full build + publish price books (same catalog)",
                          f"{measured.seconds:.2f} s, {measured.peak_mib:.0f} MiB",
                          f"≤ {BUDGET_FULL_S:g} s, ≤ {BUDGET_FULL_MIB} MiB",
                          measured.seconds <= BUDGET_FULL_S and measured.peak_mib <= BUDGET_FULL_MIB))

        # (b) rebuild, nothing changed
        # A run that did not answer "up to date" saw its inputs change under it (the digest covers
        # the build's own code and the templates, which other work may be editing): not counted.
        noop_runs, noop_reports, invalid, rewritten = [], [], 0, []
        for _ in range(max(args.repeat, 5)):
            before = snapshot(site)
            measured, noop_report = run_build(content, site)
            noop_reports.append(noop_report)
            if noop_report.get("up_to_date"):
                noop_runs.append(measured)
                rewritten = changed(before, snapshot(site))
            else:
                invalid += 1
            print(f"  no-change rebuild: {measured.seconds:.2f} s ({noop_report.get('stdout', '')})", flush=True)
        if not noop_runs:
            raise RuntimeError("no rebuild said 'up to date': the build's inputs kept changing")
        noop = describe(noop_runs)
        noop.update(reports=noop_reports, files_rewritten=len(rewritten), runs_not_up_to_date=invalid)
        details["noop_rebuild"] = noop
        note = f"; {invalid} run(s) not counted: inputs changed under it" if invalid else ""
        rows.append(c.row("rebuild, nothing changed",
                          f"{noop['median_s']:.2f} s ({spread(noop)}; {len(rewritten)} files rewritten{note})",
                          f"≤ {BUDGET_NOOP_S:g} s", noop["median_s"] <= BUDGET_NOOP_S and not rewritten))

        # (c) rebuild after editing one product file (its description); the site is current now
        code_before = code_fingerprint()
        product_file = sorted((content / "main" / "products").glob("*.md"))[len(list((content / "main" / "products").glob("*.md"))) // 2]
        product_id = product_file.stem
        showing = sorted(f"{s.name}/p/{product_id}/index.html" for s in site.iterdir()
                         if (s / "p" / product_id / "index.html").is_file())
        edit_runs, edits, edit_invalid = [], [], 0
        for i in range(args.repeat + 2):
            if len(edit_runs) == args.repeat:
                break
            before = snapshot(site)
            with product_file.open("a", encoding="utf-8") as f:
                f.write(f"\n补充说明（第 {i + 1} 次更新）：本商品库存充足，欢迎选购。\n")
            measured, edit_report = run_build(content, site)
            code_after = code_fingerprint()
            code_changed, code_before = code_after != code_before, code_after
            if code_changed:
                # The build's code or templates changed during the run (other work): a full rebuild, not counted.
                edit_invalid += 1
                print(f"  edit {product_id}: {measured.seconds:.2f} s, not counted: build code changed during the run", flush=True)
                continue
            edit_runs.append(measured)
            rewritten = [p for p in changed(before, snapshot(site)) if p not in BOOKKEEPING]
            unexpected = sorted(set(rewritten) - set(showing))
            edits.append({"wall_s": round(measured.seconds, 3), "report": edit_report, "files_rewritten": len(rewritten),
                          "unexpected": unexpected[:50], "unexpected_count": len(unexpected),
                          "missing": sorted(set(showing) - set(rewritten))})
            print(f"  edit {product_id}: {measured.seconds:.2f} s, {len(rewritten)} files rewritten "
                  f"({len(unexpected)} not showing the product; build.py says: {edit_report.get('stdout', '')})", flush=True)
        if not edit_runs:
            raise RuntimeError("every edit rebuild saw the build's code change under it")
        edit = describe(edit_runs)
        edit.update(product=product_id, pages_showing_it=len(showing), runs=edits, runs_not_counted=edit_invalid)
        details["edit_rebuild"] = edit
        worst = max(edits, key=lambda e: e["files_rewritten"])
        only_its_pages = all(e["unexpected_count"] == 0 and not e["missing"] for e in edits)
        rows.append(c.row(
            "rebuild after editing one product file",
            f"{edit['median_s']:.2f} s ({spread(edit)}), {worst['files_rewritten']} files rewritten "
            f"({len(showing)} pages show it{'' if only_its_pages else '; ' + str(worst['unexpected_count']) + ' others'})"
            + (f"; {edit_invalid} run(s) not counted: build code changed under it" if edit_invalid else ""),
            f"≤ {BUDGET_EDIT_S:g} s, only its pages", edit["median_s"] <= BUDGET_EDIT_S and only_its_pages))

        # (d) the demo content
        demo_runs = []
        for i in range(args.repeat):
            measured, demo_report = run_build(c.REPO / "content", work / f"site-demo-{i + 1}")
            demo_runs.append(measured)
        demo = describe(demo_runs)
        demo["report"] = demo_report
        details["demo_build"] = demo
        print(f"  demo build: {demo['wall_s']} s ({demo_report.get('stdout', '')})", flush=True)
        rows.append(c.row(f"demo content build ({demo_report.get('pages', '?')} pages)",
                          f"{demo['median_s']:.2f} s ({spread(demo)}), {max(r.peak_mib for r in demo_runs):.0f} MiB",
                          f"≤ {BUDGET_DEMO_S:g} s", demo["median_s"] <= BUDGET_DEMO_S))
    finally:
        c.cleanup(work)

    c.print_table(rows, "Build (median of runs; whole process incl. Python start-up)")
    c.write_result("bench_build", rows, details)
    return 0


if __name__ == "__main__":
    sys.exit(main())
