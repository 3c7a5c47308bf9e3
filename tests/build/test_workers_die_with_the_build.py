"""Render workers die with the build that forked them, even when it is killed with SIGKILL."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists() or (os.cpu_count() or 1) < 2,
                                reason="needs Linux /proc and two CPUs for forked workers")


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_render_workers_die_when_the_build_is_killed(tmp_path: Path) -> None:
    content, site = tmp_path / "content", tmp_path / "site"
    subprocess.run([sys.executable, str(REPO / "loadtests/gen_catalog.py"), str(content), "--stations", "2",
                    "--products", "1000"], check=True, capture_output=True, timeout=60)
    build = subprocess.Popen([sys.executable, str(REPO / "build.py"), "--content", str(content), "--out", str(site),
                              "--no-publish"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    try:
        # The work folder exists from the moment rendering starts: workers seen after it are render workers.
        rendering = wait_for(lambda: any(tmp_path.glob(".site.build-*")) and len(children(build.pid)) >= 2, 60)
        workers = children(build.pid)
        build.send_signal(signal.SIGKILL)
        build.wait(timeout=10)
        assert rendering, "the build never started its render workers"
        assert wait_for(lambda: not any(alive(pid) for pid in workers), 0.5), "a render worker outlived the build"
    finally:
        if build.poll() is None:
            build.kill()
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
