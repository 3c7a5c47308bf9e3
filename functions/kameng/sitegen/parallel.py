"""Map a function over many items on every core, for the two slow steps: Markdown and writing pages.

Workers are forked, so they start with the parent's memory (catalogue,
compiled templates, open converters) and only results are pickled back.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# Below this many items a forked worker costs more than it saves.
PARALLEL_FROM = 200
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

_share: Callable[[int], list[Any]] | None = None


def fork_map(function: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
    """[function(item) for item in items], in that order, spread over the CPUs."""
    global _share
    workers = _workers(len(items))
    if workers == 1:
        return [function(item) for item in items]
    # Interleaved shares: neighbouring items (one station's pages) cost alike.
    _share = lambda index: [function(item) for item in items[index::workers]]  # noqa: E731
    # Frozen objects are never scanned by the collector: the workers' collections
    # stay small and do not copy every page of the parent's memory on write.
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(workers, _die_with_parent, (os.getpid(),)) as pool:
            shares = pool.map(_run_share, range(workers))
    finally:
        _share = None
        gc.unfreeze()
    results: list[Any] = [None] * len(items)
    for index, share in enumerate(shares):
        results[index::workers] = share
    return results


def _die_with_parent(parent: int) -> None:
    """In each worker: a build killed with SIGKILL cannot stop its workers, so the kernel must.

    Left running, they go on writing into the dead build's work folder for
    seconds, while the next build or a publish already reads site/.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    # The parent may have died before prctl ran: then no signal will come.
    if os.getppid() != parent:
        os._exit(1)


def _run_share(index: int) -> list[Any]:
    assert _share is not None
    return _share(index)


def _workers(items: int) -> int:
    # Forking a process that runs other threads can copy a lock some thread holds.
    if items < PARALLEL_FROM or threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cpus, 8, items // PARALLEL_FROM))
