"""Posters as a shopper sees them: a PNG a phone opens, a QR code that is the link, Chinese that is drawn."""
from __future__ import annotations

import io

import pytest
from fontTools.ttLib import TTFont
from PIL import Image

from kameng.adapters.poster_cache import FolderPosterCache
from kameng.domain.commissions import ReferralRule
from kameng.domain.errors import UnknownSku, UnknownStation
from kameng.domain.price_book import PriceBook, PricedSku
from kameng.services import poster_image, posters
from kameng.services.poster_image import HEIGHT, WIDTH, Poster, draw_product, draw_referral, font_path, in_font

LINK = "http://game-zone.localhost:8000/?ref=K7QP2M"
BLACK = (0, 0, 0)


def _image(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGB")


def _referral(headline: str = "扫码注册，首单立减 ¥5") -> Poster:
    return Poster(shop="游戏地带", headline=headline, line=LINK, url=LINK, caption="长按识别二维码")


def _count(image: Image.Image, colour: tuple[int, int, int]) -> int:
    return dict((c, n) for n, c in image.getcolors(WIDTH * HEIGHT)).get(colour, 0)


def _ink(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    """How many pixels in `box` are not the white paper."""
    part = image.crop(box)
    return part.width * part.height - _count(part, (255, 255, 255))


def test_a_referral_poster_is_a_png_of_the_posters_size():
    image = _image(draw_referral(_referral()))
    assert image.size == (WIDTH, HEIGHT)


def test_the_qr_code_drawn_is_the_links_module_for_module():
    image = _image(draw_referral(_referral()))
    matrix = poster_image.qr_matrix(LINK)
    # Only the QR code is pure black: text is antialiased dark grey, so the black box is the code's.
    black = Image.eval(image.convert("L"), lambda v: 255 if v == 0 else 0)
    left, top, right, bottom = black.getbbox()
    module = (right - left) / len(matrix)
    assert module >= 4 and (bottom - top) == (right - left)
    drawn = [[image.getpixel((int(left + (x + 0.5) * module), int(top + (y + 0.5) * module))) == BLACK
              for x in range(len(matrix))] for y in range(len(matrix))]
    assert drawn == matrix


def test_chinese_text_is_drawn_and_a_character_outside_the_font_is_left_out_without_error():
    headline = (40, 150, WIDTH - 40, 210)
    chinese = _image(draw_referral(_referral("扫码注册")))
    outside = _image(draw_referral(_referral("😀𠀀")))  # an emoji and a hanzi beyond GB2312
    assert _ink(chinese, headline) > 500
    assert _ink(outside, headline) == 0
    mixed = _image(draw_referral(_referral("扫码😀注册")))
    assert mixed.crop(headline).tobytes() == chinese.crop(headline).tobytes()


def test_the_font_holds_every_character_the_poster_believes_it_has():
    font = TTFont(font_path())
    cmap = font.getBestCmap()
    hanzi = [bytes((high, low)).decode("gb2312", errors="ignore") for high in range(0xB0, 0xF8) for low in range(0xA1, 0xFF)]
    expected = {c for c in hanzi if c} | set("¥，。：！？（）ＡＢ１２ Steam-100")
    assert all(in_font(c) for c in expected)
    assert {c for c in expected if ord(c) not in cmap} == set()
    assert font_path().stat().st_size <= 4 * 1024 * 1024


def _png_picture(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), colour).save(out, "PNG")
    return out.getvalue()


def _product(**changes) -> Poster:
    fields = dict(shop="游戏地带", headline="Steam 钱包充值卡", line="¥49.90 起",
                  url="http://game-zone.localhost:8000/p/steam-wallet/", caption="扫码购买", letter="S")
    return Poster(**(fields | changes))


def test_a_product_poster_shows_its_png_picture_and_a_letter_for_anything_else():
    green = (22, 163, 74)
    with_picture = _image(draw_product(_product(picture=_png_picture(green))))
    assert _count(with_picture, green) > 50_000
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"/>'
    lettered = _image(draw_product(_product(picture=svg)))
    assert lettered.size == (WIDTH, HEIGHT)
    assert _count(lettered, green) == 0


# ---------------------------------------------------------------- from the price book, kept by hash

def _sku(sku: str, title: str, price: int) -> PricedSku:
    return PricedSku(sku=sku, product="steam-wallet", title=title, price=price, wholesale=price - 100,
                     min_quantity=1, max_quantity=10, low_stock=0)


@pytest.fixture
def book(deps):
    published = PriceBook(
        station="game-zone", domain="www.gamezone.example", name="游戏地带", currency="CNY",
        referrals=ReferralRule(levels_percent=(10,), welcome_coupon=500),
        skus={"steam-cny-50": _sku("steam-cny-50", "Steam 钱包充值卡 50 元", 4990),
              "steam-cny-100": _sku("steam-cny-100", "Steam 钱包充值卡 100 元", 9990)})
    deps.store.price_books.put_price_book(published)
    return published


@pytest.fixture
def drawn(monkeypatch):
    """The posters handed to the drawing, in order."""
    seen: list[Poster] = []
    for name in ("draw_product", "draw_referral"):
        real = getattr(posters, name)
        monkeypatch.setattr(posters, name, lambda poster, real=real: seen.append(poster) or real(poster))
    return seen


def test_a_product_poster_says_the_stations_lowest_price_and_links_to_its_page(deps, book, drawn, tmp_path):
    posters.product_poster("game-zone", "steam-wallet", deps, FolderPosterCache(tmp_path))
    (poster,) = drawn
    assert (poster.shop, poster.headline, poster.line) == ("游戏地带", "Steam 钱包充值卡", "¥49.90 起")
    assert poster.url == "http://game-zone.localhost:8000/p/steam-wallet/"


def test_a_signed_in_shoppers_product_poster_carries_their_referral_code(deps, book, drawn, tmp_path):
    member = deps.store.members.open_member("game-zone", "shopper-1", "K7QP2M")
    posters.product_poster("game-zone", "steam-wallet", deps, FolderPosterCache(tmp_path), shopper_key="shopper-1")
    assert drawn[0].url.endswith(f"/p/steam-wallet/?ref={member.referral_code}")


def test_the_referral_poster_states_the_stations_welcome_offer(deps, book, drawn, tmp_path):
    deps.store.members.open_member("game-zone", "shopper-1", "K7QP2M")
    posters.referral_poster("game-zone", "shopper-1", deps, FolderPosterCache(tmp_path))
    (poster,) = drawn
    assert poster.headline == "扫码注册，首单立减 ¥5"
    assert poster.url == poster.line == "http://game-zone.localhost:8000/?ref=K7QP2M"


def test_the_same_poster_is_drawn_once_and_then_served_from_the_cache(deps, book, drawn, tmp_path):
    first = posters.product_poster("game-zone", "steam-wallet", deps, FolderPosterCache(tmp_path))
    again = posters.product_poster("game-zone", "steam-wallet", deps, FolderPosterCache(tmp_path))
    assert (first.drawn, again.drawn, len(drawn)) == (True, False, 1)
    assert again.png == first.png and again.etag == first.etag
    cheaper = book.model_copy(update={"skus": {"steam-cny-50": _sku("steam-cny-50", "Steam 钱包充值卡 50 元", 4790)}})
    deps.store.price_books.put_price_book(cheaper)
    changed = posters.product_poster("game-zone", "steam-wallet", deps, FolderPosterCache(tmp_path))
    assert changed.drawn and changed.etag != first.etag


def test_an_unknown_station_or_product_is_refused(deps, book, tmp_path):
    with pytest.raises(UnknownStation):
        posters.product_poster("nowhere", "steam-wallet", deps, FolderPosterCache(tmp_path))
    with pytest.raises(UnknownSku):
        posters.product_poster("game-zone", "no-such-thing", deps, FolderPosterCache(tmp_path))
