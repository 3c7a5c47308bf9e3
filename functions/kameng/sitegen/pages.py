"""What each page's template receives, made by a function of its arguments alone.

A page is planned as one of these functions and its arguments (render.py);
its fingerprint is the digest of those arguments (context_digest.py) with the
theme and the station's shared context. The context a template receives is
made from nothing else, so it can change only when the fingerprint does: a
value added to a page is in its fingerprint because it has to come in as an
argument (tests/build/test_fingerprints.py checks that these functions read
no module data). Making the context (prices as text, the JSON-LD) waits until
the page is rendered, and only the pages that changed are.
"""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo
from typing import Any, NamedTuple

from markupsafe import Markup

from kameng.domain.money import format_minor
from kameng.domain.pricing import FlashSale, Tier, tier_price
from kameng.sitegen.catalog import Document, ImageFile, Product
from kameng.sitegen.content import BuyerFieldSpec, CategorySpec, SkuSpec
from kameng.sitegen.content_types import amount_text
from kameng.sitegen.storefront import StationLink

LANDING_PRODUCTS_PER_CATEGORY = 8
DESCRIPTION_LENGTH = 155
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
# JSON allows these as \u escapes; raw, they could close the <script> or start markup.
_SCRIPT_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))

Context = dict[str, Any]
SkuPrices = tuple[int, tuple[Tier, ...], tuple[FlashSale, ...]]
"""A SKU's price at a station, its quantity tiers and its flash sales. A plain tuple: a big catalogue has tens of
thousands, made on every build."""


def excerpt(fragment: str, length: int = DESCRIPTION_LENGTH) -> str:
    text = _SPACE.sub(" ", html.unescape(_TAG.sub(" ", fragment))).strip()
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def json_for_script(data: Any) -> Markup:
    """JSON that cannot end its <script> element or open a comment, whatever the content says."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for character, escaped in _SCRIPT_ESCAPES:
        text = text.replace(character, escaped)
    return Markup(text)


# --- what pages are made of ----------------------------------------------------------


@dataclass(frozen=True)
class StationView:
    """What a page's own values need of its station (the rest of the station is in the shared context)."""

    name: str
    base_url: str
    currency: str
    tagline: str | None
    default_image: str | None
    strings: dict[str, str]
    time_zone: str = "Asia/Shanghai"

    def money(self, minor: int) -> str:
        return format_minor(minor, self.currency)

    def clock(self, moment: datetime) -> str:
        """A moment as the station's clock reads it, e.g. 2026-12-12 20:00: what a page shows without its script."""
        return moment.astimezone(ZoneInfo(self.time_zone)).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class AssetUrls:
    """`asset(name)` in a template: the URL of a theme static file (hashed name). Only those."""

    urls: dict[str, str]

    def __call__(self, name: str) -> str:
        if name not in self.urls:
            raise KeyError(f"asset({name!r}): expected the name of a file in the theme's static/ folder")
        return self.urls[name]


class Card(NamedTuple):
    """A product as a station lists it: in a grid, with its from-price.

    A tuple, its text made when a page shows it: every listing page of a big
    catalogue is planned on every build.
    """

    title: str
    summary: str
    url: str
    image: ImageFile | None
    price: int
    """The lowest of its SKUs' prices at this station."""
    currency: str
    from_text: str
    """The theme's from-price, with {price}."""

    @property
    def from_price(self) -> str:
        return self.from_text.format(price=format_minor(self.price, self.currency))


class Section(NamedTuple):
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
    starts_text: str = ""
    ends_text: str = ""
    """The window by the station's clock, shown until the countdown script takes over."""


@dataclass(frozen=True)
class Offer:
    sku: str
    name: str
    face_value: str
    price: str
    price_minor: int
    min_quantity: int
    max_quantity: int
    tiers: tuple[str, ...] = ()
    """Each tier as text: "10 张起 ¥9.80/张"."""
    tiers_data: str = ""
    """"10:980,30:970": for the form's estimated total."""
    flash_sales: tuple[FlashOffer, ...] = ()
    flash_data: str = ""
    """"<starts ISO>|<ends ISO>|<price>|<per shopper>;…": the estimate inside a sale's window."""
    available: bool = True
    """False: not sold at this station for now (its supplier cost is above the price)."""
    least_total: str = ""
    """The smallest order's total (tiers applied), shown until the form's script follows the shopper's choice."""


@dataclass(frozen=True)
class FieldInput:
    """A buyer field of a direct top-up as the buy form asks for it. The content's pattern becomes the
    input's pattern attribute (the browser anchors it); checkout checks it again either way."""

    name: str
    labels: tuple[tuple[str, str], ...]
    pattern: str
    example: str
    inputmode: str
    autocomplete: str

    def label(self, language: str) -> str:
        return dict(self.labels).get(language) or self.labels[0][1]


_PHONE_NAMES = ("phone", "mobile", "tel")


def field_input(field: BuyerFieldSpec) -> FieldInput:
    """A phone number gets the phone keypad and the browser's own number; an id of digits the number pad."""
    example = field.example or ""
    if any(word in field.name for word in _PHONE_NAMES):
        inputmode, autocomplete = "tel", "tel-national"
    elif example.isdigit():
        inputmode, autocomplete = "numeric", "off"
    else:
        inputmode, autocomplete = "text", "off"
    return FieldInput(field.name, tuple(field.label.items()), field.pattern, example, inputmode, autocomplete)


# --- the pages ----------------------------------------------------------------------------


def landing_page(path: str, station: StationView, landing: Document | None, sections: tuple[Section, ...],
                 counts: dict[str, int], best_sellers: tuple[Card, ...] = ()) -> Context:
    return _page(station, path, {
        "title": landing.title if landing else station.name,
        "description": station.tagline or (excerpt(landing.html) if landing else "") or station.name,
    }, body=landing.body if landing else None, sections=list(sections), counts=counts,
        best_sellers=list(best_sellers))


def search_page(path: str, station: StationView, cards: tuple[Card, ...]) -> Context:
    """Without JavaScript it lists every product, so the search form always leads somewhere; search.js filters."""
    return _page(station, path, {"title": station.strings["search_title"], "noindex": True}, cards=list(cards))


def stations_page(path: str, station: StationView, listed: tuple[StationLink, ...]) -> Context:
    return _page(station, path, {
        "title": station.strings["stations_title"],
        "description": excerpt(station.strings["stations_intro"] + " " + ", ".join(link.name for link in listed)),
    }, listed=list(listed))


def category_page(path: str, station: StationView, category: CategorySpec, cards: tuple[Card, ...]) -> Context:
    return _page(station, path, {
        "title": category.name,
        "description": excerpt(category.name + ": " + ", ".join(card.title for card in cards)),
    }, category={"id": category.id, "name": category.name}, cards=list(cards))


def product_page(path: str, station: StationView, product: Product, category: CategorySpec,
                 prices: tuple[SkuPrices, ...], available: tuple[bool, ...] = (),
                 elsewhere: tuple[StationLink, ...] = ()) -> Context:
    """prices: what this station charges for each of the product's SKUs, in order; available: whether each
    may be bought here (False: its supplier cost is above the price, content/suppliers/synced.yaml);
    elsewhere: the listed substations that sell it too (on the main station)."""
    front = product.front
    shown = available or (True,) * len(front.skus)
    offers = [_offer(station, sku, sku_prices, sells)
              for sku, sku_prices, sells in zip(front.skus, prices, shown)]
    description = front.summary or excerpt(product.html) or front.title
    images = [station.base_url + image.url for image in product.gallery]
    structured: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": front.title,
        "description": description,
        "category": category.name,
        "url": station.base_url + path,
        "offers": [
            {"@type": "Offer", "sku": offer.sku, "name": offer.name, "price": amount_text(offer.price_minor),
             "priceCurrency": station.currency, "url": station.base_url + path}
            | ({} if offer.available else {"availability": "https://schema.org/Discontinued"})
            for offer in offers
        ],
    }
    if images:
        structured["image"] = images
    return _page(station, path, {
        "title": front.title,
        "description": description,
        "image": images[0] if images else station.default_image,
        "og_type": "product",
    }, product=product, front=front, body=product.body, offers=offers,
        category={"id": category.id, "name": category.name, "url": f"/c/{category.id}/"},
        json_ld=json_for_script(structured), buyer_fields=[field_input(field) for field in front.fields],
        elsewhere=list(elsewhere))


def document_page(path: str, station: StationView, document: Document) -> Context:
    return _page(station, path, {
        "title": document.title,
        "description": excerpt(document.html) or document.title,
    }, body=document.body)


def fixed_page(path: str | None, station: StationView, title: str) -> Context:
    """The order, account and 404 pages: filled in the browser, never indexed."""
    return _page(station, path, {"title": station.strings[title], "noindex": True})


def _page(station: StationView, path: str | None, page: dict[str, Any], **values: Any) -> Context:
    meta = {"description": "", "image": station.default_image, "og_type": "website", "noindex": False, **page}
    meta["canonical"] = None if path is None else station.base_url + path
    return {"page": meta, "path": path, **values}


def _offer(station: StationView, sku: SkuSpec, prices: SkuPrices, available: bool = True) -> Offer:
    price, tiers, sales = prices
    return Offer(
        available=available,
        sku=sku.id,
        name=sku.name,
        face_value=station.money(sku.face_value),
        price=station.money(price),
        price_minor=price,
        min_quantity=sku.min_per_order,
        max_quantity=sku.max_per_order,
        tiers=tuple(
            station.strings["tier"].format(min=tier.min_quantity, price=station.money(tier.price)) for tier in tiers
        ),
        tiers_data=",".join(f"{tier.min_quantity}:{tier.price}" for tier in tiers),
        flash_sales=tuple(
            FlashOffer(station.money(sale.price), _iso(sale.starts), _iso(sale.ends), sale.quantity, sale.per_shopper,
                       station.clock(sale.starts), station.clock(sale.ends))
            for sale in sales
        ),
        flash_data=";".join(f"{_iso(sale.starts)}|{_iso(sale.ends)}|{sale.price}|{sale.per_shopper}" for sale in sales),
        least_total=station.money(tier_price(price, tiers, sku.min_per_order) * sku.min_per_order),
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
