"""A page's fingerprint is derived from what its template receives: change what a page shows, and it is rebuilt.

Nothing lists what each page shows beside its render, so these tests change
values and look at which files a rebuild rewrites: exactly the pages that
show the value, and a theme that shows more of the context than the default
one is rebuilt just as exactly.
"""
from __future__ import annotations

import builtins
import dis
import inspect
import re
import shutil
import types
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from functools import cached_property
from pathlib import Path

import pytest

from kameng.sitegen import pages
from kameng.sitegen.context_digest import ContextDigest
from kameng.sitegen.theme import Theme
from tests.build.conftest import Project, tree
from tests.build.test_incremental import changed, fresh_tree, stats

FLASH_SALE = """
flash_sales:
  - sku: qq-10
    price: 9.80
    starts: 2026-12-12T20:00:00+08:00
    ends: 2026-12-12T22:00:00+08:00
    quantity: 100
    per_shopper: 2
"""


def _append(relative: str, text: str) -> Callable[[Project], None]:
    def edit(project: Project) -> None:
        path = project.content / relative
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")

    return edit


def _replace(relative: str, old: str, new: str) -> Callable[[Project], None]:
    return lambda project: project.edit(relative, old, new)


QQ_PAGES = ["en-shop/p/qq-coin/index.html", "game-zone/p/qq-coin/index.html", "main/p/qq-coin/index.html"]
STEAM_PAGES = ["en-shop/p/steam/index.html", "game-zone/p/steam/index.html", "main/p/steam/index.html"]

# An edit, and every file it must rewrite (the digest aside): no fewer, no more.
ONLY_THE_PAGES_THAT_SHOW_IT: dict[str, tuple[Callable[[Project], None], list[str]]] = {
    "a SKU's face value (its product pages only)": (
        _replace("main/products/qq-coin.md", "face_value: 10\n", "face_value: 12\n"), QQ_PAGES),
    "a product's tags (its product pages and the search indexes that find it by them)": (
        _replace("main/products/qq-coin.md", "sort: 20\n", "sort: 20\ntags: [腾讯]\n"),
        ["en-shop/search.json", "game-zone/search.json", "main/search.json", *QQ_PAGES]),
    "a quantity tier (the product's pages, each at its station's price, and the price books)": (
        _replace("main/products/steam.md", "    low_stock: 20\n",
                 "    low_stock: 20\n    tiers: [{min: 3, price: 100.00}]\n"),
        [".price-books.json", *STEAM_PAGES]),
    "one station's flash sale (that station's product page and the price books)": (
        _append("game-zone/station.yaml", FLASH_SALE),
        [".price-books.json", "game-zone/p/qq-coin/index.html"]),
    "a substation's own page": (
        _replace("game-zone/pages/about.md", "小站由玩家经营。", "小站由几位玩家经营。"),
        ["game-zone/about/index.html"]),
    "a substation's landing page": (
        _replace("en-shop/landing.md", "delivered in seconds.", "delivered at once."), ["en-shop/index.html"]),
}


@pytest.mark.parametrize("edit", list(ONLY_THE_PAGES_THAT_SHOW_IT), ids=list(ONLY_THE_PAGES_THAT_SHOW_IT))
def test_an_edit_rewrites_the_pages_that_show_it_and_no_other(
    built: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: str
) -> None:
    change, shown_on = ONLY_THE_PAGES_THAT_SHOW_IT[edit]
    rendered: list[str | None] = []
    render = Theme.render

    def spy(self: Theme, template: str, context: dict[str, object]) -> bytes:
        rendered.append(context.get("path"))  # type: ignore[arg-type]
        return render(self, template, context)

    monkeypatch.setattr(Theme, "render", spy)
    before = stats(built.site)
    change(built)
    built.build()
    assert changed(before, stats(built.site)) == sorted([".build-digest", *shown_on])
    # Rendered, too, only where something it shows changed.
    assert len(rendered) == len([path for path in shown_on if path.endswith(".html")])
    monkeypatch.undo()
    assert tree(built.site) == fresh_tree(built, tmp_path)


# --- a theme that shows more ----------------------------------------------------------------

# Values of each template's context that the default theme does not show. A fingerprint
# listed by hand would miss them; one derived from the context cannot.
NOSY = {
    "product.html": "<p>{{ front.skus|map(attribute='low_stock')|join(',') }} {{ product.source }}"
                    " {{ offers|map(attribute='price_minor')|join(',') }} {{ shop.levels }}</p>",
    "landing.html": "<p>{{ shop.welcome_coupon }} {{ sections|map(attribute='cards')|map('length')|join(',') }}</p>",
    "category.html": "<p>{{ cards|map(attribute='summary')|join('|') }} {{ shop.welcome_coupon }}</p>",
    "page.html": "<p>{{ page.image }} {{ shop.welcome_coupon }}</p>",
    "404.html": "<p>{{ shop.welcome_coupon }}</p>",
}


@pytest.fixture
def nosy(project: Project, tmp_path: Path) -> Project:
    themes = tmp_path / "nosy-themes"
    shutil.copytree(project.templates, themes)
    for name, extra in NOSY.items():
        path = themes / "default" / name
        text = path.read_text(encoding="utf-8")
        head, block_end, tail = text.rpartition("{% endblock %}")
        path.write_text(f"{head}{extra}\n{block_end}{tail}", encoding="utf-8")
    project.templates = themes
    project.build()
    return project


NOSY_EDITS = {
    "a SKU's low stock threshold": (
        _replace("main/products/qq-coin.md", "    max_per_order: 20\n", "    max_per_order: 20\n    low_stock: 7\n"),
        QQ_PAGES),
    "a station's welcome coupon": (
        _append("game-zone/station.yaml", "referrals:\n  welcome_coupon: 5\n"),
        ["game-zone/404.html", "game-zone/about/index.html", "game-zone/c/game-cards/index.html",
         "game-zone/faq/index.html", "game-zone/index.html", "game-zone/terms/index.html", *QQ_PAGES[1:2],
         "game-zone/p/steam/index.html"]),
}


@pytest.mark.parametrize("edit", list(NOSY_EDITS), ids=list(NOSY_EDITS))
def test_a_template_that_shows_more_of_its_context_is_rebuilt_when_that_changes(
    nosy: Project, tmp_path: Path, edit: str
) -> None:
    change, shown_on = NOSY_EDITS[edit]
    before = stats(nosy.site)
    change(nosy)
    nosy.build()
    assert set(shown_on) <= set(changed(before, stats(nosy.site)))
    assert tree(nosy.site) == fresh_tree(nosy, tmp_path)


# --- what makes it sound ------------------------------------------------------------------


def _page_functions() -> list[types.FunctionType]:
    """The functions of pages.py, and the methods and properties of its classes."""
    found = []
    for value in vars(pages).values():
        if isinstance(value, types.FunctionType) and value.__module__ == pages.__name__:
            found.append(value)
        elif isinstance(value, type) and value.__module__ == pages.__name__:
            for member in vars(value).values():
                member = member.fget if isinstance(member, property) else member
                if isinstance(member, types.FunctionType) and member.__module__ == pages.__name__:
                    found.append(member)
    return found


def _code_objects(code: types.CodeType) -> list[types.CodeType]:
    """code and the code of the comprehensions and lambdas inside it."""
    nested = [const for const in code.co_consts if isinstance(const, types.CodeType)]
    return [code, *(inner for const in nested for inner in _code_objects(const))]


def _immutable(value: object) -> bool:
    if isinstance(value, (str, bytes, int, float, bool, type(None), re.Pattern)):
        return True
    return isinstance(value, (tuple, frozenset)) and all(_immutable(item) for item in value)


@pytest.mark.parametrize("function", _page_functions(), ids=lambda function: function.__qualname__)
def test_the_functions_that_make_a_pages_context_read_only_their_arguments(function: types.FunctionType) -> None:
    # A page's fingerprint digests these functions' arguments: anything else they
    # read (a module-level dict, a setting) could change without it.
    for code in _code_objects(function.__code__):
        for instruction in dis.get_instructions(code):
            assert instruction.opname not in ("STORE_GLOBAL", "DELETE_GLOBAL"), function.__qualname__
            if instruction.opname not in ("LOAD_GLOBAL", "LOAD_NAME"):
                continue
            name = instruction.argval
            if name not in function.__globals__:
                assert hasattr(builtins, name), f"{function.__qualname__} reads {name}"
                continue
            value = function.__globals__[name]
            assert callable(value) or inspect.ismodule(value) or _immutable(value), (
                f"{function.__qualname__} reads {name}, which is not one of its arguments"
            )


@dataclass(frozen=True)
class _Item:
    name: str
    price: int
    when: datetime | None = None

    @cached_property
    def label(self) -> str:
        return f"{self.name} {self.price}"


def test_the_digest_changes_with_any_field_of_any_object_in_it() -> None:
    digest = ContextDigest()
    base = {"items": (_Item("a", 1),), "rate": Decimal("8"), "path": "/p/a/"}
    variants = [
        {**base, "items": (_Item("a", 2),)},
        {**base, "items": (_Item("b", 1),)},
        {**base, "items": (_Item("a", 1, datetime(2026, 1, 1, tzinfo=timezone.utc)),)},
        {**base, "rate": Decimal("8.0")},
        {**base, "path": "/p/b/"},
        {**base, "extra": None},
    ]
    digests = {digest(base), *(digest(variant) for variant in variants)}
    assert len(digests) == len(variants) + 1
    assert digest(base) == ContextDigest()({"items": (_Item("a", 1),), "rate": Decimal("8"), "path": "/p/a/"})


def test_a_cached_property_read_or_not_leaves_the_digest_alone() -> None:
    item = _Item("a", 1)
    before = ContextDigest()(item)
    assert item.label == "a 1"
    assert ContextDigest()(item) == before


def test_a_value_the_digest_cannot_see_into_fails_the_build_instead_of_being_skipped() -> None:
    class Opaque:
        pass

    with pytest.raises(TypeError, match="Opaque in a page's context"):
        ContextDigest()({"value": Opaque()})
