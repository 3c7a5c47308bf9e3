"""Markdown → HTML that is safe to put on a page served with a strict CSP.

Markdown lets raw HTML through, so everything it produces goes through nh3
with an allow-list: no script/style/iframe, no event handlers or style
attributes, and only http(s)/mailto links. Images must be files from the
station's images/ folder (CSP allows no other image host), and get their
content-hashed URL.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import markdown
import nh3

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


class MarkdownConverter:
    def __init__(self) -> None:
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

    def _filter(self, tag: str, attribute: str, value: str) -> str | None:
        if tag != "img" or attribute != "src":
            return value
        url = self._image_url(value) if _LOCAL_FILE.fullmatch(value) else None
        if url is None:
            self._unknown.append(value)
            return None
        self._images.append(value)
        return url
