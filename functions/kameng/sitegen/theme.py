"""A theme folder: Jinja2 templates, a string table per language, static files."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import yaml
from markupsafe import Markup

from kameng.sitegen.catalog import fingerprint
from kameng.sitegen.digest import code_version, folder_digest

TEMPLATES = (
    "landing", "category", "product", "page", "order", "account", "404", "sitemap.xml", "robots.txt", "_header", "_footer"
)
_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Theme:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        # Every page of the theme shows its files and the code that renders them.
        self.fingerprint = fingerprint(code_version(), folder_digest(folder))
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(folder),
            autoescape=True,
            # A typo in a template must fail the build, not print an empty string.
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
        )
        # Compiled when first used: a rebuild that renders a few product pages needs few of them.
        # That each is there is known now, before anything is written.
        for name in TEMPLATES:
            if not (folder / _file_name(name)).is_file():
                raise jinja2.TemplateNotFound(_file_name(name))
        self.templates: dict[str, jinja2.Template] = {}
        strings = (folder / "strings.yaml").read_text("utf-8")
        self.strings: dict[str, dict[str, str]] = yaml.load(strings, Loader=_Loader)
        static = folder / "static"
        self.static: dict[str, bytes] = {
            path.relative_to(static).as_posix(): path.read_bytes()
            for path in sorted(static.rglob("*"))
            if path.is_file() and not path.name.startswith(".")
        }

    def template(self, name: str) -> jinja2.Template:
        if name not in self.templates:
            self.templates[name] = self.environment.get_template(_file_name(name))
        return self.templates[name]

    def render(self, template: str, context: dict[str, Any]) -> bytes:
        return self.template(template).render(context).encode("utf-8")

    def fragment(self, template: str, context: dict[str, Any]) -> Markup:
        return Markup(self.template(template).render(context))


def _file_name(template: str) -> str:
    return template if "." in template else f"{template}.html"
