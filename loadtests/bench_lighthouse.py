"""Lighthouse scores and page weight of the demo stations' landing, category and product pages.

The demo content/ is built and served by the local server on 127.0.0.1 (compressing as
CloudFront does); Lighthouse 12.2.3, mobile preset with its simulated slow 4G, runs once
per page in Debian's Chromium. Budgets: performance ≥ 95; accessibility, best practices
and SEO 100; ≤ 30 KB transferred before images (the report's network requests, every
resource but images, headers included).

Lighthouse comes from npm into ~/.cache/kameng-lighthouse (KAMENG_LIGHTHOUSE_DIR to
change it) the first time; without npm or Chromium the benchmark says so and skips.

    .venv/bin/python loadtests/bench_lighthouse.py [--stations game-zone,global-cards]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

VERSION = "12.2.3"
CHROME = Path(os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
TOOL_DIR = Path(os.environ.get("KAMENG_LIGHTHOUSE_DIR", Path.home() / ".cache" / "kameng-lighthouse"))
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
BUDGET = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
BUDGET_BYTES = 30 * 1024
# The stations' host names end in .localhost, which Chromium resolves to 127.0.0.1 itself.
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking"


def lighthouse() -> Path | None:
    """The lighthouse command of the pinned version, installed from npm when missing; None without npm."""
    script = TOOL_DIR / "node_modules" / "lighthouse" / "cli" / "index.js"
    package = TOOL_DIR / "node_modules" / "lighthouse" / "package.json"
    if package.is_file() and json.loads(package.read_text(encoding="utf-8")).get("version") == VERSION:
        return script
    if shutil.which("npm") is None or shutil.which("node") is None:
        return None
    TOOL_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "install", "--prefix", str(TOOL_DIR), "--no-audit", "--no-fund", f"lighthouse@{VERSION}"],
                   check=True, timeout=600)
    return script


def pages(site: Path, station: str) -> dict[str, str]:
    """Landing, the first category, and the first product that category lists."""
    root = site / station
    category = sorted(p.name for p in (root / "c").iterdir() if (p / "index.html").is_file())[0]
    listing = (root / "c" / category / "index.html").read_text(encoding="utf-8")
    product = re.search(r'href="(/p/[^"#?]+)"', listing)
    found = {"landing": "/", "category": f"/c/{category}/"}
    if product:
        found["product"] = product.group(1)
    return found


def audit(script: Path, url: str, report: Path) -> dict:
    env = dict(os.environ, CHROME_PATH=str(CHROME))
    subprocess.run(["node", str(script), url, "--quiet", "--output=json", f"--output-path={report}",
                    f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROME_FLAGS}"],
                   check=True, env=env, timeout=240, stdout=subprocess.DEVNULL)
    return json.loads(report.read_text(encoding="utf-8"))


def measure(result: dict) -> dict:
    """Scores (0–100) per category, bytes before images, and what kept each category below 100."""
    scores = {name: round((result["categories"][name]["score"] or 0) * 100) for name in CATEGORIES}
    requests = result["audits"]["network-requests"]["details"]["items"]
    weight = sum(r.get("transferSize", 0) for r in requests if r.get("resourceType") != "Image")
    failing = sorted({f"{ref['id']} ({result['audits'][ref['id']]['score']:.2f})"
                      for name in CATEGORIES for ref in result["categories"][name]["auditRefs"]
                      if ref["weight"] and _below(result["audits"][ref["id"]].get("score"), name)})
    return {"scores": scores, "bytes": weight, "failing": failing,
            "metrics": {k: round(result["audits"][k]["numericValue"]) for k in
                        ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time")},
            "cls": round(result["audits"]["cumulative-layout-shift"]["numericValue"], 3)}


def _below(score: float | None, category: str) -> bool:
    # A metric's score is graded, so "passed" is Lighthouse's green (0.9); every other audit passes or fails.
    return score is not None and score < (0.9 if category == "performance" else 1)


def rows_for(name: str, measured: dict) -> list[dict]:
    scores, size = measured["scores"], measured["bytes"]
    ok = all(scores[k] >= BUDGET[k] for k in CATEGORIES)
    figures = " / ".join(str(scores[k]) for k in CATEGORIES)
    return [c.row(f"Lighthouse mobile, {name} (perf / a11y / best practices / SEO)", figures,
                  "≥ 95 / 100 / 100 / 100", ok, failing=measured["failing"]),
            c.row(f"{name}: transferred before images", f"{size / 1024:.1f} KB", f"≤ {BUDGET_BYTES // 1024} KB",
                  size <= BUDGET_BYTES)]


def skip(reason: str) -> int:
    print(f"bench_lighthouse skipped: {reason}")
    c.write_result("bench_lighthouse", [c.row("Lighthouse mobile", f"skipped: {reason}", "-", None)], {"skipped": reason})
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", default="game-zone,global-cards", help="comma-separated station ids")
    args = parser.parse_args(argv)
    if not CHROME.exists():
        return skip(f"no Chromium at {CHROME} (set CHROME_PATH)")
    script = lighthouse()
    if script is None:
        return skip("npm and node are needed to install Lighthouse")
    work = c.temp_dir("lighthouse")
    data_dir = work / "var"
    rows, details = [], {}
    try:
        site = c.build_demo(work, data_dir)
        with c.local_server(site, data_dir) as server:
            for station in [s.strip() for s in args.stations.split(",") if s.strip()]:
                for kind, path in pages(site, station).items():
                    name = f"{station} {kind}"
                    url = f"http://{server.host(station)}{path}"
                    print(f"lighthouse {url}", flush=True)
                    measured = measure(audit(script, url, work / f"{station}-{kind}.json"))
                    details[name] = {"url": path, **measured}
                    rows += rows_for(name, measured)
        c.print_table(rows, "Lighthouse, mobile")
        for name, found in details.items():
            if found["failing"]:
                print(f"{name}: not passed: {', '.join(found['failing'])}")
        c.write_result("bench_lighthouse", rows, details)
        return 0
    finally:
        c.cleanup(work)


if __name__ == "__main__":
    sys.exit(main())
