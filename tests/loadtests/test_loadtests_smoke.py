"""The benchmark catalog generator writes valid content (correctness only, no timing)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "loadtests"))

from gen_catalog import generate  # noqa: E402


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_generated_catalog_builds(tmp_path: Path) -> None:
    content = generate(tmp_path / "content", stations=2, products=5, seed=7)
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "--content", str(content), "--out", str(site), "--no-publish"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "built 2 stations" in done.stdout
    products = sorted(p.stem for p in (content / "main" / "products").glob("*.md"))
    assert len(products) == 5
    for product in products:
        assert (site / "main" / "p" / product / "index.html").is_file()
    assert (site / "sub-02" / "index.html").is_file()
    assert any((site / "sub-02" / "p").iterdir())


def test_generator_is_deterministic(tmp_path: Path) -> None:
    first = _files(generate(tmp_path / "a", stations=3, products=12, seed=3))
    second = _files(generate(tmp_path / "b", stations=3, products=12, seed=3))
    assert first == second
    assert len([name for name in first if name.startswith("main/products/")]) == 12


@pytest.mark.parametrize("script", sorted(p.name for p in (REPO / "loadtests").glob("bench_*.py")))
def test_every_benchmark_loads_and_answers_help(script: str) -> None:
    # A benchmark reaches into the code it measures; one that no longer imports fails only in `make bench`.
    ran = subprocess.run([sys.executable, str(REPO / "loadtests" / script), "--help"], capture_output=True,
                         text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "usage:" in ran.stdout
