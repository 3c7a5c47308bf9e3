"""A theme folder: Jinja2 templates, a string table per language, static files.

A theme may extend another with a `theme.yaml` holding `extends: <theme>`:
its own templates, strings and static files win, the rest come from the
theme it extends. A second look is then a few overridden files and a
stylesheet layer, and every fix to the parent reaches it.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import jinja2
import yaml
from markupsafe import Markup

from kameng.sitegen.catalog import fingerprint
from kameng.sitegen.digest import code_version, folder_digest

TEMPLATES = (
    "landing", "category", "product", "page", "order", "account", "404", "sitemap.xml", "robots.txt", "_header", "_footer",
    "search", "stations",
)
SETTINGS = "theme.yaml"
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ThemeError(Exception):
    """A theme.yaml mistake, in the shape of a content problem: file, field, what was expected, what was found."""

    def __init__(self, source: str, field: str, expected: str, got: Any) -> None:
        super().__init__(f"{source}: {field}: {expected} (got {got!r})")
        self.problem = (source, field, expected, got)


def theme_folders(templates_dir: Path, name: str) -> list[Path]:
    """The theme's folder, then the folder of each theme it extends, nearest first."""
    shown = Path(os.path.abspath(templates_dir)).name
    folders = [templates_dir / name]
    while (parent := _extends(folders[-1], shown)) is not None:
        source = f"{shown}/{folders[-1].name}/{SETTINGS}"
        if templates_dir / parent in folders:
            chain = " → ".join(folder.name for folder in folders)
            raise ThemeError(source, "extends", f"expected a theme that does not lead back to itself ({chain})", parent)
        if not (templates_dir / parent).is_dir():
            raise ThemeError(source, "extends", f"expected a folder under {shown}/", parent)
        folders.append(templates_dir / parent)
    return folders


def _extends(folder: Path, shown: str) -> str | None:
    path = folder / SETTINGS
    if not path.is_file():
        return None
    source = f"{shown}/{folder.name}/{SETTINGS}"
    try:
        settings = yaml.load(path.read_text("utf-8"), Loader=_Loader)
    except yaml.YAMLError as error:
        raise ThemeError(source, "file", "expected YAML", str(error).splitlines()[0]) from None
    settings = {} if settings is None else settings
    if not isinstance(settings, dict) or set(settings) - {"extends"}:
        raise ThemeError(source, "file", "expected only `extends: <theme>`", settings)
    parent = settings.get("extends")
    if parent is not None and not (isinstance(parent, str) and _NAME.fullmatch(parent)):
        raise ThemeError(source, "extends", "expected the name of a theme folder", parent)
    return parent


class Theme:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        # Nearest first: the first folder that has a file is the one used.
        self.folders = theme_folders(folder.parent, folder.name)
        # Every page of the theme shows its files, its parents' files and the code that renders them.
        self.fingerprint = fingerprint(code_version(), *(f"{path.name}\0{folder_digest(path)}" for path in self.folders))
        self.environment = jinja2.Environment(
            # "default/landing.html" names the parent's own file, so an override can extend it and add a block.
            loader=jinja2.ChoiceLoader([
                *(jinja2.FileSystemLoader(path) for path in self.folders),
                jinja2.PrefixLoader({path.name: jinja2.FileSystemLoader(path) for path in self.folders[1:]}),
            ]),
            autoescape=True,
            # A typo in a template must fail the build, not print an empty string.
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
            bytecode_cache=_bytecode_cache(),
        )
        # Compiled when first used: a rebuild that renders a few product pages needs few of them.
        # That each is there is known now, before anything is written.
        for name in TEMPLATES:
            if not any((path / _file_name(name)).is_file() for path in self.folders):
                raise jinja2.TemplateNotFound(_file_name(name))
        self.templates: dict[str, jinja2.Template] = {}
        self.strings: dict[str, dict[str, str]] = {}
        self.static: dict[str, bytes] = {}
        for path in reversed(self.folders):
            for language, table in _strings(path).items():
                self.strings[language] = {**self.strings.get(language, {}), **table}
            self.static.update(_static(path))
        self.static = dict(sorted(self.static.items()))

    def template(self, name: str) -> jinja2.Template:
        if name not in self.templates:
            self.templates[name] = self.environment.get_template(_file_name(name))
        return self.templates[name]

    def render(self, template: str, context: dict[str, Any]) -> bytes:
        return self.template(template).render(context).encode("utf-8")

    def fragment(self, template: str, context: dict[str, Any]) -> Markup:
        return Markup(self.template(template).render(context))


def _strings(folder: Path) -> dict[str, dict[str, str]]:
    path = folder / "strings.yaml"
    if not path.is_file():
        # A theme that extends another need only hold the strings it changes.
        return {}
    return yaml.load(path.read_text("utf-8"), Loader=_Loader) or {}


def _static(folder: Path) -> dict[str, bytes]:
    static = folder / "static"
    return {
        path.relative_to(static).as_posix(): path.read_bytes()
        for path in sorted(static.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    }


def _file_name(template: str) -> str:
    return template if "." in template else f"{template}.html"


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between builds (checked against their source): compiling the product page took
    a sixteenth of a one-product rebuild. In the user's own temporary folder, which Jinja2 makes private; named
    for the build code too, as the compiled form follows this environment's settings, not only the source."""
    try:
        return jinja2.FileSystemBytecodeCache(pattern=f"kameng-{code_version()[:16]}-%s.cache")
    except (OSError, RuntimeError):
        return None
