"""A small catalogue written into tmp_path: a main station and two substations.

Prices, chosen so each rule shows:
  steam-cny-50   wholesale 47.50  retail 52.00   game-zone +8 % → 51.30
  steam-cny-100  wholesale 95.00  retail 102.00  game-zone fixed 99.00
  qq-10          wholesale  9.50  retail 10.00   game-zone +8 % → 10.26
  mobile-100     wholesale 98.00  retail 99.50   (game-zone does not sell it)
"""
from __future__ import annotations

import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from kameng.domain.price_book import PriceBook
from kameng.sitegen import BuildReport, build

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "templates"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect width="8" height="8" fill="{}"/></svg>\n'

FILES: dict[str, str] = {
    "main/station.yaml": """
        kind: main
        name: 测试总站
        domain: shop.example.com
        language: zh-CN
        currency: CNY
        logo: logo.svg
        colors:
          primary: "#112233"
          accent: "#abc"
        announcement: 全场九五折
        tagline: 正版点卡 秒发卡密
        support_email: help@example.com
        categories:
          - id: game-cards
            name: 游戏点卡
          - id: top-up
            name: 话费充值
          - id: empty
            name: 空分类
        """,
    "main/landing.md": """
        ---
        title: 欢迎光临
        ---
        全场 **正版**，秒发卡密。
        """,
    "main/pages/about.md": """
        ---
        title: 关于我们
        ---
        我们是一家卡盟。
        """,
    "main/pages/faq.md": """
        ---
        title: 常见问题
        ---
        ## 多久发货？
        付款后立即发货。
        """,
    "main/pages/terms.md": """
        ---
        title: 服务条款
        ---
        虚拟商品售出不退。
        """,
    "main/products/steam.md": """
        ---
        title: Steam 钱包充值卡
        category: game-cards
        summary: 全球通用 Steam 钱包码
        images: [steam.svg]
        tags: [Steam, PC 游戏]
        sort: 10
        skus:
          - id: steam-cny-50
            name: 50 元
            face_value: 50.00
            wholesale: 47.50
            retail: 52.00
          - id: steam-cny-100
            name: 100 元
            face_value: 100
            wholesale: 95.00
            retail: "102.00"
            min_per_order: 1
            max_per_order: 5
            low_stock: 20
        ---
        Steam 钱包码可用于购买游戏。

        | 面值 | 用途 |
        | --- | --- |
        | 50 | 小游戏 |

        ![卡面](steam.svg)
        """,
    "main/products/qq-coin.md": """
        ---
        title: Q 币
        category: game-cards
        summary: 腾讯 Q 币直充卡密
        sort: 20
        skus:
          - id: qq-10
            name: 10 Q 币
            face_value: 10
            wholesale: 9.50
            retail: 10.00
            min_per_order: 2
            max_per_order: 20
        ---
        QQ 钱包可用。
        """,
    "main/products/mobile.md": """
        ---
        title: 移动话费
        category: top-up
        skus:
          - id: mobile-100
            name: 100 元
            face_value: 100
            wholesale: 98
            retail: 99.50
        ---
        全国通用。
        """,
    "game-zone/station.yaml": """
        kind: substation
        name: 游戏小站
        domain: games.example.net
        currency: CNY
        logo: zone.svg
        colors:
          primary: "#0a7d32"
        sells: [steam, qq-coin]
        pricing:
          markup_percent: 8
          fixed:
            steam-cny-100: 99.00
        """,
    "game-zone/landing.md": """
        ---
        title: 游戏小站
        ---
        玩家自己的小站。
        """,
    "game-zone/pages/about.md": """
        ---
        title: 关于游戏小站
        ---
        小站由玩家经营。
        """,
    "en-shop/station.yaml": """
        kind: substation
        name: Card Corner
        domain: cards.example.org
        language: en
        sells: all
        pricing:
          markup_percent: 10
        """,
    "en-shop/landing.md": """
        ---
        title: Welcome
        ---
        Gift cards, delivered in seconds.
        """,
}
IMAGES: dict[str, str] = {
    "main/images/logo.svg": SVG.format("#112233"),
    "main/images/steam.svg": SVG.format("#1b2838"),
    "game-zone/images/zone.svg": SVG.format("#0a7d32"),
}
STATIONS = ["main", "en-shop", "game-zone"]


@dataclass
class Project:
    root: Path

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def site(self) -> Path:
        return self.root / "site"

    templates: Path = TEMPLATES

    def write(self, relative: str, text: str) -> None:
        path = self.content / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.content / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {relative}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    def remove(self, relative: str) -> None:
        (self.content / relative).unlink()

    def build(self, site: Path | None = None, publish=None) -> BuildReport:
        return build(self.content, site or self.site, self.templates, publish=publish)

    def page(self, relative: str) -> str:
        return (self.site / relative).read_text(encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    made = Project(tmp_path)
    for relative, text in FILES.items():
        made.write(relative, text)
    for relative, text in IMAGES.items():
        made.write(relative, text)
    return made


@pytest.fixture
def built(project: Project) -> Project:
    project.build()
    return project


def tree(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def book_of(books: list[PriceBook], station: str) -> PriceBook:
    return next(book for book in books if book.station == station)


@pytest.fixture
def demo_content(tmp_path: Path) -> Path:
    """A copy of the demo stations' content/, for a test that adds to a station's file."""
    root = tmp_path / "content"
    shutil.copytree(REPO / "content", root)
    return root


def add_to_station(content: Path, station: str, text: str) -> None:
    path = content / station / "station.yaml"
    path.write_text(path.read_text() + text)


def demo_books(content: Path, tmp_path: Path) -> dict[str, PriceBook]:
    """Each station's price book, by station, from building `content`."""
    return {book.station: book for book in build(content, tmp_path / "site", TEMPLATES).price_books}
