"""A key per station: the digest of everything its pages are planned from.

A rebuild plans (and so fingerprints every page of) only the stations whose
key changed since the build that wrote site/; the others keep the files the
manifest lists for them, untouched. With a thousand stations a one-product
edit then costs the stations that sell that product, not all of them.

The key holds what render.plan_station reads: the build code and the
templates (a theme change plans every station again), the station itself
(its config, logo, landing, pages and what it sells), its price book, the
catalogue in its language as far as it shows it (main's categories and
pages, each product it sells, the synced supplier costs) and, for the main
station, the substations listed in its directory with what they sell.
An input plan_station starts to read belongs here too: the code version is
in the key, so such a change plans every station once, and the test of the
station that is not planned again (tests/build/test_station_keys.py) says
whether the new input still reaches its pages.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kameng.sitegen.context_digest import ContextDigest
from kameng.sitegen.digest import code_version, folder_digest

if TYPE_CHECKING:
    from kameng.sitegen.catalog import Catalog


class StationKeys:
    """Station id → key, one station at a time, as each price book is made. `digest` is the build's own: what
    it digests here (every product a station sells) the planning of the changed stations finds digested."""

    def __init__(self, catalog: Catalog, templates_dir: Path, digest: ContextDigest) -> None:
        self._catalog = catalog
        self._digest = digest
        self._common = digest(code_version(), folder_digest(templates_dir), catalog.currency)
        self._synced = digest(sorted(catalog.synced.items()))
        self._by_id = {station.id: station for station in catalog.stations}
        self._main_configs: dict[str, str] = {}  # by language: stations in one language show one main station

    def key(self, station_id: str, book_json: str) -> str:
        """book_json: the station's PriceBook.model_dump_json()."""
        from kameng.sitegen.storefront import listed_substations

        station = self._by_id[station_id]
        language = station.config.language
        shown = self._catalog.in_language(language)
        if language not in self._main_configs:
            self._main_configs[language] = shown.main.config.model_dump_json()
        listed = listed_substations(shown) if station.is_main else []
        return self._digest(
            self._common, self._synced, station, book_json, self._main_configs[language], shown.main.pages,
            [shown.products[product_id] for product_id in station.sells], listed,
        )
