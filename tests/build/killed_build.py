"""A build killed partway through installing its files, as `kill -9` leaves it (a real journal, no lock held)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Installs `installs` files, then dies without unwinding: no __exit__, no undo, the journal left behind.
_SCRIPT = """
import os, sys
from pathlib import Path
from kameng.sitegen import build, write

content, site, templates, limit = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
installed = 0
real_install = write.SiteWriter._install

def install(self, path, temp):
    global installed
    real_install(self, path, temp)
    installed += 1
    if installed == limit:
        os._exit(9)

write.SiteWriter._install = install
build(content, site, templates)
"""


def kill_build_mid_install(content: Path, site: Path, templates: Path, installs: int) -> None:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "functions"), str(REPO)])}
    done = subprocess.run([sys.executable, "-c", _SCRIPT, str(content), str(site), str(templates), str(installs)],
                          capture_output=True, text=True, timeout=60, env=environment)
    assert done.returncode == 9, done.stderr
