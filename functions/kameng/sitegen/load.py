"""Read content/ into a Catalog, collecting every mistake instead of stopping at the first."""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kameng.sitegen.catalog import Catalog, Document, ImageFile, ImageFolder, Product, Station
from kameng.sitegen.commerce import check_levels, check_tiers
from kameng.sitegen.content import MainStationSpec, PageSpec, ProductSpec, SubstationSpec
from kameng.sitegen.content_types import is_id
from kameng.sitegen.supplier_content import AnySupplierSpec, SupplierSpec, supplier_model
from kameng.sitegen.synced_content import SYNCED, read_synced
from kameng.sitegen.theme import ThemeError, theme_folders
from kameng.sitegen.markdown_safe import MarkdownCache, SafeHtml
from kameng.sitegen.parallel import fork_map
from kameng.sitegen.parse import ParseError, YamlCache, normalize, read_front_matter, read_yaml
from kameng.sitegen.problems import Problems, valid_part
from kameng.sitegen.translations import BODY_FILE
from kameng.sitegen.untranslated import warn_untranslated

MAIN = "main"
# /api/ goes to the functions and /assets/ holds hashed files: a page there would be shadowed.
RESERVED_SLUGS = {"api", "assets"}
# The local server answers console.localhost with the owner console, which would hide such a station.
SUPPLIERS = "suppliers"
RESERVED_STATIONS = {"console": "expected another name: console.localhost is the owner console's address"}
CONSOLE_TEMPLATES = "console"
_MAIN_ENTRIES = {"station.yaml", "landing.md", "pages", "images", "products"}
# A substation may hold its own goods (独立商品库) in products/, sold there alone.
_SUBSTATION_ENTRIES = _MAIN_ENTRIES


def load_catalog(
    content_dir: Path,
    templates_dir: Path,
    problems: Problems,
    markdown: MarkdownCache | None = None,
    yaml: YamlCache | None = None,
) -> Catalog | None:
    """The validated catalog, or None when the main station is missing or invalid.

    Mistakes go to `problems`; the catalog then holds only what was valid, so
    the caller must not render it unless `problems` is empty. Every file is
    read and validated on every build; the caches only spare parsing a YAML
    text or converting a Markdown text whose result (and so its errors) is
    known from an earlier build.
    """
    return _Loader(content_dir, templates_dir, problems, markdown or MarkdownCache(), yaml or YamlCache()).load()


class _Loader:
    def __init__(
        self, content_dir: Path, templates_dir: Path, problems: Problems, markdown: MarkdownCache, yaml: YamlCache
    ) -> None:
        self.content_dir = content_dir
        # Errors name files as the owner sees them: content/main/products/x.md.
        self.root = Path(os.path.abspath(content_dir)).name
        self.templates_dir = templates_dir
        self.templates_name = Path(os.path.abspath(templates_dir)).name
        self.problems = problems
        self.markdown = markdown
        self.yaml = yaml
        # Ids found in files that failed validation: other files may name them
        # correctly, and one mistake should give one error, not a cascade.
        self.unverified_products: set[str] = set()
        self.unverified_skus: set[str] = set()
        # A product file whose YAML could not be read hides its SKU ids entirely.
        self.unreadable_products = False

    def show(self, path: Path) -> str:
        return f"{self.root}/{_relative(path, self.content_dir)}"

    def load(self) -> Catalog | None:
        if not self.content_dir.is_dir():
            self.problems.add(self.root, "folder", "expected a folder with one folder per station (not found)")
            return None
        station_dirs: list[Path] = []
        for entry in sorted(self.content_dir.iterdir()):
            if entry.name.startswith(".") or not entry.is_dir() or entry.name == SUPPLIERS:
                continue
            if entry.name in RESERVED_STATIONS:
                self.problems.add(self.show(entry), "station id", RESERVED_STATIONS[entry.name], entry.name)
            elif is_id(entry.name, 2, 32):
                station_dirs.append(entry)
            else:
                self.problems.add(
                    self.show(entry), "station id",
                    "expected a folder name of 2–32 lowercase letters, digits or '-'", entry.name,
                )

        main_dir = self.content_dir / MAIN
        main: Station | None = None
        products: dict[str, Product] = {}
        sku_sources: dict[str, str] = {}  # SKU ids are unique across every station's products
        if main_dir in station_dirs:
            main = self.station(main_dir, MainStationSpec)
            products = self.products(main_dir, main, sku_sources)
        else:
            self.problems.add(
                f"{self.root}/{MAIN}/station.yaml", "file", "expected the main station's station.yaml (not found)"
            )
        substations = [self.station(path, SubstationSpec) for path in station_dirs if path != main_dir]
        own = self.own_products([path for path in station_dirs if path != main_dir], main, products, sku_sources)
        if main is None:
            return None

        assert isinstance(main.config, MainStationSpec)
        main = _with_sells(main, tuple(sorted(products)))
        sold_substations = tuple(
            _with_sells(station, self.check_substation(station, main.config, products, own.get(station.id, {})))
            for station in substations
            if station is not None
        )
        self.check_domains((main, *sold_substations))
        for goods in own.values():
            products |= goods
        products = dict(sorted(products.items()))
        suppliers = self.suppliers(self.content_dir / SUPPLIERS)
        self.check_supply(products, suppliers)
        synced = read_synced(self, self.content_dir / SUPPLIERS)
        catalog = Catalog(main, sold_substations, products, main.config.currency, suppliers, synced)
        warn_untranslated(catalog)
        return catalog

    # --- suppliers -------------------------------------------------------------

    def suppliers(self, folder: Path) -> dict[str, AnySupplierSpec]:
        found: dict[str, AnySupplierSpec] = {}
        if not folder.is_dir():
            return found
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or path.name == f"{SYNCED}.yaml":  # the sync's costs, not a supplier
                continue
            source = self.show(path)
            if path.suffix != ".yaml" or not is_id(path.stem, 2, 32):
                self.problems.add(source, "file", "expected <name>.yaml files, the name 2–32 lowercase letters, "
                                                  "digits or '-'")
                continue
            data = self.yaml_file(path)
            if data is None:
                continue
            model = supplier_model(data)
            try:
                found[path.stem] = model.model_validate(data)
            except ValidationError as error:
                self.problems.add_validation(source, error, model, {})
        return found

    def check_supply(self, products: dict[str, Product], suppliers: dict[str, AnySupplierSpec]) -> None:
        """Every offer names a supplier that has a file, and a simulated one's product."""
        for product in products.values():
            for index, sku in enumerate(product.front.skus):
                for number, offer in enumerate(sku.supply):
                    field = f"skus[{index}].supply[{number}]"
                    supplier = suppliers.get(offer.supplier)
                    if supplier is None:
                        names = ", ".join(sorted(suppliers)) or "none yet"
                        self.problems.add(product.source, f"{field}.supplier",
                                          f"expected a supplier with a file in content/{SUPPLIERS}/ ({names})", offer.supplier)
                    elif isinstance(supplier, SupplierSpec) and supplier.kind == "simulator" \
                            and offer.product not in {p.code for p in supplier.products}:
                        self.problems.add(product.source, f"{field}.product",
                                          f"expected a product code of content/{SUPPLIERS}/{offer.supplier}.yaml", offer.product)

    # --- one station ---------------------------------------------------------

    def station(self, path: Path, model: type[MainStationSpec] | type[SubstationSpec]) -> Station | None:
        allowed, kind = (_MAIN_ENTRIES, "main station") if model is MainStationSpec else (_SUBSTATION_ENTRIES, "substation")
        for entry in sorted(path.iterdir()):
            if not entry.name.startswith(".") and entry.name not in allowed:
                expected = f"expected only {', '.join(sorted(allowed))} in a {kind} folder"
                self.problems.add(self.show(entry), "file", expected)
        images = ImageFolder(path / "images", self.show(path) + "/images/")
        source = self.show(path / "station.yaml")
        config = self.station_config(path / "station.yaml", model)
        logo = None
        if config is not None:
            check_levels(self.problems, source, config.levels)
            if config.logo is not None:
                logo = self.image(images, config.logo, source, "logo")
            if not (self.templates_dir / config.theme).is_dir():
                self.problems.add(source, "theme", f"expected a folder under {self.templates_name}/", config.theme)
            elif config.theme == CONSOLE_TEMPLATES:
                self.problems.add(source, "theme", "expected a station theme, not the owner console's pages", config.theme)
            else:
                self.theme(config.theme)

        landing = None
        if (path / "landing.md").is_file():
            landing = self.document(path / "landing.md", images)
        elif model is SubstationSpec:
            self.problems.add(
                self.show(path / "landing.md"), "file", "expected a landing page for the substation (not found)"
            )
        pages = self.pages(path / "pages", images)
        if config is None:
            return None
        return Station(path.name, source, config, logo, landing, pages)

    def theme(self, name: str) -> None:
        """A theme that extends a missing theme, or itself, is reported once, at its theme.yaml."""
        try:
            theme_folders(self.templates_dir, name)
        except ThemeError as error:
            source, field, expected, got = error.problem
            if not any(message.startswith(f"{source}: ") for message in self.problems.messages):
                self.problems.add(source, field, expected, got)

    def station_config(
        self, path: Path, model: type[MainStationSpec] | type[SubstationSpec]
    ) -> MainStationSpec | SubstationSpec | None:
        source = self.show(path)
        if not path.is_file():
            self.problems.add(source, "file", "expected the station's config file (not found)")
            return None
        data = self.yaml_file(path)
        if data is None:
            return None
        other = SubstationSpec if model is MainStationSpec else MainStationSpec
        hint = f"only {'a substation' if model is MainStationSpec else 'the main station'} has this field"
        hints = {name: hint for name in other.model_fields if name not in model.model_fields}
        return self.validate(source, data, model, hints)

    def pages(self, folder: Path, images: ImageFolder) -> dict[str, Document]:
        pages: dict[str, Document] = {}
        if not folder.is_dir():
            return pages
        for path in sorted(folder.iterdir()):
            if path.name.startswith("."):
                continue
            slug = path.stem
            if path.suffix != ".md" or not path.is_file():
                self.problems.add(self.show(path), "file", "expected a Markdown page named <slug>.md")
            elif not is_id(slug) or slug in RESERVED_SLUGS:
                self.problems.add(
                    self.show(path), "file name",
                    "expected a slug of lowercase letters, digits or '-', other than "
                    + " and ".join(sorted(RESERVED_SLUGS)), slug,
                )
            elif (document := self.document(path, images)) is not None:
                pages[slug] = document
        return pages

    def document(self, path: Path, images: ImageFolder) -> Document | None:
        source = self.show(path)
        parsed = self.front_matter(path)
        if parsed is None:
            return None
        data, body = parsed
        front = self.validate(source, data, PageSpec)
        safe = self.markdown.convert(body, _image_url(images))
        shown = self.markdown_images(source, "body", safe, images)
        return None if front is None else Document(source, front.title, safe.html, shown)

    # --- products -------------------------------------------------------------

    def own_products(self, station_dirs: list[Path], main: Station | None, products: dict[str, Product],
                     sku_sources: dict[str, str]) -> dict[str, dict[str, Product]]:
        """Each substation's own goods, by station id: main's categories, ids unique across the catalogue."""
        found: dict[str, dict[str, Product]] = {}
        taken = {product_id: product.source for product_id, product in products.items()}
        for path in station_dirs:
            for product_id, product in self.products(path, main, sku_sources).items():
                if product_id in taken:
                    self.problems.add(product.source, "file name",
                                      f"expected a product id no other file uses; {taken[product_id]} has it too",
                                      product_id)
                    continue
                taken[product_id] = product.source
                found.setdefault(path.name, {})[product_id] = dataclasses.replace(product, owner=path.name)
        return found

    def products(self, station_dir: Path, main: Station | None, sku_sources: dict[str, str]) -> dict[str, Product]:
        """The station's products/ (main's supply, or a substation's own goods), in main's categories."""
        folder = station_dir / "products"
        if not folder.is_dir():
            return {}
        images = ImageFolder(station_dir / "images", self.show(station_dir) + "/images/")
        categories = None
        if main is not None:
            assert isinstance(main.config, MainStationSpec)
            categories = [category.id for category in main.config.categories]
        bodies: list[tuple[str, str, Path]] = []
        files = self.product_files(folder, bodies)
        converted = self.convert(files, _image_url(images))
        products: dict[str, Product] = {}
        for (product_id, path, data, _), safe in zip(files, converted):
            product = self.product(product_id, self.show(path), data, safe, images, categories, sku_sources)
            if product is None:
                self.unverified_products.add(product_id)
            else:
                products[product_id] = product
        self.translated_bodies(products, bodies, images)
        return dict(sorted(products.items()))

    def translated_bodies(self, products: dict[str, Product], bodies: list[tuple[str, str, Path]],
                          images: ImageFolder) -> None:
        """Each <product-id>.<language>.md beside its product, as that product's description in the language."""
        for product_id, language, path in bodies:
            source = self.show(path)
            product = products.get(product_id)
            if product is None:
                if product_id not in self.unverified_products:
                    self.problems.add(source, "file name", f"expected a product {product_id}.md beside the "
                                                           f"translation of its description", path.name)
                continue
            try:
                text = normalize(path.read_bytes())
            except UnicodeDecodeError:
                self.problems.add(source, "file", "expected UTF-8 text")
                continue
            safe = self.markdown.convert(text, _image_url(images))
            shown = self.markdown_images(source, "description", safe, images)
            products[product_id] = dataclasses.replace(
                product, bodies=(*product.bodies, (language, safe.html, shown)))

    def product_files(self, folder: Path, bodies: list[tuple[str, str, Path]]) -> list[tuple[str, Path, dict[str, Any], str]]:
        """(product id, path, front matter, Markdown body) of each product file that can be read.

        Translated descriptions go to `bodies` as (product id, language, path).
        """
        files: list[tuple[str, Path, dict[str, Any], str]] = []
        sources: dict[str, str] = {}
        # Nested folders are allowed, so two files can claim one product id.
        found = sorted((_relative(path, folder), path) for path in folder.rglob("*"))
        for relative, path in found:
            if any(part.startswith(".") for part in relative.split("/")) or path.is_dir():
                continue
            source = self.show(path)
            if path.suffix != ".md":
                self.problems.add(source, "file", "expected a product file named <product-id>.md")
                continue
            if (translation := BODY_FILE.fullmatch(path.name)) is not None:
                bodies.append((translation["product"], translation["language"], path))
                continue
            product_id = path.stem
            if not is_id(product_id):
                self.problems.add(
                    source, "file name", "expected a product id of lowercase letters, digits or '-'", product_id
                )
                continue
            if product_id in sources:
                self.problems.add(
                    source, "file name",
                    f"expected a product id no other file uses; {sources[product_id]} has it too", product_id,
                )
                self.unreadable_products = True
                continue
            sources[product_id] = source
            parsed = self.front_matter(path)
            if parsed is None:
                self.unreadable_products = True
                self.unverified_products.add(product_id)
                continue
            files.append((product_id, path, *parsed))
        return files

    def convert(
        self, files: list[tuple[str, Path, dict[str, Any], str]], image_url: Callable[[str], str | None]
    ) -> list[SafeHtml]:
        """Each file's Markdown as safe HTML.

        Markdown is the slowest step of loading a big catalogue: reuse what an
        earlier build converted, and convert the rest on every core.
        """
        converted = [self.markdown.get(file[3], image_url) for file in files]
        missing = [index for index, safe in enumerate(converted) if safe is None]
        converter = self.markdown.converter if missing else None  # made before forking, shared by the workers
        fresh = fork_map(lambda index: converter.convert_recording(files[index][3], image_url), missing)  # type: ignore[union-attr]
        for index, (safe, lookups) in zip(missing, fresh):
            self.markdown.put(files[index][3], safe, lookups)
            converted[index] = safe
        return converted  # type: ignore[return-value]

    def product(
        self,
        product_id: str,
        source: str,
        data: dict[str, Any],
        safe: SafeHtml,
        images: ImageFolder,
        categories: list[str] | None,
        sku_sources: dict[str, str],
    ) -> Product | None:
        front = self.validate(source, data, ProductSpec)
        body_images = self.markdown_images(source, "description", safe, images)
        if front is None:
            for sku in data.get("skus") or []:
                if isinstance(sku, dict) and isinstance(sku.get("id"), str):
                    self.unverified_skus.add(sku["id"])
            return None

        valid = True
        if categories is not None and front.category not in categories:
            self.problems.add(source, "category", f"expected one of {', '.join(categories)}", front.category)
            valid = False
        gallery = []
        for index, name in enumerate(front.images):
            image = self.image(images, name, source, f"images[{index}]")
            valid = valid and image is not None
            if image is not None:
                gallery.append(image)
        for index, sku in enumerate(front.skus):
            valid = check_tiers(self.problems, source, index, sku) and valid
            if sku.id in sku_sources:
                self.problems.add(
                    source, f"skus[{index}].id",
                    f"expected a SKU id used once in the catalogue; {sku_sources[sku.id]} has it too", sku.id,
                )
                valid = False
            else:
                sku_sources[sku.id] = f"{source} skus[{index}]"
        if not valid:
            self.unverified_skus.update(sku.id for sku in front.skus)
            return None
        return Product(product_id, source, front, safe.html, tuple(gallery), body_images)

    # --- checks across files --------------------------------------------------

    def check_substation(self, station: Station, main: MainStationSpec, products: dict[str, Product],
                         own: dict[str, Product]) -> tuple[str, ...]:
        """The ids of the products the station sells: main's it names in `sells` (all when none), and its own."""
        config = station.config
        assert isinstance(config, SubstationSpec)
        if config.currency is not None and config.currency != main.currency:
            self.problems.add(
                station.source, "currency", f"expected the main station's currency {main.currency}", config.currency
            )

        if config.sells is None:
            sells = set(products)
        else:
            sells = set()
            for index, product_id in enumerate(config.sells):
                if product_id in sells:
                    self.problems.add(station.source, f"sells[{index}]", "expected each product once", product_id)
                elif product_id in products:
                    sells.add(product_id)
                elif product_id not in self.unverified_products:
                    mine = " (the station's own goods are sold without being listed)" if product_id in own else ""
                    self.problems.add(
                        station.source, f"sells[{index}]", "expected a main-station product id" + mine, product_id
                    )

        owners = {sku.id: product.id for product in products.values() for sku in product.front.skus}
        own_skus = {sku_id for product in own.values() for sku_id in product.sku_ids}
        for sku_id in config.pricing.fixed:
            field = f"pricing.fixed.{sku_id}"
            if sku_id in own_skus:
                self.problems.add(station.source, field,
                                  "expected a main-station SKU: the station's own goods sell at their retail", sku_id)
            elif sku_id in owners and owners[sku_id] not in sells:
                self.problems.add(
                    station.source, field,
                    f"expected a SKU this station sells; its product {owners[sku_id]} is not in sells", sku_id,
                )
            elif sku_id not in owners and sku_id not in self.unverified_skus and not self.unreadable_products:
                self.problems.add(station.source, field, "expected the id of a SKU this station sells", sku_id)
        return tuple(sorted(sells | set(own)))

    def check_domains(self, stations: tuple[Station, ...]) -> None:
        owners: dict[str, str] = {}
        for station in stations:
            domain = station.config.domain
            if domain in owners:
                self.problems.add(
                    station.source, "domain",
                    f"expected a domain no other station uses; {owners[domain]} has it", domain,
                )
            else:
                owners[domain] = station.source

    # --- small readers --------------------------------------------------------

    def yaml_file(self, path: Path) -> Any:
        """The file's YAML; None, with the problem told, when it cannot be read."""
        try:
            return read_yaml(normalize(path.read_bytes()), cache=self.yaml)
        except ParseError as error:
            self.problems.add(self.show(path), error.field, error.expected)
        except UnicodeDecodeError:
            self.problems.add(self.show(path), "file", "expected UTF-8 text")
        return None

    def front_matter(self, path: Path) -> tuple[dict[str, Any], str] | None:
        try:
            document = read_front_matter(normalize(path.read_bytes()), self.yaml)
        except ParseError as error:
            self.problems.add(self.show(path), error.field, error.expected)
            return None
        except UnicodeDecodeError:
            self.problems.add(self.show(path), "file", "expected UTF-8 text")
            return None
        return document.fields, document.body

    def validate(self, source: str, data: dict[str, Any], model: type[Any], hints: dict[str, str] = {}) -> Any:
        try:
            return model.model_validate(data)
        except ValidationError as error:
            self.problems.add_validation(source, error, model, hints)
            # The build fails anyway; what did validate still gets the checks
            # across files, so one mistake does not hide the next.
            return valid_part(data, error, model)

    def markdown_images(self, source: str, field: str, safe: SafeHtml, images: ImageFolder) -> tuple[ImageFile, ...]:
        for name in safe.unknown_images:
            self.problems.add(source, field, f"expected images to be files in {images.display}", name)
        return tuple(image for name in safe.images if (image := images.get(name)) is not None)

    def image(self, images: ImageFolder, name: str, source: str, field: str) -> ImageFile | None:
        image = images.get(name)
        if image is None:
            self.problems.add(source, field, f"expected a file in {images.display}", name)
        return image


def _relative(path: Path, folder: Path) -> str:
    """path.relative_to(folder).as_posix(), without pathlib's cost (it is asked for every file)."""
    text, prefix = str(path), str(folder) + os.sep
    if text.startswith(prefix) and os.sep == "/":
        return text[len(prefix):]
    return path.relative_to(folder).as_posix()


def _image_url(images: ImageFolder) -> Callable[[str], str | None]:
    def url(name: str) -> str | None:
        image = images.get(name)
        return None if image is None else image.url

    return url


def _with_sells(station: Station, sells: tuple[str, ...]) -> Station:
    return dataclasses.replace(station, sells=sells)

