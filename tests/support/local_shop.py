"""A running shop: the demo content built into a temp site, served by the local server on 127.0.0.1."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Shop:
    port: int
    env: dict
    data_dir: Path
    site_dir: Path
    process: subprocess.Popen

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def host(self, station: str) -> str:
        return f"{station}.localhost:{self.port}"

    def get(self, station: str | None, path: str, **kwargs) -> requests.Response:
        headers = {"Host": self.host(station)} if station else {}
        return requests.get(self.base + path, headers=headers | kwargs.pop("headers", {}), allow_redirects=False, timeout=10, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return requests.post(self.base + path, allow_redirects=False, timeout=20, **kwargs)

    def url(self, absolute: str) -> str:
        """Reach an absolute shop URL (pay page, order page) through 127.0.0.1, keeping its Host."""
        from urllib.parse import urlsplit

        parts = urlsplit(absolute)
        return f"{self.base}{parts.path}" + (f"?{parts.query}" if parts.query else "")

    def pay_page(self, placed: dict) -> str:
        """The path of the gateway's pay page that checkout's pay_url leads to, through the shop's own pay
        step (which holds the keys for the whole reservation), as a browser follows it."""
        from urllib.parse import urlsplit

        link = urlsplit(placed["pay_url"])
        step = self.get(None, f"{link.path}?{link.query}", headers={"Host": link.netloc})
        assert step.status_code == 303, step.text
        return urlsplit(step.headers["Location"]).path

    def kameng(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(REPO / ".venv/bin/kameng"), *args], env=self.env, capture_output=True, text=True, timeout=120)

    def import_keys(self, sku: str, keys: list[str], tmp: Path) -> None:
        path = tmp / f"{sku}-{time.monotonic_ns()}.txt"
        path.write_text("\n".join(keys) + "\n")
        done = self.kameng("import-keys", sku, str(path))
        assert done.returncode == 0, done.stderr


def start_shop(tmp: Path, extra_env: dict | None = None, content: Path | None = None) -> Shop:
    data_dir, site_dir = tmp / "var", tmp / "site"
    port = free_port()
    env = {**os.environ, "KAMENG_DATA_DIR": str(data_dir), **(extra_env or {})}
    env.pop("KAMENG_PUBLIC_URL", None)
    chosen = ["--content", str(content)] if content else []
    built = subprocess.run([sys.executable, str(REPO / "build.py"), "--out", str(site_dir), *chosen], env=env,
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    process = subprocess.Popen(
        [sys.executable, "-m", "kameng.local", "--port", str(port), "--site", str(site_dir), "--sweep-seconds", "1"],
        env={**env, "PYTHONPATH": str(REPO / "functions")}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=1)
            break
        except requests.ConnectionError:
            if process.poll() is not None:
                raise RuntimeError(f"the local server exited: {process.stdout.read()}")
            time.sleep(0.1)
    return Shop(port, env, data_dir, site_dir, process)




@contextmanager
def served_shop(tmp: Path, extra_env: dict | None = None, content: Path | None = None):
    shop = start_shop(tmp, extra_env, content)
    try:
        yield shop
    finally:
        shop.process.terminate()
        shop.process.wait(timeout=10)
