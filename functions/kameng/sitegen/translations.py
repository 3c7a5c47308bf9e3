"""Catalogue text in the languages stations speak (documented in docs/content.md, "Translations").

A name or a summary is written either as plain text, in the language of the
station whose folder holds the file, or as a mapping by language
(`title: {zh-CN: 原神 创世结晶, en: Genshin Impact Genesis Crystals}`). A
product's description in another language is a Markdown file beside it,
`<product-id>.<language>.md`, holding only the body. A station shows each
text in its own language, and the original where no translation was written.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from pydantic import BeforeValidator

LANGUAGES = ("zh-CN", "en")
MAX_LENGTH = 200
# <product-id>.<language>.md: a translated description, not a product of its own.
BODY_FILE = re.compile(r"(?P<product>[a-z0-9-]+)\.(?P<language>zh-CN|en)\.md")


def _line(value: Any, where: str) -> str:
    # YAML turns `name: 100` into a number; a SKU called "100" is still text.
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"expected text{where} (got {value!r})")
    text = str(value).strip()
    if not text:
        raise ValueError(f"expected text{where}, not nothing")
    if "\n" in text:
        raise ValueError(f"expected a single line{where} (got {text!r})")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"expected at most {MAX_LENGTH} characters{where}")
    return text


def _tag_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list of tags{where}, or a list per language (got {value!r})")
    return [_line(tag, where) for tag in value]


def _by_language(read: Callable[[Any, str], Any], example: str) -> Callable[[Any], Any]:
    """A validator of what `read` accepts, written once or once per language (a mapping)."""
    def validate(value: Any) -> Any:
        if not isinstance(value, dict):
            return read(value, "")
        if not value:
            raise ValueError(f"expected one per language, such as {example}, not an empty mapping")
        by_language = {}
        for language, item in value.items():
            if language not in LANGUAGES:
                raise ValueError(f"expected languages {' or '.join(LANGUAGES)} as keys, such as {example} "
                                 f"(got {language!r})")
            by_language[language] = read(item, f" for {language}")
        return by_language

    return validate


Translatable = Annotated[
    str | dict[str, str],
    BeforeValidator(_by_language(_line, "{zh-CN: 原神 创世结晶, en: Genshin Impact Genesis Crystals}")),
]
"""One line of text, or one line per language."""
TranslatableTags = Annotated[
    list[str] | dict[str, list[str]], BeforeValidator(_by_language(_tag_list, "{zh-CN: [礼品卡], en: [Gift card]}"))
]
"""A list of tags, or one list per language."""


def text_in(value: Any, language: str, original: str) -> Any:
    """The text a station in `language` shows: its translation, else the original."""
    if not isinstance(value, dict):
        return value
    return value.get(language) or value.get(original) or next(iter(value.values()))


def lacks(value: Any, language: str, original: str) -> bool:
    """Whether a station in `language` shows this text untranslated."""
    if not value or language == original:
        return False
    return not isinstance(value, dict) or language not in value


def missing(front: Any, language: str, original: str) -> Iterator[str]:
    """The fields of a product's front matter a station in `language` would show untranslated."""
    for name in ("title", "summary", "tags"):
        if lacks(getattr(front, name), language, original):
            yield name
    for index, sku in enumerate(front.skus):
        if lacks(sku.name, language, original):
            yield f"skus[{index}].name"


def has_translations(front: Any) -> bool:
    """Whether any text of the product's front matter is written in more than one language."""
    texts = (front.title, front.summary, front.tags, *(sku.name for sku in front.skus))
    return any(isinstance(text, dict) for text in texts)


def localized_front(front: Any, language: str, original: str) -> Any:
    """The product's front matter with every text in `language` (model_copy: it was validated already)."""
    skus = [sku.model_copy(update={"name": text_in(sku.name, language, original)}) for sku in front.skus]
    return front.model_copy(update={
        "title": text_in(front.title, language, original),
        "summary": text_in(front.summary, language, original),
        "tags": text_in(front.tags, language, original),
        "skus": skus,
    })


def localized_categories(categories: list[Any], language: str, original: str) -> list[Any]:
    return [category.model_copy(update={"name": text_in(category.name, language, original)})
            for category in categories]

