"""What the console may change of a station's content: which files, how big, and which fields are the platform's.

A station's editable files are its station.yaml, landing.md and pages/<slug>.md, and a substation's own goods
already in its products/<id>.md (独立商品库: edited, neither added nor deleted here); everything else (the main
station's products, images, another station's folder) is out of reach of the editor, whatever the path says.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping
from typing import Any

from kameng.domain.errors import InvalidRequest

STATION_FILE = "station.yaml"
LANDING = "landing.md"
PAGES = "pages/"
PRODUCTS = "products/"
MAX_FILE_BYTES = 256 * 1024
MAX_PAGES = 50
# The build's own rule for a page's slug (sitegen/load.py): a page at /api/ or /assets/ would be shadowed.
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_RESERVED_SLUGS = {"api", "assets"}
# Fields of a substation's station.yaml that bind the platform, not the station: the domain is the
# CDN's alternate name and certificate, and payouts say where the money goes and the platform's fee.
PLATFORM_FIELDS = ("domain", "payouts")
# A product's supply offers buy from the platform's supplier accounts: only the platform owner sets them.
PLATFORM_SKU_FIELDS = ("supply",)




def editable_path(path: Any, products: Collection[str] = ()) -> str:
    """The path as the store names it, or InvalidRequest for anything but the station's own editable files
    (`products`: its own goods' files, as the store listed them)."""
    if not isinstance(path, str):
        raise InvalidRequest("文件路径必须是文本")
    if path in (STATION_FILE, LANDING) or path in products:
        return path
    if path.startswith(PAGES) and path.endswith(".md"):
        slug = path[len(PAGES):-len(".md")]
        if _SLUG.match(slug) and slug not in _RESERVED_SLUGS:
            return path
    raise InvalidRequest(f"只能编辑 station.yaml、landing.md、pages/<slug>.md 和本站已有的自营商品 products/<id>.md"
                         f"（收到 {path[:80]!r}）",
                         [{"loc": "files", "msg": f"not an editable file: {path[:80]!r}"}])


def checked_changes(files: Any, current: Mapping[str, str], products: Collection[str] = ()) -> dict[str, str | None]:
    """The edits, each path checked and each text bounded; None deletes a page (a product stays)."""
    if not isinstance(files, dict) or not files:
        raise InvalidRequest("请提交要修改的文件：{路径: 内容}", [{"loc": "files", "msg": "expected {path: text}"}])
    changes: dict[str, str | None] = {}
    for path, text in files.items():
        name = editable_path(path, products)
        if text is None and name.startswith(PAGES):
            changes[name] = None
            continue
        if not isinstance(text, str):
            raise InvalidRequest(f"{name} 的内容必须是文本", [{"loc": f"files.{name}", "msg": "expected text"}])
        if len(text.encode("utf-8")) > MAX_FILE_BYTES:
            raise InvalidRequest(f"{name} 超过 {MAX_FILE_BYTES // 1024} KB",
                                 [{"loc": f"files.{name}", "msg": f"expected at most {MAX_FILE_BYTES} bytes"}])
        changes[name] = text
    pages = {path for path in current if path.startswith(PAGES)}
    pages |= {path for path, text in changes.items() if path.startswith(PAGES) and text is not None}
    pages -= {path for path, text in changes.items() if text is None}
    if len(pages) > MAX_PAGES:
        raise InvalidRequest(f"一个站点最多 {MAX_PAGES} 个页面", [{"loc": "files", "msg": f"at most {MAX_PAGES} pages"}])
    return changes


def version_of(files: Mapping[str, str]) -> str:
    """The digest of a station's editable files: what an editor read, to tell whether it changed since."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(f"{path}\0{digest_of(files[path])}\0".encode())
    return digest.hexdigest()[:32]


def digest_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def platform_fields_changed(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
                            source: str) -> list[str]:
    """`file: field: expectation` for each platform field a station owner's station.yaml would change."""
    before, after = before or {}, after or {}
    return [f"{source}: {name}: only the platform owner may change this field"
            for name in PLATFORM_FIELDS if before.get(name) != after.get(name)]


def platform_sku_fields_changed(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
                                source: str) -> list[str]:
    """`file: skus.field: expectation` for each platform field of a SKU a station owner's product would change
    (a SKU added with supply offers counts as a change)."""
    def by_sku(fields: Mapping[str, Any] | None, name: str) -> dict[Any, Any]:
        skus = (fields or {}).get("skus")
        return {str(sku.get("id")): sku.get(name) for sku in skus if isinstance(sku, dict)} if isinstance(skus, list) else {}

    return [f"{source}: skus.{name}: only the platform owner may change this field"
            for name in PLATFORM_SKU_FIELDS
            if {k: v for k, v in by_sku(before, name).items() if v} != {k: v for k, v in by_sku(after, name).items() if v}]
