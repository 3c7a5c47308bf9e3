"""Shared helpers for the benchmark scripts: processes, memory, servers, tables, results.

Every script in loadtests/ talks only to 127.0.0.1, runs for a bounded time and
writes its result to loadtests/out/<name>.json in one shape:

    {"name": ..., "machine": {...}, "rows": [{"what", "measured", "budget", "ok"}], "details": {...}}

run_all.py reads the rows of every result into one table.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
PYTHON = sys.executable
VENV_BIN = Path(PYTHON).parent
MIB = 1024 * 1024

try:  # psutil is in the dev requirements; the scripts still run without it (less precise memory)
    import psutil
except ImportError:  # pragma: no cover
    psutil = None


# --- results ---------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    if psutil is not None:
        info["memory_mib"] = round(psutil.virtual_memory().total / MIB)
        info["load_avg_1m"] = round(os.getloadavg()[0], 2)
    return info


def row(what: str, measured: str, budget: str, ok: bool | None, **extra: Any) -> dict[str, Any]:
    return {"what": what, "measured": measured, "budget": budget, "ok": ok, **extra}


def ok_text(ok: bool | None) -> str:
    return {True: "yes", False: "**NO**", None: "n/a"}[ok]


def print_table(rows: Sequence[dict[str, Any]], title: str | None = None) -> None:
    """A Markdown table: readable in a terminal, pasteable into the README."""
    if title:
        print(f"\n## {title}\n")
    headers = ("what", "measured", "budget", "ok?")
    cells = [(r["what"], r["measured"], r["budget"], ok_text(r["ok"])) for r in rows]
    widths = [max(len(h), *(_width(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = lambda values: "| " + " | ".join(v + " " * (w - _width(v)) for v, w in zip(values, widths)) + " |"
    print(line(headers))
    print("| " + " | ".join("-" * w for w in widths) + " |")
    for c in cells:
        print(line(c))
    print(flush=True)


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def write_result(name: str, rows: list[dict[str, Any]], details: dict[str, Any]) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    data = {
        "name": name,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        "rows": rows,
        "details": details,
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"result written to {path.relative_to(REPO)}")
    return path


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of non-empty values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * p // 100))  # ceil(n * p / 100)
    return ordered[int(rank) - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "count": len(ms),
        "min_ms": round(min(ms), 2),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


# --- child processes: wall time and peak memory --------------------------------------------


@dataclass
class Measured:
    argv: list[str]
    returncode: int
    seconds: float
    peak_rss: int  # bytes: the larger of the kernel's ru_maxrss and the sampled process tree
    peak_rss_kernel: int  # bytes: ru_maxrss from wait4 (largest single process of the tree)
    peak_rss_tree: int  # bytes: the largest sum of RSS over the process and its children, sampled
    samples: list[tuple[float, int]]  # (seconds since start, tree RSS bytes)
    cpu_seconds: float  # user + system CPU of the child (and its waited-for children)
    load_before: float  # 1-minute load average when the child started (other work on the machine)
    stdout: str
    stderr: str

    @property
    def peak_mib(self) -> float:
        return self.peak_rss / MIB

    def check(self) -> "Measured":
        if self.returncode != 0:
            raise RuntimeError(
                f"{' '.join(self.argv)} exited with {self.returncode}\n--- stdout\n{self.stdout[-3000:]}\n--- stderr\n{self.stderr[-3000:]}"
            )
        return self


def run_measured(argv: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path = REPO,
                 timeout: float = 300, sample_every: float = 0.02) -> Measured:
    """Run a child to its end; wall time, peak RSS (wait4 and a sampled tree sum), its output."""
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    samples: list[tuple[float, int]] = []
    done = threading.Event()

    def sample() -> None:
        if psutil is None:
            return
        try:
            root = psutil.Process(process.pid)
        except psutil.Error:
            return
        while not done.is_set():
            total = 0
            try:
                total = root.memory_info().rss
                for child in root.children(recursive=True):
                    try:
                        total += child.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                break
            samples.append((time.perf_counter() - started, total))
            done.wait(sample_every)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    deadline = started + timeout
    status = rusage = None
    while True:
        pid, status, rusage = os.wait4(process.pid, os.WNOHANG)
        if pid == process.pid:
            break
        if time.perf_counter() > deadline:
            process.kill()
            pid, status, rusage = os.wait4(process.pid, 0)
            break
        time.sleep(0.002)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    kernel = rusage.ru_maxrss * 1024  # KiB on Linux
    tree = max((s for _, s in samples), default=0)
    return Measured(list(argv), process.returncode, seconds, max(kernel, tree), kernel, tree, samples,
                    rusage.ru_utime + rusage.ru_stime, load_before, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))


def kameng_env(data_dir: Path | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAMENG_")}
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = str(REPO / "functions") + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if data_dir is not None:
        env["KAMENG_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def kameng_cli() -> list[str]:
    script = VENV_BIN / "kameng"
    if script.exists():
        return [str(script)]
    return [PYTHON, "-m", "kameng.cli"]


def build_cmd(content: Path, out: Path, publish: bool) -> list[str]:
    cmd = [PYTHON, str(REPO / "build.py"), "--content", str(content), "--out", str(out)]
    return cmd if publish else cmd + ["--no-publish"]


def require_build_py() -> None:
    if not (REPO / "build.py").exists():
        sys.exit("build.py does not exist yet at the repo top; this benchmark needs it")


# --- the local server ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def local_server(site: Path, data_dir: Path, *, threads: int | None = None, log: Path | None = None,
                 startup_timeout: float = 30) -> Iterator["Server"]:
    """`python -m kameng.local` on a free port of 127.0.0.1, stopped (by its pid) on exit."""
    port = free_port()
    argv = [PYTHON, "-m", "kameng.local", "--host", "127.0.0.1", "--port", str(port), "--site", str(site)]
    if threads is not None:
        argv += ["--threads", str(threads)]
    log_path = log or (data_dir / "server.log")
    log_file = open(log_path, "wb")
    env = kameng_env(data_dir, KAMENG_SANDBOX_URL=f"http://127.0.0.1:{port}")
    process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    server = Server(port, process, log_path)
    try:
        server.wait_ready(startup_timeout)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log_file.close()


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def host(self, station: str) -> str:
        """The Host header that selects a station (the server maps <id>.localhost to site/<id>)."""
        return f"{station}.localhost:{self.port}"

    def wait_ready(self, timeout: float) -> None:
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the local server exited with {self.process.returncode}:\n{self.log.read_text(errors='replace')[-3000:]}")
            try:
                requests.get(self.url + "/", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"the local server did not answer within {timeout} s")

    def rss_mib(self) -> float | None:
        if psutil is None:
            return None
        try:
            return psutil.Process(self.process.pid).memory_info().rss / MIB
        except psutil.Error:
            return None


def local_url(url: str, port: int) -> str:
    """Point an absolute URL the server made (localhost, <station>.localhost) at 127.0.0.1."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, f"127.0.0.1:{port}", parts.path, parts.query, parts.fragment))


# --- fixtures: built demo shop with a data dir ---------------------------------------------------


def temp_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"kameng-{prefix}-"))


def build_demo(work: Path, data_dir: Path) -> Path:
    """Build content/ into work/site, publishing the price books to data_dir's store."""
    require_build_py()
    site = work / "site"
    run_measured(build_cmd(REPO / "content", site, publish=True), env=kameng_env(data_dir)).check()
    return site


def write_keys(path: Path, count: int, prefix: str) -> Path:
    """count distinct, well-formed keys, one a line (deterministic)."""
    import hashlib

    with path.open("w", encoding="utf-8") as f:
        for i in range(count):
            tail = hashlib.blake2b(f"{prefix}{i}".encode(), digest_size=8).hexdigest().upper()
            f.write(f"{prefix}-{i:07d}-{tail[:8]}-{tail[8:]}\n")
    return path


def import_keys(data_dir: Path, sku: str, path: Path, timeout: float = 300) -> Measured:
    return run_measured([*kameng_cli(), "import-keys", sku, str(path)], env=kameng_env(data_dir), timeout=timeout).check()


def stock_counts(data_dir: Path) -> tuple[dict[str, dict[str, int]], str]:
    """{sku: {available, reserved, sold, void, imported}} from `kameng stock --json` (or the store)."""
    measured = run_measured([*kameng_cli(), "stock", "--json"], env=kameng_env(data_dir), timeout=60)
    if measured.returncode == 0:
        try:
            return _normalise_stock(json.loads(measured.stdout)), "kameng stock --json"
        except (ValueError, TypeError, KeyError):
            pass
    # Fallback while the CLI lacks the command: the store adapter read directly.
    sys.path.insert(0, str(REPO / "functions"))
    from kameng.adapters.sqlite import open_store

    store = open_store(data_dir / "kameng.db")
    skus = [row[0] for row in store.db.conn().execute("SELECT DISTINCT sku FROM card_keys")]
    counts = store.inventory.stock(skus)
    return ({sku: {f: getattr(c, f) for f in ("available", "reserved", "sold", "void", "imported")}
             for sku, c in counts.items()}, "store adapter (kameng stock --json unavailable)")


def _normalise_stock(data: Any) -> dict[str, dict[str, int]]:
    """Accept {sku: counts}, {"skus": {sku: counts}} or [{"sku": ..., counts}]."""
    if isinstance(data, dict) and "skus" in data:
        data = data["skus"]
    if isinstance(data, list):
        data = {item["sku"]: item for item in data}
    result = {}
    for sku, counts in data.items():
        fields = {f: int(counts.get(f, 0)) for f in ("available", "reserved", "sold", "void")}
        fields["imported"] = int(counts.get("imported", sum(fields.values())))
        result[sku] = fields
    return result


def cleanup(*paths: Path) -> None:
    if os.environ.get("KAMENG_BENCH_KEEP"):
        print("kept:", *paths)
        return
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)


def placed_orders(orders_file: Path) -> list[dict]:
    """The orders a Locust run placed (FLASH_ORDERS_FILE: one JSON object a line)."""
    if not orders_file.exists():
        return []
    return [json.loads(line) for line in orders_file.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_back(base_url: str, placed: Sequence[dict]) -> tuple[list[tuple[dict, dict]], int]:
    """Each placed order beside what the orders API shows its token's holder, and how many it would not show."""
    import requests

    session = requests.Session()
    seen, unreadable = [], 0
    for order in placed:
        r = session.get(f"{base_url}/api/orders/{order['order_id']}",
                        headers={"Authorization": f"Bearer {order['token']}"}, timeout=30)
        if r.status_code != 200:
            unreadable += 1
            continue
        seen.append((order, r.json()["order"]))
    return seen, unreadable
