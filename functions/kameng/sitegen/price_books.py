"""Each station's price book: the prices its pages show and checkout charges."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from kameng.domain.commissions import commission_exceeds_margin
from kameng.domain.money import apply_markup
from kameng.domain.price_book import PriceBook
from kameng.domain.pricing import scaled_tier_price
from kameng.sitegen.catalog import Catalog, Product, Station
from kameng.sitegen.content import SkuSpec, SubstationSpec, amount_text
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
    shared: dict[str, list[tuple[int, SkuSpec, dict[str, Any]]]],
    problems: Problems,
) -> PriceBook:
    config = station.config
    substation = isinstance(config, SubstationSpec)
    fixed = config.pricing.fixed if isinstance(config, SubstationSpec) else {}
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
                    assert isinstance(config, SubstationSpec)
                    markups[sku.wholesale] = apply_markup(sku.wholesale, config.pricing.markup_percent)
                price = markups[sku.wholesale]
            if price < sku.wholesale:
                source, field = _source_of(station, catalog.products[product_id], sku, index)
                problems.add(
                    source, field,
                    f"must be ≥ the wholesale price {amount_text(sku.wholesale)} (got {amount_text(price)})",
                )
            lines[sku.id] = {**line, "price": price}
            if sku.tiers:
                lines[sku.id]["tiers"] = [
                    {"min_quantity": tier.min,
                     "price": tier.price if not substation else scaled_tier_price(price, sku.retail, tier.price, sku.wholesale)}
                    for tier in sku.tiers
                ]
    flash_sales = _flash_sales(station, lines, problems)
    _check_referrals(station, lines, flash_sales, problems)
    # Validated in one call: tens of thousands of lines in a big catalogue.
    return PriceBook.model_validate({
        "station": station.id,
        "domain": config.domain,
        "language": config.language,
        "currency": catalog.currency,
        "skus": dict(sorted(lines.items())),
        **_commerce(config, flash_sales),
        **_coupons(station, problems),
        **({"payout_account": config.payouts.stripe_account,
            "platform_fee_percent": config.payouts.platform_fee_percent}
           if substation and config.payouts else {}),
    })


def _flash_sales(station: Station, lines: dict[str, dict[str, Any]], problems: Problems) -> list[dict[str, Any]]:
    sales = []
    for index, sale in enumerate(station.config.flash_sales):
        line = lines.get(sale.sku)
        if line is None:
            problems.add(station.source, f"flash_sales[{index}].sku", "expected the id of a SKU this station sells",
                         sale.sku)
            continue
        if sale.price < line["wholesale"]:
            problems.add(
                station.source, f"flash_sales[{index}].price",
                f"must be ≥ the wholesale price {amount_text(line['wholesale'])} (got {amount_text(sale.price)})",
            )
            continue
        sales.append({"sku": sale.sku, "price": sale.price, "starts": sale.starts, "ends": sale.ends,
                      "quantity": sale.quantity, "per_shopper": sale.per_shopper})
    return sales


def _check_referrals(
    station: Station, lines: dict[str, dict[str, Any]], flash_sales: list[dict[str, Any]], problems: Problems
) -> None:
    """Commissions at list prices must fit in the margin (discounts are capped again in domain code)."""
    referrals = station.config.referrals
    if referrals is None or not referrals.levels_percent:
        return
    levels = referrals.levels_percent
    total = sum(levels, Decimal(0))
    got = " + ".join(str(percent) for percent in levels) + f" = {total}"
    if referrals.basis == "margin":
        if total > 100:
            problems.add(station.source, "referrals.levels_percent",
                         "expected percentages of the margin adding up to at most 100", got)
        return
    lowest = {sku: min([line["price"], *(tier["price"] for tier in line.get("tiers", ()))])
              for sku, line in lines.items()}
    for sale in flash_sales:
        lowest[sale["sku"]] = min(lowest[sale["sku"]], sale["price"])
    for sku, price in sorted(lowest.items()):
        wholesale = lines[sku]["wholesale"]
        if commission_exceeds_margin("price", levels, price, wholesale):
            problems.add(
                station.source, "referrals.levels_percent",
                f"expected commissions within the margin: {total} % of {sku}'s price {amount_text(price)}"
                f" is more than its margin {amount_text(price - wholesale)}", got,
            )
            return


def _commerce(config: Any, flash_sales: list[dict[str, Any]]) -> dict[str, Any]:
    """The station's levels, flash sales, referral and points rules, in the price book's words."""
    book: dict[str, Any] = {}
    if config.levels:
        book["levels"] = [level.model_dump() for level in config.levels]
    if flash_sales:
        book["flash_sales"] = flash_sales
    if config.referrals is not None:
        book["referrals"] = config.referrals.model_dump()
    if config.points is not None:
        points = config.points
        book["points"] = {"per_yuan": points.per_yuan,
                          **({"redeem_points": points.redeem.points, "redeem_coupon": points.redeem.coupon}
                             if points.redeem else {})}
    return book


def _coupons(station: Station, problems: Problems) -> dict[str, Any]:
    """The station's coupon codes: each unique, each scoped to products the station sells."""
    coupons, seen = [], set()
    for index, coupon in enumerate(station.config.coupons):
        if coupon.code in seen:
            problems.add(station.source, f"coupons[{index}].code", "expected a code used by one coupon only", coupon.code)
            continue
        seen.add(coupon.code)
        unknown = sorted(set(coupon.products or ()) - set(station.sells))
        if unknown:
            problems.add(station.source, f"coupons[{index}].products",
                         "expected all or ids of products this station sells", ", ".join(unknown))
            continue
        coupons.append({
            "code": coupon.code, "kind": "fixed" if coupon.amount is not None else "percent",
            **({"amount": coupon.amount} if coupon.amount is not None else {"percent": coupon.percent}),
            "min_spend": coupon.min_spend, "starts": coupon.starts, "ends": coupon.ends,
            "products": None if coupon.products is None else tuple(coupon.products),
            "max_uses": coupon.max_uses, "per_shopper": coupon.per_shopper,
        })
    return {"coupons": coupons} if coupons else {}


def _source_of(station: Station, product: Product, sku: SkuSpec, index: int) -> tuple[str, str]:
    """The file and field that set a price, so a bad price names its line."""
    config = station.config
    if not isinstance(config, SubstationSpec):
        return product.source, f"skus[{index}].retail"
    if sku.id in config.pricing.fixed:
        return station.source, f"pricing.fixed.{sku.id}"
    return station.source, "pricing.markup_percent"


def _line(product: Product, sku: SkuSpec) -> dict[str, Any]:
    """A PricedSku's fields but its price."""
    return {
        "sku": sku.id,
        "product": product.id,
        "title": f"{product.front.title} {sku.name}",
        "wholesale": sku.wholesale,
        "min_quantity": sku.min_per_order,
        "max_quantity": sku.max_per_order,
        "low_stock": sku.low_stock,
        **({"max_per_shopper_per_day": sku.max_per_shopper_per_day} if sku.max_per_shopper_per_day else {}),
    }
