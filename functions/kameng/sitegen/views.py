"""What a page's template receives beyond plain values: small frozen objects.

A page's fingerprint is the digest of its template's context, field by field
(context_digest.py). So that nothing a template can read escapes it, each
object here is frozen and each of its properties reads only its own fields;
the text a property makes (a price, the JSON-LD) is made when the page is
rendered, and only for the pages that are.
"""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from markupsafe import Markup

from kameng.domain.money import format_minor
from kameng.domain.price_book import PricedSku
from kameng.domain.pricing import FlashSale
from kameng.sitegen.catalog import ImageFile
from kameng.sitegen.content import SkuSpec, amount_text

DESCRIPTION_LENGTH = 155
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
# JSON allows these as \u escapes; raw, they could close the <script> or start markup.
_SCRIPT_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def excerpt(fragment: str, length: int = DESCRIPTION_LENGTH) -> str:
    text = _SPACE.sub(" ", html.unescape(_TAG.sub(" ", fragment))).strip()
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def json_for_script(data: Any) -> Markup:
    """JSON that cannot end its <script> element or open a comment, whatever the content says."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for character, escaped in _SCRIPT_ESCAPES:
        text = text.replace(character, escaped)
    return Markup(text)


@dataclass(frozen=True)
class Prices:
    """How a station writes an amount, a from-price and a quantity tier."""

    currency: str
    from_price: str
    """The theme's string with {price}."""
    tier: str
    """The theme's string with {min} and {price}."""

    def money(self, minor: int) -> str:
        return format_minor(minor, self.currency)


@dataclass(frozen=True)
class AssetUrls:
    """`asset(name)` in a template: the URL of a theme static file (hashed name). Only those."""

    urls: dict[str, str]

    def __call__(self, name: str) -> str:
        if name not in self.urls:
            raise KeyError(f"asset({name!r}): expected the name of a file in the theme's static/ folder")
        return self.urls[name]


@dataclass(frozen=True)
class Card:
    """A product as a station lists it: in a grid, with its from-price."""

    title: str
    summary: str
    url: str
    image: ImageFile | None
    price: int
    """The lowest of its SKUs' prices at this station."""
    prices: Prices

    @property
    def from_price(self) -> str:
        return self.prices.from_price.format(price=self.prices.money(self.price))


@dataclass(frozen=True)
class Section:
    id: str
    name: str
    url: str
    cards: tuple[Card, ...]


@dataclass(frozen=True)
class FlashOffer:
    """A flash sale as a page shows it: the window is in data attributes; the server alone decides."""

    price: str
    starts: str
    ends: str
    quantity: int
    per_shopper: int


@dataclass(frozen=True)
class Offer:
    """One SKU on its product page: the content's SKU, this station's price line and flash sales."""

    spec: SkuSpec
    line: PricedSku
    sales: tuple[FlashSale, ...]
    prices: Prices

    @property
    def sku(self) -> str:
        return self.spec.id

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def face_value(self) -> str:
        return self.prices.money(self.spec.face_value)

    @property
    def price(self) -> str:
        return self.prices.money(self.line.price)

    @property
    def price_minor(self) -> int:
        return self.line.price

    @property
    def min_quantity(self) -> int:
        return self.spec.min_per_order

    @property
    def max_quantity(self) -> int:
        return self.spec.max_per_order

    @property
    def tiers(self) -> tuple[str, ...]:
        """Each tier as text: "10 张起 ¥9.80/张"."""
        return tuple(
            self.prices.tier.format(min=tier.min_quantity, price=self.prices.money(tier.price)) for tier in self.line.tiers
        )

    @property
    def tiers_data(self) -> str:
        """"10:980,30:970": for the form's estimated total."""
        return ",".join(f"{tier.min_quantity}:{tier.price}" for tier in self.line.tiers)

    @property
    def flash_sales(self) -> tuple[FlashOffer, ...]:
        return tuple(
            FlashOffer(self.prices.money(sale.price), _iso(sale.starts), _iso(sale.ends), sale.quantity, sale.per_shopper)
            for sale in self.sales
        )

    @property
    def flash_data(self) -> str:
        """"<starts ISO>|<ends ISO>|<price>|<per shopper>;…": the estimate inside a sale's window."""
        return ";".join(f"{_iso(sale.starts)}|{_iso(sale.ends)}|{sale.price}|{sale.per_shopper}" for sale in self.sales)


@dataclass(frozen=True)
class ProductData:
    """A product page's schema.org Product, written into its <script type="application/ld+json">."""

    name: str
    description: str
    category: str
    url: str
    images: tuple[str, ...]
    offers: tuple[tuple[str, str, int], ...]
    """(SKU id, SKU name, price) of each SKU."""
    currency: str

    def __html__(self) -> str:
        structured: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "Product",
            "name": self.name,
            "description": self.description,
            "category": self.category,
            "url": self.url,
            "offers": [
                {"@type": "Offer", "sku": sku, "name": name, "price": amount_text(price),
                 "priceCurrency": self.currency, "url": self.url}
                for sku, name, price in self.offers
            ],
        }
        if self.images:
            structured["image"] = list(self.images)
        return json_for_script(structured)

    def __str__(self) -> str:
        return self.__html__()


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
