"""What the suppliers last said of a SKU: each offer's cost and stock, and whether a station may still sell it.

A SKU bought from suppliers is never sold below what it costs upstream: once its cheapest offer costs more
than the lowest price a station may charge for it (the price, a quantity tier, a flash sale not yet over),
it stops selling at that station, and sells again when the cost falls back. Stock is separate: a supplier
with none left is skipped, and the storefront counts what the suppliers report beside the shop's own keys.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from kameng.domain.fulfilment import SupplyOffer
from kameng.domain.price_book import PricedSku
from kameng.domain.pricing import FlashSale
from kameng.domain.supply import SupplierOffer


@dataclass(frozen=True)
class OfferFigures:
    """One supplier's figures for one of a SKU's offers, as its catalogue last gave them."""

    supplier: str
    product: str
    # Minor units; None: the product is not in the supplier's catalogue (or not in the shop's currency).
    cost: int | None
    # None: unlimited (a top-up).
    stock: int | None
    # When the supplier last answered; None: never yet (the content's cost stands in).
    checked_at: datetime | None = None

    @property
    def listed(self) -> bool:
        return self.cost is not None

    @property
    def in_stock(self) -> bool:
        return self.listed and (self.stock is None or self.stock > 0)

    def covers(self, quantity: int, most_per_unit: int) -> bool:
        """Worth asking for an order: listed, with stock for it, at a cost the buyer's price covers."""
        return (self.cost is not None and self.cost <= most_per_unit
                and (self.stock is None or self.stock >= quantity))


@dataclass(frozen=True)
class SkuSync:
    """A SKU's synced figures, one per offer in the order content lists them."""

    sku: str
    offers: tuple[OfferFigures, ...]
    # The stations where the SKU stopped selling when it was synced, sorted (kept for the report).
    halted: tuple[str, ...]
    synced_at: datetime

    @property
    def cheapest(self) -> int | None:
        """The lowest cost among the offers still listed; None when no supplier lists it."""
        costs = [offer.cost for offer in self.offers if offer.cost is not None]
        return min(costs) if costs else None

    @property
    def supplier_stock(self) -> int | None:
        """What the suppliers can deliver in all: None when one of them never runs out."""
        listed = [offer for offer in self.offers if offer.listed]
        if any(offer.stock is None for offer in listed):
            return None
        return sum(offer.stock or 0 for offer in listed)

    def offer(self, supplier: str) -> OfferFigures | None:
        return next((offer for offer in self.offers if offer.supplier == supplier), None)


def lowest_price(line: PricedSku, flash_sales: Iterable[FlashSale], now: datetime | None) -> int:
    """The least a station may charge a unit of this SKU: its price, its tiers, its flash sales not yet over
    (every one listed when `now` is None)."""
    sales = [sale.price for sale in flash_sales if sale.sku == line.sku and (now is None or sale.ends > now)]
    return min([line.price, *(tier.price for tier in line.tiers), *sales])


def halts(cheapest: int | None, lowest: int) -> bool:
    """Whether a SKU stops selling: no supplier lists it, or the cheapest costs more than the lowest price."""
    return cheapest is None or cheapest > lowest


def halted_at(record: SkuSync | None, line: PricedSku, flash_sales: Sequence[FlashSale], now: datetime | None) -> bool:
    """Halted at the station whose line this is; a SKU never synced sells at its content cost (checked at build)."""
    if record is None or not line.supply:
        return False
    return halts(record.cheapest, lowest_price(line, flash_sales, now))


def figures(offers: Sequence[SupplyOffer], catalogues: Mapping[str, Sequence[SupplierOffer] | None], currency: str,
            previous: SkuSync | None, now: datetime) -> tuple[OfferFigures, ...]:
    """Each offer's figures from its supplier's catalogue; a supplier that did not answer (None) keeps what it
    last said, or the content's cost when it never said anything."""
    found = []
    for offer in offers:
        catalogue = catalogues.get(offer.supplier)
        if catalogue is None:
            kept = previous.offer(offer.supplier) if previous is not None else None
            if kept is not None and kept.product == offer.product:
                found.append(kept)
            else:
                found.append(OfferFigures(offer.supplier, offer.product, offer.cost, None))
            continue
        match = next((item for item in catalogue if item.product_code == offer.product and item.currency == currency),
                     None)
        found.append(OfferFigures(offer.supplier, offer.product, None if match is None else match.unit_cost,
                                  None if match is None else match.stock, now))
    return tuple(found)
