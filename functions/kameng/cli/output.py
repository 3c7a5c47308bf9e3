"""What `kameng` prints: tables that line up with Chinese text, JSON for scripts, progress, times, stderr lines."""
from __future__ import annotations

import json
import sys
import time
import unicodedata
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Sequence, TextIO

PROG = "kameng"
# Below this a file imports in a moment; in a log, progress lines would only be noise.
PROGRESS_FROM_BYTES = 1024 * 1024
PROGRESS_CHUNK_BYTES = 64 * 1024
LOG_PROGRESS_STEPS = 10


def plain(text: object) -> str:
    # Shopper-supplied text (an e-mail) reaches the owner's terminal: escape sequences
    # and bidi overrides in it must not repaint or reorder what the owner reads.
    out = []
    for ch in str(text):
        if unicodedata.category(ch) in ("Cc", "Cf"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def width(text: str) -> int:
    # Chinese titles take two terminal columns a character.
    columns = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        columns += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return columns


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], right: Iterable[int] = ()) -> str:
    cells = [[plain(cell) for cell in row] for row in [headers, *rows]]
    widths = [max(width(row[i]) for row in cells) for i in range(len(headers))]
    right = set(right)
    lines = []
    for row in cells:
        parts = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - width(cell))
            parts.append(pad + cell if i in right else cell + pad)
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def pairs(facts: Sequence[tuple[str, object]]) -> str:
    label_width = max(width(label) for label, _ in facts)
    return "\n".join(f"{label}{' ' * (label_width - width(label))}  {plain(value)}" for label, value in facts)


def indent(text: str) -> str:
    return "\n".join("  " + line for line in text.split("\n"))


# DEL and the C1 controls pass json.dumps(ensure_ascii=False) raw; a terminal would act on them.
_JSON_RAW_CONTROLS = {code: f"\\u{code:04x}" for code in range(0x7F, 0xA0)}


def print_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2).translate(_JSON_RAW_CONTROLS))


def utc(moment: datetime | str | None) -> str:
    """A time as the owner reads it in a table; views hand times over as ISO strings."""
    if moment is None:
        return "-"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def fail(message: str) -> None:
    print(f"{PROG}: {plain(' '.join(message.split()))}", file=sys.stderr)


class Progress:
    """Bytes read so far: a tqdm bar on a terminal, a few whole lines in a log, nothing for a small file in a log.

    It starts on the first line read, so a refused import (unknown SKU, wrong
    file type) never leaves an empty bar behind its error.
    """

    def __init__(self, path: Path, stream: TextIO):
        self.path = path
        self.stream = stream
        self.state = "waiting"  # waiting | bar | lines | off
        self.total = self.done = self.pending = self.step = self.next_line_at = self.logged = 0
        self.started = 0.0
        self.bar = None

    def __call__(self, size: int) -> None:
        if self.state == "waiting":
            self._start()
        if self.state == "off":
            return
        self.pending += size
        if self.pending >= PROGRESS_CHUNK_BYTES:
            self._flush()

    def _start(self) -> None:
        self.started = time.monotonic()
        self.total = self.path.stat().st_size
        if self.stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(
                total=self.total, unit="B", unit_scale=True, unit_divisor=1024, desc=self.path.name,
                file=self.stream, dynamic_ncols=True,
            )
            self.state = "bar"
        elif self.total > PROGRESS_FROM_BYTES:
            self.step = self.next_line_at = max(self.total // LOG_PROGRESS_STEPS, 1)
            self.state = "lines"
        else:
            self.state = "off"

    def _flush(self) -> None:
        self.done += self.pending
        if self.bar is not None:
            self.bar.update(self.pending)
        elif self.done >= self.next_line_at:
            self._log_line()
            self.next_line_at = (self.done // self.step + 1) * self.step
        self.pending = 0

    def _log_line(self) -> None:
        from tqdm import tqdm

        # Whole lines, no carriage returns: a log file or CI output stays readable.
        line = tqdm.format_meter(
            min(self.done, self.total), self.total, time.monotonic() - self.started,
            prefix=self.path.name, unit="B", unit_scale=True, unit_divisor=1024,
            bar_format="{desc}: {percentage:3.0f}% {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}]",
        )
        print(plain(line), file=self.stream, flush=True)
        self.logged = self.done

    def close(self, finished: bool) -> None:
        if self.state == "bar":
            self._flush()
            self.bar.close()
        elif self.state == "lines" and finished:
            self.done += self.pending
            self.pending = 0
            if self.logged != self.done:
                self._log_line()
