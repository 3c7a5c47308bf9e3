"""The owner console's static pages: templates/console/ → site/_console/, assets under content-hashed names.

The console is the same for every station (it asks the owner API who is signed in and what they may
see), so it is planned once per build beside the stations, through the same writer and manifest: an
unchanged console is neither rendered nor written again.
"""
from __future__ import annotations

import hashlib
from functools import partial
from pathlib import Path

import jinja2

from kameng.sitegen.catalog import fingerprint, hashed_name
from kameng.sitegen.digest import code_version, folder_digest
from kameng.sitegen.load import CONSOLE_TEMPLATES as FOLDER
from kameng.sitegen.render import Output

# A station id never starts with "_" (content_types.is_id), so no station's folder can be this one.
OUTPUT = "_console"
PAGES = ("index.html", "404.html")
# Vendored files keep their licence beside them in the output, unhashed, where anyone can read it.
LICENCES = {"vendor/uPlot.LICENSE": "licenses/uPlot.txt"}
_HASHED = (".js", ".css", ".svg")


def plan_console(templates_dir: Path) -> list[Output]:
    folder = templates_dir / FOLDER
    if not folder.is_dir():
        # A templates folder made only of station themes (a custom one) builds the stations alone.
        return []
    assets: dict[str, str] = {}
    outputs: list[Output] = []
    for relative, data in _files(folder):
        if relative in LICENCES:
            outputs.append(_file(LICENCES[relative], data, f"the console's {relative}"))
        elif relative.endswith(_HASHED) and relative.split("/", 1)[0] in ("static", "vendor"):
            path = "assets/" + hashed_name(relative.split("/", 1)[1], data)
            assets[relative.split("/", 1)[1]] = "/" + path
            outputs.append(_file(path, data, f"the console's {relative}"))
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=True,
                                     undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    # Every page shows the asset names, which are digests of the files: the folder's digest covers both.
    key = fingerprint("console", code_version(), folder_digest(folder))
    for page in PAGES:
        render = partial(_render, environment, page, dict(sorted(assets.items())))
        outputs.append(Output(f"{OUTPUT}/{page}", f"the console's {page}", render, fingerprint=fingerprint(key, page)))
    return outputs


def _files(folder: Path) -> list[tuple[str, bytes]]:
    return [(path.relative_to(folder).as_posix(), path.read_bytes())
            for path in sorted(folder.rglob("*")) if path.is_file() and not path.name.startswith(".")]


def _file(path: str, data: bytes, source: str) -> Output:
    return Output(f"{OUTPUT}/{path}", source, lambda: data,
                  fingerprint=fingerprint("file", path, hashlib.sha256(data).hexdigest()))


def _render(environment: jinja2.Environment, page: str, assets: dict[str, str]) -> bytes:
    return environment.get_template(page).render(asset=assets).encode("utf-8")
