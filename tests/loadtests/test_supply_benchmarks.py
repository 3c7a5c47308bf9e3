"""The supply benchmarks (named for what they flood, not bench_*) load, answer --help, and run_all knows them."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("script", ["supplier_failover.py", "topup_flood.py"])
def test_each_supply_benchmark_loads_and_answers_help(script: str) -> None:
    ran = subprocess.run([sys.executable, str(REPO / "loadtests" / script), "--help"], capture_output=True, text=True,
                         timeout=60)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "usage:" in ran.stdout


def test_run_all_offers_them_by_their_short_names() -> None:
    ran = subprocess.run([sys.executable, str(REPO / "loadtests" / "run_all.py"), "--help"], capture_output=True,
                         text=True, timeout=60)
    assert ran.returncode == 0 and "failover, topups" in ran.stdout
