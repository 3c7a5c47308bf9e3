"""The validated content of every station, ready to price and render."""
from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from markupsafe import Markup

from kameng.sitegen.content import MainStationSpec, ProductSpec, SubstationSpec
from kameng.sitegen.content_types import IMAGE_EXTENSIONS
from kameng.sitegen.image_size import image_size
from kameng.sitegen.supplier_content import AnySupplierSpec
from kameng.sitegen.translations import has_translations, localized_categories, localized_front

HASH_LENGTH = 10


def hashed_name(name: str, data: bytes) -> str:
    return _hashed_name(name, hashlib.sha256(data).hexdigest())


def _hashed_name(name: str, digest: str) -> str:
    stem, extension = os.path.splitext(name)
    return f"{stem}.{digest[:HASH_LENGTH]}{extension.lower()}"


def fingerprint(*parts: Any) -> str:
    """A short digest of parts: str, int, None, and tuples of them (repr keeps them apart)."""
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _printed(item: Any) -> Markup:
    """Its HTML as a page prints it: one object, shown by every station."""
    return Markup(item.html)


@dataclass(frozen=True)
class ImageFile:
    name: str
    path: Path
    output: str
    """Path inside a station's site folder, e.g. assets/img/steam.1a2b3c4d5e.svg."""
    sha256: str = ""
    """Of the file's bytes, when it was read."""
    size: tuple[int, int] | None = None
    """Width and height from the file's header: the page reserves the image's room before it loads."""

    @property
    def url(self) -> str:
        return "/" + self.output


class ImageFolder:
    """A station's images/, hashed lazily: only referenced files are read."""

    def __init__(self, path: Path, display: str) -> None:
        self.path = path
        self.display = display
        self._found: dict[str, ImageFile | None] = {}

    def get(self, name: str) -> ImageFile | None:
        if name not in self._found:
            self._found[name] = self._read(name)
        return self._found[name]

    def _read(self, name: str) -> ImageFile | None:
        path = self.path / name
        if "/" in name or "\\" in name or not name.lower().endswith(IMAGE_EXTENSIONS) or not path.is_file():
            return None
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        return ImageFile(name, path, "assets/img/" + _hashed_name(name, digest), digest, image_size(data))


@dataclass(frozen=True)
class Document:
    """A Markdown file with a title: landing.md or pages/<slug>.md."""

    source: str
    title: str
    html: str
    images: tuple[ImageFile, ...]

    body = cached_property(_printed)


@dataclass(frozen=True)
class Product:
    id: str
    source: str
    front: ProductSpec
    html: str
    gallery: tuple[ImageFile, ...]
    body_images: tuple[ImageFile, ...]
    owner: str | None = None
    """The substation whose own goods these are (content/<station>/products/), sold there alone; None: main's."""
    bodies: tuple[tuple[str, str, tuple[ImageFile, ...]], ...] = ()
    """(language, HTML, images) of each translated description (<product-id>.<language>.md)."""

    def in_language(self, language: str, original: str) -> Product:
        """The product as a station in `language` shows it: translated where a translation was written."""
        if not self.bodies and not has_translations(self.front):
            # Most products are written in one language: every station shares the one object, and with it
            # the digest each build makes of it once.
            return self
        html, images = self.html, self.body_images
        for body_language, body_html, body_images in self.bodies:
            if body_language == language:
                html, images = body_html, body_images
        return dataclasses.replace(self, front=localized_front(self.front, language, original), html=html,
                                   body_images=images, bodies=())

    @cached_property
    def sku_ids(self) -> tuple[str, ...]:
        return tuple(sku.id for sku in self.front.skus)

    @cached_property
    def front_json(self) -> str:
        return self.front.model_dump_json()

    body = cached_property(_printed)


@dataclass(frozen=True)
class Station:
    id: str
    source: str
    """Display path of station.yaml, the file its errors name."""
    config: MainStationSpec | SubstationSpec
    logo: ImageFile | None
    landing: Document | None
    pages: dict[str, Document] = field(default_factory=dict)
    """Its own pages by slug; a substation also shows main's pages it does not replace."""
    sells: tuple[str, ...] = ()
    """Product ids, sorted."""

    @property
    def is_main(self) -> bool:
        return isinstance(self.config, MainStationSpec)


@dataclass(frozen=True)
class Catalog:
    main: Station
    substations: tuple[Station, ...]
    products: dict[str, Product]
    currency: str
    # content/suppliers/<name>.yaml, by name.
    suppliers: dict[str, AnySupplierSpec] = field(default_factory=dict)
    # content/suppliers/synced.yaml: SKU → (supplier, product, synced cost or None) per offer.
    synced: dict[str, tuple[tuple[str, str, int | None], ...]] = field(default_factory=dict)
    # Each language's catalogue, made once: stations of one language share its product objects (and digests).
    _languages: dict[str, Catalog] = field(default_factory=dict, compare=False, repr=False)

    @property
    def stations(self) -> tuple[Station, ...]:
        return (self.main, *self.substations)

    def language_of(self, product: Product) -> str:
        """The language its file is written in: that of the station whose folder holds it."""
        if product.owner is None:
            return self.main.config.language
        return self._substation_languages.get(product.owner, self.main.config.language)

    @cached_property
    def _substation_languages(self) -> dict[str, str]:
        # Asked for every product of every station: a search through a thousand substations each time took seconds.
        return {station.id: station.config.language for station in self.substations}

    def in_language(self, language: str) -> Catalog:
        """The catalogue as a station in `language` shows it: products, categories and SKUs by name in it."""
        if language not in self._languages:
            main_config = self.main.config
            assert isinstance(main_config, MainStationSpec)
            categories = localized_categories(main_config.categories, language, main_config.language)
            main = dataclasses.replace(self.main, config=main_config.model_copy(update={"categories": categories}))
            products = {product_id: product.in_language(language, self.language_of(product))
                        for product_id, product in self.products.items()}
            self._languages[language] = dataclasses.replace(self, main=main, products=products, _languages={})
        return self._languages[language]
