"""Plan every file of a station's site and render it with the station's theme.

Planning is separate from rendering so that two pages claiming one path are
found before anything is written, and so that each output carries a
fingerprint of everything it shows: a page whose fingerprint the previous
build recorded is not rendered again.
"""
from __future__ import annotations

import hashlib
import html
from datetime import datetime, timezone
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, NamedTuple

from markupsafe import Markup

from kameng.domain.money import CURRENCY_SYMBOLS, format_minor
from kameng.domain.price_book import PriceBook
from kameng.domain.pricing import FlashSale
from kameng.sitegen.catalog import Catalog, Document, ImageFile, Product, Station, fingerprint, hashed_name
from kameng.sitegen.content import MainStationSpec, amount_text
from kameng.sitegen.theme import Theme

LANDING_PRODUCTS_PER_CATEGORY = 8
DESCRIPTION_LENGTH = 155
DEFAULT_COLOURS = {"primary": "#c81e1e", "accent": "#f59e0b"}


def readable_text_on(background: str) -> str:
    """Black or white, whichever reads better on the owner's colour (WCAG relative luminance)."""
    hex_digits = background.lstrip("#")
    if len(hex_digits) == 3:
        hex_digits = "".join(c * 2 for c in hex_digits)
    channels = [int(hex_digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    # Contrast against white is (1.05)/(L+0.05), against black (L+0.05)/0.05: equal at L ≈ 0.179.
    return "#111111" if luminance > 0.179 else "#ffffff"
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
# JSON allows these as \u escapes; raw, they could close the <script> or start markup.
_SCRIPT_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


class Output(NamedTuple):
    """One file of the site. A tuple: a big catalogue plans tens of thousands."""

    path: str
    """Relative to site/, starting with the station id."""
    source: str
    """What asked for this path, for the error when two things do."""
    render: Callable[[], bytes]
    share_key: str | None = None
    """Equal keys mean equal bytes: written once per build, hard-linked after."""
    fingerprint: str = ""
    """A digest of every input of render(): equal fingerprints, equal bytes."""


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


@dataclass(frozen=True)
class Card:
    """A product as a station lists it: in a grid, with its from-price."""

    title: str
    summary: str
    url: str
    image: ImageFile | None
    from_price: str


@dataclass(frozen=True)
class Section:
    id: str
    name: str
    url: str
    cards: list[Card]


def excerpt(fragment: str, length: int = DESCRIPTION_LENGTH) -> str:
    text = _SPACE.sub(" ", html.unescape(_TAG.sub(" ", fragment))).strip()
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def json_for_script(data: Any) -> Markup:
    """JSON that cannot end its <script> element or open a comment, whatever the content says."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for character, escaped in _SCRIPT_ESCAPES:
        text = text.replace(character, escaped)
    return Markup(text)


def plan_station(station: Station, catalog: Catalog, book: PriceBook, theme: Theme) -> list[Output]:
    return _StationPlan(station, catalog, book, theme).outputs()


class _StationPlan:
    def __init__(self, station: Station, catalog: Catalog, book: PriceBook, theme: Theme) -> None:
        self.station = station
        self.catalog = catalog
        self.book = book
        self.theme = theme
        config = station.config
        self.base_url = f"https://{config.domain}"
        self.currency = catalog.currency
        self.strings = theme.strings[config.language]
        # Attribute access only: on a dict, `t.copy` in a template is dict.copy.
        self.text = SimpleNamespace(**self.strings)
        main_config = catalog.main.config
        assert isinstance(main_config, MainStationSpec)

        self.products = sorted(
            (catalog.products[product_id] for product_id in station.sells),
            key=lambda p: (p.front.sort is None, p.front.sort or 0, p.front.title, p.id),
        )
        price_of = {sku: line.price for sku, line in book.skus.items()}
        self.prices = [tuple(map(price_of.__getitem__, product.sku_ids)) for product in self.products]
        self.flash_sales: dict[str, list[FlashSale]] = {}
        for sale in book.flash_sales:
            self.flash_sales.setdefault(sale.sku, []).append(sale)
        # Only categories this station has products in get a page and a menu entry.
        # Their cards are made when a page that shows them is rendered: most builds render few.
        listed: dict[str, list[int]] = {}
        for index, product in enumerate(self.products):
            listed.setdefault(product.front.category, []).append(index)
        self.categories = [
            (category, listed[category.id]) for category in main_config.categories if category.id in listed
        ]
        self._cards: dict[int, Card] = {}
        # A substation shows main's about/faq/terms unless it writes its own.
        inherited = {} if station.is_main else catalog.main.pages
        self.pages = dict(sorted({**inherited, **station.pages}.items()))
        self.assets = self.collect_assets()
        logo = station.logo
        self.default_image = self.base_url + logo.url if logo else None
        self._chrome: dict[str | None, dict[str, Markup]] = {}
        self.shop = {
            "id": station.id,
            "name": config.name,
            "language": config.language,
            "base_url": self.base_url,
            "logo": station.logo,
            "tagline": config.tagline,
            "announcement": config.announcement,
            "support_email": config.support_email,
            "currency": self.currency,
            "symbol": CURRENCY_SYMBOLS.get(self.currency, self.currency + " "),
            # The product page invites a guest to sign in for the member price only where there is one.
            "levels": any(level.discount_percent > 0 for level in config.levels),
            # A visitor who came through a referral link is told that signing in brings this coupon.
            "welcome_coupon": format_minor(config.referrals.welcome_coupon, self.currency)
            if config.referrals and config.referrals.welcome_coupon else None,
            "categories": [{"id": c.id, "name": c.name, "url": f"/c/{c.id}/"} for c, _ in self.categories],
            "pages": [{"slug": slug, "title": page.title, "url": f"/{slug}/"} for slug, page in self.pages.items()],
        }
        self.menu_urls = {item["url"] for item in self.shop["categories"] + self.shop["pages"]}
        # What every page of this station shows: the theme (templates, strings,
        # static files, build code), the shop's chrome and the theme's asset URLs.
        shop_key = {**self.shop, "logo": _image_key(station.logo)}
        self.fingerprint = fingerprint(
            theme.fingerprint,
            json.dumps(shop_key, ensure_ascii=False, sort_keys=True),
            tuple((name, self.assets[name][0]) for name in sorted(theme.static)),
            self.default_image,
        )

    # --- what this station shows ------------------------------------------------

    def money(self, minor: int) -> str:
        return format_minor(minor, self.currency)

    def cards(self, indexes: list[int]) -> list[Card]:
        return [self.card(index) for index in indexes]

    def card(self, index: int) -> Card:
        if index not in self._cards:
            product = self.products[index]
            self._cards[index] = Card(
                title=product.front.title,
                summary=product.front.summary or "",
                url=f"/p/{product.id}/",
                image=product.gallery[0] if product.gallery else None,
                from_price=self.strings["from_price"].format(price=self.money(min(self.prices[index]))),
            )
        return self._cards[index]

    def card_keys(self, indexes: list[int]) -> tuple[tuple[str, int], ...]:
        """What the cards show: the product's part (Product.card_fingerprint) and this station's from-price."""
        return tuple((self.products[index].card_fingerprint, min(self.prices[index])) for index in indexes)

    def collect_assets(self) -> dict[str, tuple[str, Callable[[], bytes], str]]:
        """Logical name → (hashed path in the station folder, bytes, their SHA-256)."""
        assets: dict[str, tuple[str, Callable[[], bytes], str]] = {}
        colours = {**DEFAULT_COLOURS, **self.station.config.colors.model_dump(exclude_none=True)}
        for name, data in self.theme.static.items():
            if name == "style.css":
                # Station colours live in the stylesheet: the CSP forbids style attributes.
                colours |= {f"on-{key}": readable_text_on(value) for key, value in list(colours.items())}
                variables = "".join(f"--{key}:{value};" for key, value in sorted(colours.items()))
                data = f":root{{{variables}}}\n".encode() + data
            output = "assets/" + hashed_name(name, data)
            assets[name] = (output, lambda data=data: data, hashlib.sha256(data).hexdigest())
        images: dict[str, ImageFile] = {}
        documents: list[Document | None] = [self.station.landing, *self.pages.values()]
        for document in documents:
            for image in document.images if document else ():
                images[image.output] = image
        for product in self.products:
            for image in (*product.gallery, *product.body_images):
                images[image.output] = image
        if self.station.logo is not None:
            images[self.station.logo.output] = self.station.logo
        for output, image in sorted(images.items()):
            assets[output] = (output, image.path.read_bytes, image.sha256)
        return assets

    def asset(self, name: str) -> str:
        """A theme static file's URL. Only those: the station's fingerprint holds their URLs, no others."""
        if name not in self.theme.static:
            raise KeyError(f"asset({name!r}): expected the name of a file in the theme's static/ folder")
        return "/" + self.assets[name][0]

    def key(self, *parts: Any) -> str:
        return fingerprint(self.fingerprint, *parts)

    # --- pages -----------------------------------------------------------------

    def outputs(self) -> list[Output]:
        # The theme's own files come first, so a content page that collides
        # with one is the one reported: the owner can rename it.
        station_id = self.station.id
        outputs = [
            # A file's bytes are its fingerprint, whatever page links to it.
            Output(f"{station_id}/{path}", f"the file {name}", render, path, fingerprint("file", path, sha256))
            for name, (path, render, sha256) in self.assets.items()
        ]
        landing = self.station.landing
        outputs += [
            Output(f"{station_id}/order/index.html", "the order page", self.order, fingerprint=self.key("order")),
            Output(f"{station_id}/account/index.html", "the account page", self.account, fingerprint=self.key("account")),
            Output(f"{station_id}/404.html", "the 404 page", self.not_found, fingerprint=self.key("404")),
            Output(f"{station_id}/sitemap.xml", "the sitemap", self.sitemap,
                   fingerprint=self.key("sitemap", tuple(self.sitemap_paths()))),
            Output(f"{station_id}/robots.txt", "robots.txt", self.robots, fingerprint=self.key("robots")),
            Output(f"{station_id}/index.html", landing.source if landing else "the landing page", self.landing,
                   fingerprint=self.key("landing", landing.fingerprint if landing else None, tuple(
                       (category.id, category.name, len(indexes),
                        self.card_keys(indexes[:LANDING_PRODUCTS_PER_CATEGORY]))
                       for category, indexes in self.categories
                   ))),
        ]
        for category, indexes in self.categories:
            outputs.append(Output(
                f"{station_id}/c/{category.id}/index.html", f"category {category.id}",
                lambda category=category, indexes=indexes: self.category(
                    category.id, category.name, self.cards(indexes)
                ),
                fingerprint=self.key("category", category.id, category.name, self.card_keys(indexes)),
            ))
        category_names = {category.id: category.name for category, _ in self.categories}
        station_key = self.fingerprint
        for product, prices in zip(self.products, self.prices):
            category = product.front.category
            outputs.append(Output(
                f"{station_id}/p/{product.id}/index.html", product.source,
                lambda product=product: self.product(product), None,
                fingerprint(station_key, "product", product.fingerprint, category, category_names[category], prices,
                            self.commerce_key(product)),
            ))
        for slug, document in self.pages.items():
            outputs.append(Output(
                f"{station_id}/{slug}/index.html", document.source,
                lambda slug=slug, document=document: self.page(slug, document),
                fingerprint=self.key("page", slug, document.fingerprint),
            ))
        return outputs

    def render(self, template: str, path: str | None, page: dict[str, Any], **context: Any) -> bytes:
        meta = {"description": "", "image": self.default_image, "og_type": "website", "noindex": False, **page}
        meta["canonical"] = None if path is None else self.base_url + path
        return self.theme.render(template, {
            "shop": self.shop, "t": self.text, "asset": self.asset, "page": meta, "path": path,
            "chrome": self.chrome(path), **context
        })

    def chrome(self, path: str | None) -> dict[str, Markup]:
        """Header and footer, the same on every page but the few their menus mark as current."""
        current = path if path in self.menu_urls else None
        if current not in self._chrome:
            context = {"shop": self.shop, "t": self.text, "path": current}
            self._chrome[current] = {
                "header": self.theme.fragment("_header", context),
                "footer": self.theme.fragment("_footer", context),
            }
        return self._chrome[current]

    def landing(self) -> bytes:
        landing = self.station.landing
        config = self.station.config
        sections = [
            Section(category.id, category.name, f"/c/{category.id}/",
                    self.cards(indexes[:LANDING_PRODUCTS_PER_CATEGORY]))
            for category, indexes in self.categories
        ]
        counts = {category.id: len(indexes) for category, indexes in self.categories}
        return self.render("landing", "/", {
            "title": landing.title if landing else config.name,
            "description": config.tagline or (excerpt(landing.html) if landing else "") or config.name,
        }, body=Markup(landing.html) if landing else None, sections=sections, counts=counts)

    def category(self, category_id: str, name: str, cards: list[Card]) -> bytes:
        return self.render("category", f"/c/{category_id}/", {
            "title": name,
            "description": excerpt(name + ": " + ", ".join(card.title for card in cards)),
        }, category={"id": category_id, "name": name}, cards=cards)

    def commerce_key(self, product: Product) -> tuple[Any, ...]:
        """What a product page shows of tiers and flash sales, which the base prices do not cover."""
        return tuple(
            (tuple((tier.min_quantity, tier.price) for tier in self.book.skus[sku].tiers),
             tuple(sale.model_dump_json() for sale in self.flash_sales.get(sku, ())))
            for sku in product.sku_ids
        )

    def product(self, product: Product) -> bytes:
        front = product.front
        path = f"/p/{product.id}/"
        offers = [
            Offer(
                sku=sku.id,
                name=sku.name,
                face_value=self.money(sku.face_value),
                price=self.money(self.book.skus[sku.id].price),
                price_minor=self.book.skus[sku.id].price,
                min_quantity=sku.min_per_order,
                max_quantity=sku.max_per_order,
                tiers=tuple(
                    self.strings["tier"].format(min=tier.min_quantity, price=self.money(tier.price))
                    for tier in self.book.skus[sku.id].tiers
                ),
                tiers_data=",".join(f"{tier.min_quantity}:{tier.price}" for tier in self.book.skus[sku.id].tiers),
                flash_sales=tuple(
                    FlashOffer(self.money(sale.price), _iso(sale.starts), _iso(sale.ends), sale.quantity,
                               sale.per_shopper)
                    for sale in self.flash_sales.get(sku.id, ())
                ),
                flash_data=";".join(
                    f"{_iso(sale.starts)}|{_iso(sale.ends)}|{sale.price}|{sale.per_shopper}"
                    for sale in self.flash_sales.get(sku.id, ())
                ),
            )
            for sku in front.skus
        ]
        description = front.summary or excerpt(product.html) or front.title
        images = [self.base_url + image.url for image in product.gallery]
        category = next(c for c, _ in self.categories if c.id == front.category)
        structured: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "Product",
            "name": front.title,
            "description": description,
            "category": category.name,
            "url": self.base_url + path,
            "offers": [
                {
                    "@type": "Offer",
                    "sku": sku.id,
                    "name": sku.name,
                    "price": amount_text(self.book.skus[sku.id].price),
                    "priceCurrency": self.currency,
                    "url": self.base_url + path,
                }
                for sku in front.skus
            ],
        }
        if images:
            structured["image"] = images
        return self.render("product", path, {
            "title": front.title,
            "description": description,
            "image": images[0] if images else self.default_image,
            "og_type": "product",
        }, product=product, front=front, body=Markup(product.html), offers=offers,
            category={"id": category.id, "name": category.name, "url": f"/c/{category.id}/"},
            json_ld=json_for_script(structured))

    def page(self, slug: str, document: Document) -> bytes:
        return self.render("page", f"/{slug}/", {
            "title": document.title,
            "description": excerpt(document.html) or document.title,
        }, body=Markup(document.html))

    def order(self) -> bytes:
        return self.render("order", "/order/", {"title": self.strings["order_title"], "noindex": True})

    def account(self) -> bytes:
        return self.render("account", "/account/", {"title": self.strings["account_title"], "noindex": True})

    def not_found(self) -> bytes:
        return self.render("404", None, {"title": self.strings["not_found_title"], "noindex": True})

    def sitemap_paths(self) -> list[str]:
        return ["/", *(f"/c/{c.id}/" for c, _ in self.categories), *(f"/p/{p.id}/" for p in self.products),
                *(f"/{slug}/" for slug in self.pages)]

    def sitemap(self) -> bytes:
        return self.theme.render("sitemap.xml", {"urls": sorted(self.base_url + path for path in self.sitemap_paths())})

    def robots(self) -> bytes:
        return self.theme.render("robots.txt", {"sitemap": self.base_url + "/sitemap.xml"})


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _image_key(image: ImageFile | None) -> tuple[str, str] | None:
    return None if image is None else (image.name, image.output)
