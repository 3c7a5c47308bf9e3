"""Posters (推广海报) of a station: a signed-in shopper's referral poster and a product's poster.

Each is drawn from what the published price book says (the shop's name, prices, the referral offer), so a
poster never promises what checkout would not charge. A poster is drawn once for given contents and kept
in the cache under their hash, which is also its ETag.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Protocol

from kameng.deps import Deps
from kameng.domain.errors import NotFound, UnknownSku, UnknownStation
from kameng.domain.money import format_minor
from kameng.domain.price_book import PriceBook, PricedSku
from kameng.services.poster_image import Poster, draw_product, draw_referral

WORDS = {
    "zh-CN": {"invite": "扫码注册，首单立减 {amount}", "join": "扫码注册，一起来逛", "scan_invite": "长按识别二维码",
              "from": "{price} 起", "scan_buy": "扫码购买"},
    "en": {"invite": "Scan to sign up: {amount} off your first order", "join": "Scan to sign up and shop with us",
           "scan_invite": "Scan the code to join", "from": "from {price}", "scan_buy": "Scan to buy"},
}


class PosterCache(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, png: bytes) -> None: ...


class NoReferralPoster(NotFound):
    code = "no_referral_poster"


@dataclass(frozen=True)
class PosterPng:
    png: bytes
    etag: str
    drawn: bool  # False: served from the cache


def _book(station: str, deps: Deps) -> PriceBook:
    book = deps.store.price_books.price_book(station)
    if book is None:
        raise UnknownStation(f"站点不存在：{station}")
    return book


def _words(book: PriceBook) -> dict[str, str]:
    return WORDS["en" if book.language.startswith("en") else "zh-CN"]


def _amount(minor: int, currency: str) -> str:
    # "¥5", not "¥5.00": a poster's offer reads as a round sum.
    text = format_minor(minor, currency)
    return text.removesuffix(".00")


def referral_code(station: str, shopper_key: str, deps: Deps) -> str | None:
    return deps.store.members.member(station, shopper_key).referral_code


def _kept(poster: Poster, draw: Callable[[Poster], bytes], cache: PosterCache) -> PosterPng:
    key = poster.digest()
    png = cache.get(key)
    if png is not None:
        return PosterPng(png, key, drawn=False)
    png = draw(poster)
    cache.put(key, png)
    return PosterPng(png, key, drawn=True)


def referral_poster(station: str, shopper_key: str, deps: Deps, cache: PosterCache) -> PosterPng:
    """The shopper's invitation: the station's offer and their referral link, as text and as a QR code."""
    book = _book(station, deps)
    code = referral_code(station, shopper_key, deps)
    if book.referrals is None or code is None:
        raise NoReferralPoster("本站没有推广计划，或您还没有推广链接")
    words = _words(book)
    link = f"{deps.settings.station_url(book.station, book.domain)}/?ref={code}"
    welcome = book.referrals.welcome_coupon
    headline = words["invite"].format(amount=_amount(welcome, book.currency)) if welcome else words["join"]
    poster = Poster(shop=book.name or book.domain, headline=headline, line=link, url=link, caption=words["scan_invite"])
    return _kept(poster, draw_referral, cache)


def product_title(skus: list[PricedSku]) -> str:
    """The product's own title: each SKU's title is "<product title> <SKU name>"."""
    titles = [sku.title for sku in skus]
    if len(titles) == 1:
        return titles[0]
    shared = os.path.commonprefix(titles)
    cut = shared.rfind(" ")
    return shared[:cut].strip() if cut > 0 else titles[0]


def product_poster(station: str, product: str, deps: Deps, cache: PosterCache, shopper_key: str | None = None,
                   picture: bytes | None = None) -> PosterPng:
    """A product at this station's lowest price, its QR code to the product page; a signed-in shopper's
    (`shopper_key`) carries their referral code, so a sale through it counts as theirs."""
    book = _book(station, deps)
    ref = referral_code(station, shopper_key, deps) if shopper_key and book.referrals is not None else None
    skus = sorted((sku for sku in book.skus.values() if sku.product == product), key=lambda sku: sku.sku)
    if not skus:
        raise UnknownSku(f"本站不卖这件商品：{product}")
    words = _words(book)
    # The product page's from-price: the lowest SKU price, before quantity tiers and flash sales.
    price = min(sku.price for sku in skus)
    url = f"{deps.settings.station_url(book.station, book.domain)}/p/{product}/" + (f"?ref={ref}" if ref else "")
    title = product_title(skus)
    poster = Poster(shop=book.name or book.domain, headline=title,
                    line=words["from"].format(price=format_minor(price, book.currency)), url=url,
                    caption=words["scan_buy"], picture=picture, letter=title[:1])
    return _kept(poster, draw_product, cache)
