"""Where a station shows catalogue text in another language than its own: warned of, not refused.

A missing translation shows the original, which a shopper can still buy from; the owner is told which file,
field and language lack one, so the build goes on while they translate.
"""
from __future__ import annotations

import logging

from kameng.sitegen.catalog import Catalog, Product
from kameng.sitegen.content import MainStationSpec
from kameng.sitegen.translations import lacks, missing

log = logging.getLogger("kameng.sitegen")


# A catalogue new to a language lacks thousands of texts: the first files are named, the rest counted.
NAMED_FILES = 20
# A product a thousand substations sell would otherwise name them all on its line.
NAMED_STATIONS = 5


def warn_untranslated(catalog: Catalog) -> None:
    """Name each file whose text a station shows in another language than its own: one line per file and
    language with the fields it lacks, the first NAMED_FILES of them, then how many more."""
    lacking: dict[tuple[str, str], tuple[list[str], list[str]]] = {}

    def tell(source: str, field: str, language: str, station: str) -> None:
        fields, stations = lacking.setdefault((source, language), ([], []))
        if field not in fields:
            fields.append(field)
        if station not in stations:
            stations.append(station)

    _find_untranslated(catalog, tell)
    for (source, language), (fields, stations) in list(lacking.items())[:NAMED_FILES]:
        log.warning("%s: %s: no %s translation; %s the original", source, ", ".join(fields), language,
                    _some(stations))
    if len(lacking) > NAMED_FILES:
        log.warning("… and %d more files without a translation their stations show (%d texts in all)",
                    len(lacking) - NAMED_FILES, sum(len(fields) for fields, _ in lacking.values()))


def _some(stations: list[str]) -> str:
    if len(stations) == 1:
        return f"station {stations[0]} shows"
    more = len(stations) - NAMED_STATIONS
    named = ", ".join(stations[:NAMED_STATIONS])
    return f"stations {named} show" if more <= 0 else f"stations {named} and {more} more show"


def _find_untranslated(catalog: Catalog, tell) -> None:
    main_config = catalog.main.config
    assert isinstance(main_config, MainStationSpec)
    categories = {category.id: (index, category) for index, category in enumerate(main_config.categories)}
    # What a product lacks in a language is the same on every station showing it: found once, not per station.
    lacking: dict[tuple[str, str], list[str]] = {}
    for station in catalog.stations:
        language = station.config.language
        shown: set[str] = set()
        for product_id in station.sells:
            product = catalog.products[product_id]
            shown.add(product.front.category)
            fields = lacking.get((product_id, language))
            if fields is None:
                fields = lacking[product_id, language] = _lacks(catalog, product, language)
            for field in fields:
                tell(product.source, field, language, station.id)
        for category_id in sorted(shown & set(categories)):
            index, category = categories[category_id]
            if lacks(category.name, language, main_config.language):
                tell(catalog.main.source, f"categories[{index}].name", language, station.id)


def _lacks(catalog: Catalog, product: Product, language: str) -> list[str]:
    original = catalog.language_of(product)
    fields = list(missing(product.front, language, original))
    if language != original and product.html and language not in {body[0] for body in product.bodies}:
        fields.append("description")
    return fields
