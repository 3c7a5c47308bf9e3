"""Where a station shows catalogue text in another language than its own: warned of, not refused.

A missing translation shows the original, which a shopper can still buy from; the owner is told which file,
field and language lack one, so the build goes on while they translate.
"""
from __future__ import annotations

import logging

from kameng.sitegen.catalog import Catalog
from kameng.sitegen.content import MainStationSpec
from kameng.sitegen.translations import lacks, missing

log = logging.getLogger("kameng.sitegen")


def warn_untranslated(catalog: Catalog) -> None:
    """Name each text a station shows in another language than its own, once per file, field and language."""
    told: set[tuple[str, str, str]] = set()

    def tell(source: str, field: str, language: str, station: str) -> None:
        if (source, field, language) not in told:
            told.add((source, field, language))
            log.warning("%s: %s: no %s translation; station %s shows the original", source, field, language,
                        station)

    main_config = catalog.main.config
    assert isinstance(main_config, MainStationSpec)
    categories = {category.id: (index, category) for index, category in enumerate(main_config.categories)}
    for station in catalog.stations:
        language = station.config.language
        shown: set[str] = set()
        for product_id in station.sells:
            product = catalog.products[product_id]
            original = catalog.language_of(product)
            shown.add(product.front.category)
            for field in missing(product.front, language, original):
                tell(product.source, field, language, station.id)
            if language != original and product.html and language not in {body[0] for body in product.bodies}:
                tell(product.source, "description", language, station.id)
        for category_id in sorted(shown & set(categories)):
            index, category = categories[category_id]
            if lacks(category.name, language, main_config.language):
                tell(catalog.main.source, f"categories[{index}].name", language, station.id)
