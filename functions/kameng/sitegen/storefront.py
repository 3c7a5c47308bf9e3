"""What a station puts forward besides its category listings: best sellers, a search index, and on the main
station a directory of the substations that asked to be listed."""
from __future__ import annotations

import json
from typing import NamedTuple

from kameng.sitegen.catalog import Catalog, ImageFile, Product
from kameng.sitegen.content import SubstationSpec

BEST_SELLERS = 8
# A product page lists this many substations at most: the page stays within its size budget.
ELSEWHERE_LINKS = 12


class StationLink(NamedTuple):
    """A listed substation as the main station shows it: in its directory and on the products it sells."""

    id: str
    name: str
    url: str
    blurb: str
    logo: ImageFile | None
    """The substation's logo, copied into the main station's site: the CSP allows images from the page's own host."""


class SearchEntry(NamedTuple):
    title: str
    summary: str
    category: str
    url: str
    price: str
    tags: tuple[str, ...]


def best_sellers(products: list[Product]) -> list[int]:
    """Indexes of the products marked `best_seller`, else of the first products (the list is in `sort` order)."""
    marked = [index for index, product in enumerate(products) if product.front.best_seller]
    return (marked or list(range(len(products))))[:BEST_SELLERS]


def listed_substations(catalog: Catalog) -> list[tuple[StationLink, frozenset[str]]]:
    """Each substation whose station.yaml says `directory: {listed: true}`, with the product ids it sells."""
    listed = []
    for station in catalog.substations:
        config = station.config
        assert isinstance(config, SubstationSpec)
        if config.directory.listed:
            link = StationLink(station.id, config.name, f"https://{config.domain}/",
                               config.directory.blurb or config.tagline or "", station.logo)
            listed.append((link, frozenset(station.sells)))
    return listed


def sold_elsewhere(product_id: str, listed: list[tuple[StationLink, frozenset[str]]]) -> tuple[StationLink, ...]:
    return tuple(link for link, sells in listed if product_id in sells)[:ELSEWHERE_LINKS]


def search_index(entries: list[SearchEntry]) -> bytes:
    """The station's /search.json, which search.js fetches and filters in the browser."""
    rows = [entry._asdict() for entry in entries]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
