"""Each station's price book: the prices its pages show and checkout charges."""
from __future__ import annotations

from typing import Any

from kameng.domain.money import apply_markup
from kameng.domain.price_book import PriceBook
from kameng.sitegen.catalog import Catalog, Product, Station
from kameng.sitegen.content import Sku, Substation, amount_text
from kameng.sitegen.problems import Problems


def build_price_books(catalog: Catalog, problems: Problems) -> list[PriceBook]:
    """Main first, then substations by id. Prices below wholesale go to `problems`."""
    # What a SKU's line is in every station's book, the price aside: made once, not once per station.
    shared = {
        product.id: [(index, sku, _line(product, sku)) for index, sku in enumerate(product.front.skus)]
        for product in catalog.products.values()
    }
    return [_price_book(station, catalog, shared, problems) for station in catalog.stations]


def _price_book(
    station: Station,
    catalog: Catalog,
    shared: dict[str, list[tuple[int, Sku, dict[str, Any]]]],
    problems: Problems,
) -> PriceBook:
    config = station.config
    substation = isinstance(config, Substation)
    fixed = config.pricing.fixed if isinstance(config, Substation) else {}
    markups: dict[int, int] = {}  # one station, one markup: many SKUs share a wholesale price
    lines: dict[str, dict[str, Any]] = {}
    for product_id in station.sells:
        for index, sku, line in shared[product_id]:
            if not substation:
                price = sku.retail
            elif sku.id in fixed:
                price = fixed[sku.id]
            else:
                if sku.wholesale not in markups:
                    assert isinstance(config, Substation)
                    markups[sku.wholesale] = apply_markup(sku.wholesale, config.pricing.markup_percent)
                price = markups[sku.wholesale]
            if price < sku.wholesale:
                source, field = _source_of(station, catalog.products[product_id], sku, index)
                problems.add(
                    source, field,
                    f"must be ≥ the wholesale price {amount_text(sku.wholesale)} (got {amount_text(price)})",
                )
            lines[sku.id] = {**line, "price": price}
    # Validated in one call: tens of thousands of lines in a big catalogue.
    return PriceBook.model_validate({
        "station": station.id,
        "domain": config.domain,
        "language": config.language,
        "currency": catalog.currency,
        "skus": dict(sorted(lines.items())),
        **({"payout_account": config.payouts.stripe_account,
            "platform_fee_percent": config.payouts.platform_fee_percent}
           if substation and config.payouts else {}),
    })


def _source_of(station: Station, product: Product, sku: Sku, index: int) -> tuple[str, str]:
    """The file and field that set a price, so a bad price names its line."""
    config = station.config
    if not isinstance(config, Substation):
        return product.source, f"skus[{index}].retail"
    if sku.id in config.pricing.fixed:
        return station.source, f"pricing.fixed.{sku.id}"
    return station.source, "pricing.markup_percent"


def _line(product: Product, sku: Sku) -> dict[str, Any]:
    """A PricedSku's fields but its price."""
    return {
        "sku": sku.id,
        "product": product.id,
        "title": f"{product.front.title} {sku.name}",
        "wholesale": sku.wholesale,
        "min_quantity": sku.min_per_order,
        "max_quantity": sku.max_per_order,
        "low_stock": sku.low_stock,
    }
