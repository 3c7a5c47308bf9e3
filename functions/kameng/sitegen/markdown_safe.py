"""Markdown → HTML that is safe to put on a page served with a strict CSP.

Markdown lets raw HTML through, so everything it produces goes through nh3
with an allow-list: no script/style/iframe, no event handlers or style
attributes, and only http(s)/mailto links. Images must be files from the
station's images/ folder (CSP allows no other image host), and get their
content-hashed URL.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
    "strong", "b", "em", "i", "u", "s", "del", "ins", "mark", "small", "sub", "sup",
    "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "pre", "code", "kbd", "samp",
    "a", "img", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
    "figure", "figcaption", "abbr", "span", "div", "details", "summary",
}
# Removed together with their content, not just unwrapped: the text of a
# script or style is not prose.
_DROPPED_WITH_CONTENT = {"script", "style", "iframe", "noscript", "template", "object", "embed", "svg", "math"}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "abbr": {"title"},
}
_LOCAL_FILE = re.compile(r"[^/:?#\\]+")


@dataclass(frozen=True)
class SafeHtml:
    html: str
    images: tuple[str, ...]
    """File names from images/ that the HTML shows."""
    unknown_images: tuple[str, ...]
    """Image sources that are not a file in images/ (removed from the HTML)."""


# What a conversion asked image_url, and what it answered: (file name, URL or None).
Lookups = tuple[tuple[str, str | None], ...]


class MarkdownConverter:
    def __init__(self) -> None:
        # Imported here: a rebuild whose Markdown is all cached never needs them.
        import markdown
        import nh3

        self._markdown = markdown.Markdown(extensions=["tables", "fenced_code", "sane_lists"])
        self._cleaner = nh3.Cleaner(
            tags=_TAGS,
            clean_content_tags=_DROPPED_WITH_CONTENT,
            attributes=_ATTRIBUTES,
            attribute_filter=self._filter,
            url_schemes={"http", "https", "mailto"},
            link_rel="nofollow noopener",
            strip_comments=True,
        )
        self._image_url: Callable[[str], str | None] = lambda name: None
        self._images: list[str] = []
        self._unknown: list[str] = []

    def convert(self, text: str, image_url: Callable[[str], str | None]) -> SafeHtml:
        """image_url maps a file name in images/ to its URL, or None if there is no such file."""
        self._image_url, self._images, self._unknown = image_url, [], []
        html = self._cleaner.clean(self._markdown.reset().convert(text))
        return SafeHtml(html, tuple(dict.fromkeys(self._images)), tuple(dict.fromkeys(self._unknown)))

    def convert_recording(self, text: str, image_url: Callable[[str], str | None]) -> tuple[SafeHtml, Lookups]:
        """convert(), and every question it asked image_url with its answer."""
        asked: dict[str, str | None] = {}

        def recording(name: str) -> str | None:
            asked[name] = image_url(name)
            return asked[name]

        return self.convert(text, recording), tuple(asked.items())

    def _filter(self, tag: str, attribute: str, value: str) -> str | None:
        if tag != "img" or attribute != "src":
            return value
        url = self._image_url(value) if _LOCAL_FILE.fullmatch(value) else None
        if url is None:
            self._unknown.append(value)
            return None
        self._images.append(value)
        return url


class MarkdownCache:
    """Conversions of earlier builds, reused when the text and every image URL it asked for are unchanged.

    The output of convert() is a function of the text, the answers of
    image_url and the code (libraries and this module: the build keeps the
    entries only while digest.code_version() is unchanged), so a reused entry
    is exactly what converting again would give, errors included: its
    unknown_images are reported as a fresh conversion's would be.
    """

    def __init__(self, entries: dict[str, Any] | None = None) -> None:
        self._previous: dict[str, Any] = entries or {}
        self.used: dict[str, Any] = {}
        """Entries this build read or made: what the next build can reuse."""
        self._converter: MarkdownConverter | None = None

    @property
    def converter(self) -> MarkdownConverter:
        if self._converter is None:
            self._converter = MarkdownConverter()
        return self._converter

    def get(self, text: str, image_url: Callable[[str], str | None]) -> SafeHtml | None:
        entry = self._previous.get(_key(text))
        try:
            if entry is None or any(image_url(name) != url for name, url in entry["lookups"]):
                return None
            safe = SafeHtml(str(entry["html"]), tuple(map(str, entry["images"])), tuple(map(str, entry["unknown"])))
            lookups = tuple((str(name), None if url is None else str(url)) for name, url in entry["lookups"])
        except (KeyError, TypeError, ValueError):  # an entry from a damaged manifest: convert again
            return None
        self.put(text, safe, lookups)
        return safe

    def put(self, text: str, safe: SafeHtml, lookups: Lookups) -> None:
        self.used[_key(text)] = {
            "html": safe.html,
            "images": list(safe.images),
            "unknown": list(safe.unknown_images),
            "lookups": [list(pair) for pair in lookups],
        }

    def convert(self, text: str, image_url: Callable[[str], str | None]) -> SafeHtml:
        safe = self.get(text, image_url)
        if safe is None:
            safe, lookups = self.converter.convert_recording(text, image_url)
            self.put(text, safe, lookups)
        return safe


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
