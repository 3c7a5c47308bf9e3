"""Each station's price book: the prices its pages show and checkout charges."""
from __future__ import annotations

from kameng.domain.money import apply_markup
from kameng.domain.price_book import PriceBook, PricedSku
from kameng.sitegen.catalog import Catalog, Product, Station
from kameng.sitegen.content import Sku, Substation, amount_text
from kameng.sitegen.problems import Problems


def build_price_books(catalog: Catalog, problems: Problems) -> list[PriceBook]:
    """Main first, then substations by id. Prices below wholesale go to `problems`."""
    return [_price_book(station, catalog, problems) for station in catalog.stations]


def _price_book(station: Station, catalog: Catalog, problems: Problems) -> PriceBook:
    lines: dict[str, PricedSku] = {}
    for product_id in station.sells:
        product = catalog.products[product_id]
        for index, sku in enumerate(product.front.skus):
            price, field = _price(station, sku, index)
            if price < sku.wholesale:
                source = product.source if field.startswith("skus") else station.source
                problems.add(
                    source, field,
                    f"must be ≥ the wholesale price {amount_text(sku.wholesale)} (got {amount_text(price)})",
                )
            lines[sku.id] = _line(product, sku, price)
    return PriceBook(
        station=station.id,
        domain=station.config.domain,
        language=station.config.language,
        currency=catalog.currency,
        skus=dict(sorted(lines.items())),
    )


def _price(station: Station, sku: Sku, index: int) -> tuple[int, str]:
    """The price and the field that set it, so a bad price names its line."""
    config = station.config
    if not isinstance(config, Substation):
        return sku.retail, f"skus[{index}].retail"
    if sku.id in config.pricing.fixed:
        return config.pricing.fixed[sku.id], f"pricing.fixed.{sku.id}"
    return apply_markup(sku.wholesale, config.pricing.markup_percent), "pricing.markup_percent"


def _line(product: Product, sku: Sku, price: int) -> PricedSku:
    return PricedSku(
        sku=sku.id,
        product=product.id,
        title=f"{product.front.title} {sku.name}",
        price=price,
        wholesale=sku.wholesale,
        min_quantity=sku.min_per_order,
        max_quantity=sku.max_per_order,
        low_stock=sku.low_stock,
    )
