"""What a build leaves in site/.build-digest for the next one.

The first line is the digest of every input (digest.input_digest): equal,
and the rebuild stops there. The rest is JSON:

    {"format": 1,
     "code": digest.code_version(),
     "files": {"<path under site/>": ["<fingerprint>", <size>], ...},
     "price_books": ["<fingerprint>", <size>],
     "markdown": {"<sha256 of a Markdown text>": {"html", "images", "unknown", "lookups"}, ...},
     "yaml": {"<sha256 of a YAML text>": {<its fields>}, ...},
     "stations": {"<station id>": "<station_keys.station_keys() key>", ...}}

`files` lists every file the build wrote (the bookkeeping files aside), so
the next build renders a page only when its fingerprint changed or its file
is gone, and deletes what it no longer writes; `price_books` does the same
for .price-books.json. `stations` lets the next build skip planning a
station whose key is the same (its files are those `files` lists under
its folder). `markdown` and `yaml` hold this build's conversions
and parses (markdown_safe.MarkdownCache, parse.YamlCache), kept only while
the code is the same.

Like .price-books.json it holds wholesale prices (the products' parsed front
matter), so like it it lives beside the station folders, never inside one:
no station serves it and publishing skips it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kameng.sitegen.digest import code_version

DIGEST_FILE = ".build-digest"
FORMAT = 1


@dataclass
class Manifest:
    files: dict[str, tuple[str, int]] = field(default_factory=dict)
    price_books: tuple[str, int] | None = None
    markdown: dict[str, Any] = field(default_factory=dict)
    yaml: dict[str, Any] = field(default_factory=dict)
    stations: dict[str, str] = field(default_factory=dict)


def stored_digest(site_dir: Path) -> str | None:
    """The first line only: an unchanged rebuild need not read the rest."""
    try:
        with open(site_dir / DIGEST_FILE, "rb") as file:
            return file.readline().rstrip(b"\n").decode("ascii")
    except (OSError, ValueError):
        return None


def read_manifest(site_dir: Path) -> Manifest | None:
    """The previous build's manifest; None when there is none that this code can read."""
    try:
        text = (site_dir / DIGEST_FILE).read_text("utf-8")
        data = json.loads(text.partition("\n")[2])
        if data["format"] != FORMAT:
            return None
        files = {str(path): (str(entry[0]), int(entry[1])) for path, entry in data["files"].items()}
        books = data.get("price_books")
        price_books = None if books is None else (str(books[0]), int(books[1]))
        same_code = data["code"] == code_version()
        caches = [data.get(name) if same_code else None for name in ("markdown", "yaml")]
        markdown, yaml = (cache if isinstance(cache, dict) else {} for cache in caches)
        # A key made by other code may miss an input this code reads: plan every station then.
        stations = {str(name): str(key) for name, key in (data.get("stations") or {}).items()} if same_code else {}
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None
    return Manifest(files, price_books, markdown, yaml, stations)


def manifest_bytes(digest: str, manifest: Manifest) -> bytes:
    data = {
        "format": FORMAT,
        "code": code_version(),
        "files": {path: list(entry) for path, entry in manifest.files.items()},
        "price_books": None if manifest.price_books is None else list(manifest.price_books),
        "markdown": manifest.markdown,
        "yaml": manifest.yaml,
        "stations": manifest.stations,
    }
    # Sorted and compact: the same inputs give the same bytes, whatever the previous build was.
    return (digest + "\n" + json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))).encode()
