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


class Theme:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        # Every page of the theme shows its files and the code that renders them.
        self.fingerprint = fingerprint(code_version(), folder_digest(folder))
        environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(folder),
            autoescape=True,
            # A typo in a template must fail the build, not print an empty string.
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
        )
        self.templates = {
            name: environment.get_template(name if "." in name else f"{name}.html") for name in TEMPLATES
        }
        self.strings: dict[str, dict[str, str]] = yaml.safe_load((folder / "strings.yaml").read_text("utf-8"))
        static = folder / "static"
        self.static: dict[str, bytes] = {
            path.relative_to(static).as_posix(): path.read_bytes()
            for path in sorted(static.rglob("*"))
            if path.is_file() and not path.name.startswith(".")
        }

    def render(self, template: str, context: dict[str, Any]) -> bytes:
        return self.templates[template].render(context).encode("utf-8")

    def fragment(self, template: str, context: dict[str, Any]) -> Markup:
        return Markup(self.templates[template].render(context))
