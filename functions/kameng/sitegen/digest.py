"""Digests of what a build reads: everything at once (an unchanged rebuild stops early), and per part.

The render cache (manifest.py) keys each page on the parts it shows; the
parts that every page depends on are the build code and the theme folder.
"""
from __future__ import annotations

import hashlib
import os
import re
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

_PACKAGE = Path(__file__).parent
_DOMAIN = _PACKAGE.parent / "domain"
# The output also depends on these libraries' behaviour. Versions come from
# package metadata so that an unchanged rebuild need not import them.
_LIBRARIES = ("jinja2", "markdown", "markupsafe", "nh3", "pydantic", "pyyaml")


def input_digest(content_dir: Path, templates_dir: Path) -> str:
    digest = hashlib.sha256(code_version().encode())
    for label, folder in (("content", content_dir), ("templates", templates_dir)):
        _add_folder(digest, label, folder)
    return digest.hexdigest()


@cache
def code_version() -> str:
    """The build code, the libraries it renders with and the Python running it."""
    digest = hashlib.sha256(f"python {sys.version}\0".encode())
    for library, version in _library_versions().items():
        digest.update(f"{library} {version}\0".encode())
    code = [_PACKAGE / name for name in sorted(os.listdir(_PACKAGE)) if name.endswith(".py")]
    code += [_DOMAIN / "money.py", _DOMAIN / "price_book.py"]
    for path in code:
        _add_file(digest, "code/" + path.name, path)
    return digest.hexdigest()


def _library_versions() -> dict[str, str]:
    """Each library's installed version, as importlib.metadata.version() gives it.

    Read from the name of its .dist-info folder (`<name>-<version>.dist-info`)
    in the first sys.path entry that has one: metadata.version() does the same
    search, ten times slower, and every build (an unchanged one too) needs it.
    """
    wanted = {_normal(name): name for name in _LIBRARIES}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                project, _, version = name[: -len(".dist-info")].partition("-")
                key = _normal(project)
                if key in wanted and key not in found and version:
                    found[key] = version
        if len(found) == len(wanted):
            break
    return {name: found.get(key) or metadata.version(name) for key, name in wanted.items()}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def folder_digest(folder: Path) -> str:
    """Every file under folder, by relative path and bytes."""
    digest = hashlib.sha256()
    _add_folder(digest, "", folder)
    return digest.hexdigest()


def _add_folder(digest: "hashlib._Hash", label: str, folder: Path) -> None:
    for path in _files(folder):
        _add_file(digest, f"{label}/{path.relative_to(folder).as_posix()}", path)


def _add_file(digest: "hashlib._Hash", name: str, path: Path) -> None:
    data = path.read_bytes()
    # Lengths keep "ab" + "c" apart from "a" + "bc".
    digest.update(f"{name}\0{len(data)}\0".encode())
    digest.update(data)


def _files(folder: Path) -> list[Path]:
    found: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        found.extend(Path(root, name) for name in sorted(names))
    return found
