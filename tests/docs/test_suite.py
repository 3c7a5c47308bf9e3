"""The README's test command runs every test file: none is left out by pytest's collection rules."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_every_test_file_is_collected_by_the_plain_test_command():
    listed = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert listed.returncode == 0, listed.stdout[-2000:] + listed.stderr[-2000:]
    collected = {line.split("::", 1)[0] for line in listed.stdout.splitlines() if "::" in line}
    on_disk = {path.relative_to(REPO).as_posix() for path in (REPO / "tests").rglob("test_*.py")}
    assert on_disk - collected == set()
