"""Each station's price book: the prices its pages show and checkout charges."""
from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter

from kameng.domain.commissions import commission_exceeds_margin
from kameng.domain.coupons import CouponRule
from kameng.domain.money import apply_markup
from kameng.domain.price_book import PriceBook, PricedSku
from kameng.domain.pricing import FlashSale, scaled_tier_price
from kameng.domain.real_name import RealNameRule
from kameng.domain.supply import SupplierSource
from kameng.sitegen.catalog import Catalog, Product, Station
from kameng.sitegen.content import SkuSpec, SubstationSpec
from kameng.sitegen.content_types import amount_text
from kameng.sitegen.problems import Problems

# Per product: each SKU, its position in the file and its line's fields but the prices.
_Skus = dict[str, list[tuple[int, SkuSpec, dict[str, Any]]]]
# A station's lines are validated in one call: a big catalogue has tens of thousands.
_LINES = TypeAdapter(dict[str, PricedSku])


def each_price_book(catalog: Catalog, problems: Problems) -> Iterator[PriceBook]:
    """Main first, then substations by id, one at a time: a thousand stations' books take 111 MiB at once.
    Prices below wholesale go to `problems`."""
    # What every station's book says of a SKU but its prices: made once per language, not once per station.
    # The names are in the station's language: checkout, the order page and the mails take them from here.
    skus: dict[str, _Skus] = {}
    for language in dict.fromkeys(station.config.language for station in catalog.stations):
        skus[language] = {
            product.id: [(index, sku, _line(product, sku)) for index, sku in enumerate(product.front.skus)]
            for product in catalog.in_language(language).products.values()
        }
    for station in catalog.stations:
        yield _price_book(station, catalog, skus[station.config.language], problems)


def _price_book(station: Station, catalog: Catalog, skus: _Skus, problems: Problems) -> PriceBook:
    config = station.config
    lines = _lines(station, catalog, skus, problems)
    flash_sales = _flash_sales(station, lines, problems)
    _check_referrals(station, lines, flash_sales, problems)
    coupons = _coupons(station, problems)
    payouts = config.payouts if isinstance(config, SubstationSpec) else None
    return PriceBook(
        station=station.id,
        domain=config.domain,
        name=config.name,
        language=config.language,
        currency=catalog.currency,
        skus=dict(sorted(lines.items())),
        payout_account=None if payouts is None else payouts.stripe_account,
        platform_fee_percent=Decimal(0) if payouts is None else payouts.platform_fee_percent,
        levels=tuple(level.to_domain() for level in config.levels),
        flash_sales=tuple(flash_sales),
        referrals=None if config.referrals is None else config.referrals.to_domain(),
        points=None if config.points is None else config.points.to_domain(),
        coupons=tuple(coupons),
        unpaid_holds=config.unpaid_holds.to_domain(),
        time_zone=config.time_zone,
        suppliers=_suppliers(catalog) if station.is_main else {},
        rails=tuple(config.payments.rails),
        bank=None if config.payments.bank is None else config.payments.bank.to_domain(),
        receivers={} if payouts is None else {rail: account for rail, account in (
            ("alipay", payouts.alipay_account), ("wechat", payouts.wechat_merchant)) if account},
        mail_keys=config.mail_keys,
        real_name=_real_name(station, catalog, problems),
        risk=None if station.config.risk is None else station.config.risk.to_domain(),
    )


def _real_name(station: Station, catalog: Catalog, problems: Problems) -> RealNameRule | None:
    spec = station.config.real_name
    if spec is None:
        return None
    for index, product in enumerate(spec.products):
        if product not in catalog.products:
            problems.add(station.source, f"real_name.products[{index}]", "expected the id of a product", product)
    return spec.to_domain()


def _suppliers(catalog: Catalog) -> dict[str, SupplierSource]:
    return {
        name: SupplierSource(name=name, kind=spec.kind, title=spec.title or name,
                             timeout_seconds=getattr(spec, "timeout_seconds", 10.0),
                             settings=spec.model_dump(mode="json", exclude={"kind", "title", "timeout_seconds"}))
        for name, spec in sorted(catalog.suppliers.items())
    }


def _lines(station: Station, catalog: Catalog, skus: _Skus, problems: Problems) -> dict[str, PricedSku]:
    """This station's line for each SKU it sells; a price below wholesale names the line that set it."""
    config = station.config
    substation = isinstance(config, SubstationSpec)
    fixed = config.pricing.fixed if isinstance(config, SubstationSpec) else {}
    markups: dict[int, int] = {}  # one station, one markup: many SKUs share a wholesale price
    lines: dict[str, dict[str, Any]] = {}
    for product_id in station.sells:
        # A substation's own goods sell at their retail: no markup, no fixed price.
        resold = substation and catalog.products[product_id].owner is None
        for index, sku, line in skus[product_id]:
            if not resold:
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
            tiers = tuple(
                tier.to_domain(scaled_tier_price(price, sku.retail, tier.price, sku.wholesale) if resold else None)
                for tier in sku.tiers
            ) if sku.tiers else ()
            lines[sku.id] = {**line, "price": price, "tiers": tiers}
    return _LINES.validate_python(lines)


def _line(product: Product, sku: SkuSpec) -> dict[str, Any]:
    """A PricedSku's fields but its price and tiers."""
    return {
        "sku": sku.id,
        "product": product.id,
        "title": f"{product.front.title} {sku.name}",
        "wholesale": sku.wholesale,
        "min_quantity": sku.min_per_order,
        "max_quantity": sku.max_per_order,
        "low_stock": sku.low_stock,
        "max_per_shopper_per_day": sku.max_per_shopper_per_day,
        "kind": product.front.fulfilment,
        "fields": tuple(field.model_dump() for field in product.front.fields),
        "supply": tuple(offer.model_dump() for offer in sku.supply),
        "delivery_hours": product.front.delivery_hours,
        "loop_limit": product.front.loop_limit,
        "owner": product.owner,
    }


def _flash_sales(station: Station, lines: dict[str, PricedSku], problems: Problems) -> list[FlashSale]:
    sales = []
    for index, sale in enumerate(station.config.flash_sales):
        line = lines.get(sale.sku)
        if line is None:
            problems.add(station.source, f"flash_sales[{index}].sku", "expected the id of a SKU this station sells",
                         sale.sku)
            continue
        if sale.price < line.wholesale:
            problems.add(
                station.source, f"flash_sales[{index}].price",
                f"must be ≥ the wholesale price {amount_text(line.wholesale)} (got {amount_text(sale.price)})",
            )
            continue
        sales.append(sale.to_domain())
    return sales


def _check_referrals(
    station: Station, lines: dict[str, PricedSku], flash_sales: list[FlashSale], problems: Problems
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
    lowest = {sku: min([line.price, *(tier.price for tier in line.tiers)]) for sku, line in lines.items()}
    for sale in flash_sales:
        lowest[sale.sku] = min(lowest[sale.sku], sale.price)
    for sku, price in sorted(lowest.items()):
        wholesale = lines[sku].wholesale
        if commission_exceeds_margin("price", levels, price, wholesale):
            problems.add(
                station.source, "referrals.levels_percent",
                f"expected commissions within the margin: {total} % of {sku}'s price {amount_text(price)}"
                f" is more than its margin {amount_text(price - wholesale)}", got,
            )
            return


def _coupons(station: Station, problems: Problems) -> list[CouponRule]:
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
        coupons.append(coupon.to_domain())
    return coupons


def _source_of(station: Station, product: Product, sku: SkuSpec, index: int) -> tuple[str, str]:
    """The file and field that set a price, so a bad price names its line."""
    config = station.config
    if not isinstance(config, SubstationSpec) or product.owner is not None:
        return product.source, f"skus[{index}].retail"
    if sku.id in config.pricing.fixed:
        return station.source, f"pricing.fixed.{sku.id}"
    return station.source, "pricing.markup_percent"
