"""What a build leaves in site/.build-digest for the next one.

The first line is the digest of every input (digest.input_digest): equal,
and the rebuild stops there. The second is JSON:

    {"format": 2,
     "code": digest.code_version(),
     "files": {"<path outside every station's folder>": ["<fingerprint>", <size>], ...},
     "markdown": {"<sha256 of a Markdown text>": {"html", "images", "unknown", "lookups"}, ...},
     "yaml": {"<sha256 of a YAML text>": {<its fields>}, ...}}

then one line per station:

    {"station": "<id>", "key": "<station_keys.StationKeys key>", "files": {"<path>": ["<fingerprint>", <size>]}}

The files list every file the build wrote (the bookkeeping files aside), so
the next build renders a page only when its fingerprint changed or its file
is gone, and deletes what it no longer writes. A station's key lets the next
build skip planning it when it is the same: its line is then copied as it
is. A line per station is read only when that station is looked at, so a
thousand stations cost a rebuild no more memory than ten. `markdown` and
`yaml` hold this build's conversions and parses (markdown_safe.MarkdownCache,
parse.YamlCache), kept only while the code is the same.

Like .price-books.json it holds wholesale prices (the products' parsed front
matter), so like it it lives beside the station folders, never inside one:
no station serves it and publishing skips it.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from kameng.sitegen.digest import code_version
from kameng.sitegen.spool import Spool

DIGEST_FILE = ".build-digest"
FORMAT = 2
Files = dict[str, tuple[str, int]]
"""Path under site/ → (fingerprint, size): what the manifest records of each file written."""
# Written by station_line() in this order: a line gives its station and key without being parsed.
_STATION = re.compile(rb'\{"station":"([a-z0-9-]+)","key":"([0-9a-f]+)","files":')


@dataclass
class Manifest:
    files: Files = field(default_factory=dict)
    """The files outside every station's folder."""
    markdown: dict[str, Any] = field(default_factory=dict)
    yaml: dict[str, Any] = field(default_factory=dict)
    stations: dict[str, str] = field(default_factory=dict)
    """Station id → its key; empty when made by other code (a key may miss an input this code reads)."""
    lines: Spool | None = None
    """Each station's line; None: no manifest was read, so what it would list is not known."""

    def station_files(self, station: str) -> Files:
        """The files the previous build wrote in that station's folder; none when it has no line."""
        if self.lines is None or station not in self.lines:
            return {}
        data = json.loads(self.lines.read(station))["files"]
        return {str(path): (str(entry[0]), int(entry[1])) for path, entry in data.items()}


def stored_digest(site_dir: Path) -> str | None:
    """The first line only: an unchanged rebuild need not read the rest."""
    try:
        with open(site_dir / DIGEST_FILE, "rb") as file:
            return file.readline().rstrip(b"\n").decode("ascii")
    except (OSError, ValueError):
        return None


def read_manifest(site_dir: Path) -> Manifest | None:
    """The previous build's manifest; None when there is none that this code can read.

    Its file stays open: the build replaces it at its end, after copying the lines it keeps.
    """
    try:
        file = open(site_dir / DIGEST_FILE, "rb")
    except OSError:
        return None
    try:
        return _read(file)
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        file.close()
        return None


def _read(file: BinaryIO) -> Manifest | None:
    file.readline()
    header = json.loads(file.readline())
    if header["format"] != FORMAT:
        file.close()
        return None
    files = {str(path): (str(entry[0]), int(entry[1])) for path, entry in header["files"].items()}
    same_code = header["code"] == code_version()
    caches = [header.get(name) if same_code else None for name in ("markdown", "yaml")]
    markdown, yaml = (cache if isinstance(cache, dict) else {} for cache in caches)
    stations: dict[str, str] = {}
    lines = Spool(file)
    offset = file.tell()
    for line in file:
        found = _STATION.match(line)
        if found is None or not line.endswith(b"}}\n"):
            raise ValueError("expected a station's whole line")  # one a full disk cut short, say
        station = found[1].decode()
        lines.index[station] = (offset, len(line.rstrip(b"\n")))
        stations[station] = found[2].decode()
        offset += len(line)
    # A key made by other code may miss an input this code reads: plan every station then.
    return Manifest(files, markdown, yaml, stations if same_code else {}, lines)


def station_line(station: str, key: str, files: Files) -> bytes:
    # Sorted and compact: the same inputs give the same bytes, whatever the previous build was.
    listed = json.dumps({path: list(entry) for path, entry in sorted(files.items())}, ensure_ascii=False,
                        separators=(",", ":"))
    return f'{{"station":"{station}","key":"{key}","files":{listed}}}'.encode()


def write_header(out: TextIO, digest: str, files: Files, markdown: dict[str, Any], yaml: dict[str, Any]) -> None:
    """The first two lines."""
    data = {
        "format": FORMAT,
        "code": code_version(),
        "files": {path: list(entry) for path, entry in sorted(files.items())},
        "markdown": markdown,
        "yaml": yaml,
    }
    out.write(digest + "\n")
    # Not sort_keys: a parse read back from the cache must keep its mappings' order, or a price book made from
    # it would differ by the order of a label's languages from one made from a fresh parse.
    # dumps, not dump: only the whole-string form uses json's C encoder (dump took 0.17 s of a 1.2 s edit).
    out.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
