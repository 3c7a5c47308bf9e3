"""A digest of everything a build reads, so an unchanged rebuild can stop early."""
from __future__ import annotations

import hashlib
import os
from importlib import metadata
from pathlib import Path

_PACKAGE = Path(__file__).parent
_DOMAIN = _PACKAGE.parent / "domain"
# The output also depends on these libraries' behaviour. Versions come from
# package metadata so that an unchanged rebuild need not import them.
_LIBRARIES = ("jinja2", "markdown", "markupsafe", "nh3", "pydantic", "pyyaml")


def input_digest(content_dir: Path, templates_dir: Path) -> str:
    digest = hashlib.sha256()
    for library in _LIBRARIES:
        digest.update(f"{library} {metadata.version(library)}\0".encode())
    code = [_PACKAGE / name for name in sorted(os.listdir(_PACKAGE)) if name.endswith(".py")]
    code += [_DOMAIN / "money.py", _DOMAIN / "price_book.py"]
    for path in code:
        _add_file(digest, "code/" + path.name, path)
    for label, folder in (("content", content_dir), ("templates", templates_dir)):
        for path in _files(folder):
            _add_file(digest, f"{label}/{path.relative_to(folder).as_posix()}", path)
    return digest.hexdigest()


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
