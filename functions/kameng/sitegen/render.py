"""Plan every file of a station's site and render it with the station's theme.

Planning is separate from rendering so that two pages claiming one path are
found before anything is written, and so that each output carries a
fingerprint: a page whose fingerprint the previous build recorded is not
rendered again.

A page's template receives the station's shared context (the shop, its
strings, its asset URLs, and the header and footer they make) and the page's
own values, which a function of pages.py makes from its arguments alone. Its
fingerprint is the digest of exactly those: the theme, the template, the
shared context, the function and its arguments (context_digest.py walks every
field of every object in them). Nothing is listed beside the render: whatever
a page shows came in through what is digested.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from collections.abc import Callable
from functools import partial
from types import SimpleNamespace
from typing import Any, NamedTuple

from markupsafe import Markup

from kameng.domain.money import CURRENCY_SYMBOLS, format_minor
from kameng.domain.price_book import PriceBook
from kameng.domain.pricing import FlashSale
from kameng.sitegen import pages
from kameng.sitegen.catalog import Catalog, Document, ImageFile, Product, Station, fingerprint, hashed_name
from kameng.sitegen.colours import readable_text_on, text_variant
from kameng.sitegen.content import CategorySpec, MainStationSpec
from kameng.sitegen.context_digest import ContextDigest
from kameng.sitegen.pages import AssetUrls, Card, Context, Section, SkuPrices, StationView
from kameng.sitegen.storefront import SearchEntry, best_sellers, listed_substations, search_index, sold_elsewhere
from kameng.sitegen.synced_content import unavailable_skus
from kameng.sitegen.theme import Theme

DEFAULT_COLOURS = {"primary": "#c81e1e", "accent": "#f59e0b"}
# Shown by many pages (a product on every station, a logo on every page): digested once per build.
SHARED_IN_CONTEXTS = (Product, Document, ImageFile, CategorySpec, StationView)

PageFunction = Callable[..., Context]


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


def context_digest() -> ContextDigest:
    """One per build, for every station's plan: a product's digest is made once, not once per station."""
    return ContextDigest(shared=SHARED_IN_CONTEXTS)


def plan_station(
    station: Station, catalog: Catalog, book: PriceBook, theme: Theme, digest: ContextDigest | None = None
) -> list[Output]:
    return _StationPlan(station, catalog, book, theme, digest or context_digest()).outputs()


class _StationPlan:
    def __init__(
        self, station: Station, catalog: Catalog, book: PriceBook, theme: Theme, digest: ContextDigest
    ) -> None:
        self.station = station
        self.theme = theme
        self.digest = digest
        config = station.config
        base_url = f"https://{config.domain}"
        self.products = sorted(
            (catalog.products[product_id] for product_id in station.sells),
            key=lambda p: (p.front.sort is None, p.front.sort or 0, p.front.title, p.id),
        )
        flash_sales: dict[str, tuple[FlashSale, ...]] = {}
        for sale in book.flash_sales:
            flash_sales[sale.sku] = (*flash_sales.get(sale.sku, ()), sale)
        prices: dict[str, SkuPrices] = {
            sku: (line.price, line.tiers, flash_sales.get(sku, ())) for sku, line in book.skus.items()
        }
        self.prices = [tuple(map(prices.__getitem__, product.sku_ids)) for product in self.products]
        # A direct top-up whose synced supplier cost is above what this station may charge is shown not available.
        unavailable = unavailable_skus(book, catalog.synced, datetime.now(timezone.utc)) if catalog.synced else frozenset()
        self.available = [tuple(sku not in unavailable for sku in product.sku_ids) for product in self.products]
        self.categories = _listed_categories(catalog, self.products)
        self.category_of = {category.id: category for category, _ in self.categories}
        # The main station sends shoppers on to the substations that asked to be listed.
        self.listed = listed_substations(catalog) if station.is_main else []
        # A substation shows main's about/faq/terms unless it writes its own.
        inherited = {} if station.is_main else catalog.main.pages
        self.pages = dict(sorted({**inherited, **station.pages}.items()))
        self.assets = self.collect_assets()
        logo = station.logo
        self.view = StationView(config.name, base_url, catalog.currency, config.tagline,
                                base_url + logo.url if logo else None, theme.strings[config.language], config.time_zone)
        self._cards: dict[int, Card] = {}
        shop = self.shop_context()
        self.menu_urls = {item["url"] for item in shop["categories"] + shop["pages"]}
        # What every HTML page's template receives besides its own values: digested once.
        self.common = {
            # Attribute access only: on a dict, `t.copy` in a template is dict.copy.
            "shop": shop, "t": SimpleNamespace(**self.view.strings),
            "asset": AssetUrls({name: "/" + self.assets[name][0] for name in sorted(theme.static)}),
        }
        self.key = digest(theme.fingerprint, self.common, self.view)
        self._chrome: dict[str | None, dict[str, Markup]] = {}

    # --- what this station shows ------------------------------------------------

    def shop_context(self) -> dict[str, Any]:
        config, currency = self.station.config, self.view.currency
        return {
            "id": self.station.id,
            "name": config.name,
            "language": config.language,
            "time_zone": config.time_zone,
            "base_url": self.view.base_url,
            "logo": self.station.logo,
            "tagline": config.tagline,
            "announcement": config.announcement,
            "support_email": config.support_email,
            "currency": currency,
            "symbol": CURRENCY_SYMBOLS.get(currency, currency + " "),
            # The product page invites a guest to sign in for the member price only where there is one.
            "levels": any(level.discount_percent > 0 for level in config.levels),
            # A visitor who came through a referral link is told that signing in brings this coupon.
            "welcome_coupon": format_minor(config.referrals.welcome_coupon, currency)
            if config.referrals and config.referrals.welcome_coupon else None,
            "categories": [{"id": c.id, "name": c.name, "url": f"/c/{c.id}/"} for c, _ in self.categories],
            # The rails the buy form offers, in the station's order (the first is chosen).
            "rails": list(config.payments.rails),
            # The buy form promises the keys by mail only where the delivery mail carries them.
            "mail_keys": config.mail_keys,
            "pages": [{"slug": slug, "title": page.title, "url": f"/{slug}/"} for slug, page in self.pages.items()],
            "stations_url": "/stations/" if self.listed else None,
        }

    def cards(self, indexes: list[int]) -> tuple[Card, ...]:
        return tuple(self.card(index) for index in indexes)

    def card(self, index: int) -> Card:
        if index not in self._cards:
            product = self.products[index]
            self._cards[index] = Card(
                title=product.front.title,
                summary=product.front.summary or "",
                url=f"/p/{product.id}/",
                image=product.gallery[0] if product.gallery else None,
                price=min(price for price, _, _ in self.prices[index]),
                currency=self.view.currency,
                from_text=self.view.strings["from_price"],
            )
        return self._cards[index]

    def collect_assets(self) -> dict[str, tuple[str, Callable[[], bytes], str]]:
        """Logical name → (hashed path in the station folder, bytes, their SHA-256)."""
        assets: dict[str, tuple[str, Callable[[], bytes], str]] = {}
        colours = {**DEFAULT_COLOURS, **self.station.config.colors.model_dump(exclude_none=True)}
        for name, data in self.theme.static.items():
            if name == "style.css":
                # Station colours live in the stylesheet: the CSP forbids style attributes.
                colours |= {f"on-{key}": readable_text_on(value) for key, value in list(colours.items())}
                # Text in the brand colour (links, prices) gets a darker shade of it when the owner's is too light.
                colours |= {f"{key}-text": text_variant(colours[key]) for key in DEFAULT_COLOURS}
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
        for link, _ in self.listed:
            if link.logo is not None:
                images[link.logo.output] = link.logo
        for output, image in sorted(images.items()):
            assets[output] = (output, image.path.read_bytes, image.sha256)
        return assets

    # --- outputs ----------------------------------------------------------------

    def outputs(self) -> list[Output]:
        # The theme's own files come first, so a content page that collides
        # with one is the one reported: the owner can rename it.
        outputs = [
            # A file's bytes are its fingerprint, whatever page links to it.
            Output(f"{self.station.id}/{path}", f"the file {name}", render, path, fingerprint("file", path, sha256))
            for name, (path, render, sha256) in self.assets.items()
        ]
        landing = self.station.landing
        base_url = self.view.base_url
        outputs += [
            self.page("order", "/order/", "the order page", pages.fixed_page, "order_title"),
            self.page("account", "/account/", "the account page", pages.fixed_page, "account_title"),
            self.page("404", None, "the 404 page", pages.fixed_page, "not_found_title"),
            self.text_file("sitemap.xml", "the sitemap",
                           {"urls": sorted(base_url + path for path in self.sitemap_paths())}),
            self.text_file("robots.txt", "robots.txt", {"sitemap": base_url + "/sitemap.xml"}),
            self.page("landing", "/", landing.source if landing else "the landing page", pages.landing_page, landing,
                      self.sections(), {category.id: len(indexes) for category, indexes in self.categories},
                      self.cards(best_sellers(self.products))),
            self.page("search", "/search/", "the search page", pages.search_page,
                      self.cards(list(range(len(self.products))))),
            self.search_index(),
        ]
        if self.listed:
            outputs.append(self.page("stations", "/stations/", "the stations directory", pages.stations_page,
                                     tuple(link for link, _ in self.listed)))
        outputs += [
            self.page("category", f"/c/{category.id}/", f"category {category.id}", pages.category_page, category,
                      self.cards(indexes))
            for category, indexes in self.categories
        ]
        outputs += [self.product(index) for index in range(len(self.products))]
        outputs += [
            self.page("page", f"/{slug}/", document.source, pages.document_page, document)
            for slug, document in self.pages.items()
        ]
        return outputs

    def sections(self) -> tuple[Section, ...]:
        return tuple(
            Section(category.id, category.name, f"/c/{category.id}/",
                    self.cards(indexes[: pages.LANDING_PRODUCTS_PER_CATEGORY]))
            for category, indexes in self.categories
        )

    def product(self, index: int) -> Output:
        product = self.products[index]
        return self.page("product", f"/p/{product.id}/", product.source, pages.product_page, product,
                         self.category_of[product.front.category], self.prices[index], self.available[index],
                         sold_elsewhere(product.id, self.listed))

    def search_index(self) -> Output:
        entries = [
            SearchEntry(card.title, card.summary, self.category_of[product.front.category].name, card.url,
                        card.from_price, tuple(product.front.tags))
            for product, card in zip(self.products, self.cards(list(range(len(self.products)))))
        ]
        return Output(f"{self.station.id}/search.json", "the search index", partial(search_index, entries),
                      fingerprint=self.digest("search.json", entries))

    def page(self, template: str, path: str | None, source: str, make: PageFunction, *arguments: Any) -> Output:
        """An HTML page: `make(path, station view, *arguments)` gives its own values."""
        if make.__module__ != pages.__name__:
            # A page's fingerprint is its arguments: only pages.py's functions read nothing else
            # (tests/build/test_fingerprints.py checks their bytecode).
            raise TypeError(f"{make.__qualname__} is not a page function of {pages.__name__}")
        key = self.digest(self.key, template, make.__qualname__, path, *arguments)
        output = f"{self.station.id}{path}index.html" if path is not None else f"{self.station.id}/{template}.html"
        render = partial(self.render, template, make, path, arguments)
        return Output(output, source, render, fingerprint=key)

    def render(self, template: str, make: PageFunction, path: str | None, arguments: tuple[Any, ...]) -> bytes:
        current = path if path in self.menu_urls else None
        context = {**self.common, "chrome": self.chrome(current), **make(path, self.view, *arguments)}
        return self.theme.render(template, context)

    def text_file(self, template: str, source: str, context: Context) -> Output:
        key = self.digest(self.theme.fingerprint, template, context)
        return Output(f"{self.station.id}/{template}", source, partial(self.theme.render, template, context),
                      fingerprint=key)

    def chrome(self, current: str | None) -> dict[str, Markup]:
        """Header and footer, the same on every page but the few their menus mark as current.

        Made from the shared context and the current path alone, both in every page's fingerprint.
        """
        if current not in self._chrome:
            context = {"shop": self.common["shop"], "t": self.common["t"], "path": current}
            self._chrome[current] = {
                "header": self.theme.fragment("_header", context),
                "footer": self.theme.fragment("_footer", context),
            }
        return self._chrome[current]

    def sitemap_paths(self) -> list[str]:
        return ["/", *(f"/c/{c.id}/" for c, _ in self.categories), *(f"/p/{p.id}/" for p in self.products),
                *(f"/{slug}/" for slug in self.pages), *(["/stations/"] if self.listed else [])]


def _listed_categories(catalog: Catalog, products: list[Product]) -> list[tuple[CategorySpec, list[int]]]:
    """The categories a station has products in, each with its products' indexes: only these get a page."""
    main_config = catalog.main.config
    assert isinstance(main_config, MainStationSpec)
    listed: dict[str, list[int]] = {}
    for index, product in enumerate(products):
        listed.setdefault(product.front.category, []).append(index)
    return [(category, listed[category.id]) for category in main_config.categories if category.id in listed]
