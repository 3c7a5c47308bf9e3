"""Draw a poster (推广海报) as a PNG: the shop's name, a headline, a price or invite line, a picture and
the QR code of a link. Pure drawing: no store, no HTTP; the same `Poster` always gives the same bytes.

The font is templates/default/fonts/poster-sc-bold.otf (made by infra/poster_font.py), found beside the
package in a deployment and at the repository's top otherwise, as the theme is.
"""
from __future__ import annotations

import hashlib
import io
import json
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from kameng.config import CODE_ROOT, REPO

# Part of every poster's cache key: change it whenever the layout, the colours or the font change.
LAYOUT_VERSION = "1"
FONT_FILE = Path("default") / "fonts" / "poster-sc-bold.otf"
WIDTH, HEIGHT = 600, 900
MARGIN = 40
INK, MUTED, PAPER, BAND, PRICE = "#111827", "#6b7280", "#ffffff", "#1f2937", "#dc2626"
# What the subset holds besides the GB2312 hanzi (infra/poster_font.py builds it from these).
FONT_RANGES = ((0x20, 0x7F), (0xA0, 0x100), (0x2010, 0x2027), (0x3000, 0x3040), (0xFF00, 0xFFF0))
PICTURE_TYPES = {"PNG", "JPEG"}


def in_font(character: str) -> bool:
    code = ord(character)
    if any(low <= code < high for low, high in FONT_RANGES):
        return True
    try:
        encoded = character.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(encoded) == 2 and 0xB0 <= encoded[0] <= 0xF7


def printable(text: str) -> str:
    """The text as the font can draw it: a character outside the subset is left out, not drawn as a box."""
    return "".join(c for c in text if in_font(c))


def font_path(code_root: Path = CODE_ROOT) -> Path:
    packaged = code_root / "templates" / FONT_FILE
    return packaged if packaged.is_file() else REPO / "templates" / FONT_FILE


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path()), size)


@cache
def font_digest() -> str:
    return hashlib.sha256(font_path().read_bytes()).hexdigest()[:16]


@dataclass(frozen=True)
class Poster:
    shop: str
    headline: str
    line: str
    url: str
    caption: str  # beside the QR code: what scanning it does
    picture: bytes | None = None
    # A product without a PNG or JPEG picture shows this letter on a tile instead.
    letter: str = ""

    def digest(self) -> str:
        """The cache key: everything that changes a pixel, the picture by its hash."""
        fields = asdict(self) | {"picture": hashlib.sha256(self.picture).hexdigest() if self.picture else None}
        fields |= {"layout": LAYOUT_VERSION, "font": font_digest(), "qr": segno.__version__}
        return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def qr_matrix(url: str) -> list[list[bool]]:
    """The dark (True) and light modules of the link's QR code, without the quiet zone."""
    return [[bool(cell) for cell in row] for row in segno.make(url, error="m", micro=False).matrix]


def _wrapped(text: str, font: ImageFont.FreeTypeFont, width: int, lines: int) -> list[str]:
    # Chinese has no spaces to break at: break between any two characters, ending the last line with …
    out, current = [], ""
    for character in printable(text):
        if font.getlength(current + character) > width and current:
            out.append(current)
            current = character
        else:
            current += character
    out.append(current)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][:-1] + "…"
    return out


def _text(draw: ImageDraw.ImageDraw, top: int, text: str, size: int, fill: str, lines: int = 1,
          width: int = WIDTH - 2 * MARGIN, left: int = MARGIN) -> int:
    font = _font(size)
    for line in _wrapped(text, font, width, lines):
        draw.text((left, top), line, font=font, fill=fill)
        top += round(size * 1.35)
    return top


def _qr(url: str, size: int) -> Image.Image:
    matrix = qr_matrix(url)
    quiet = 2
    modules = len(matrix) + 2 * quiet
    tile = Image.new("1", (modules, modules), 1)
    tile.putdata([0 if (quiet <= y < modules - quiet and quiet <= x < modules - quiet
                        and matrix[y - quiet][x - quiet]) else 1
                  for y in range(modules) for x in range(modules)])
    # Whole pixels per module, so every module is a crisp square a phone's camera reads.
    scale = max(1, size // modules)
    return tile.resize((modules * scale, modules * scale), Image.NEAREST)


def _picture(poster: Poster, box: int) -> Image.Image:
    if poster.picture:
        try:
            with Image.open(io.BytesIO(poster.picture)) as opened:
                if opened.format in PICTURE_TYPES:
                    # Up or down to the box: a small product photo is shown as large as a big one.
                    return ImageOps.contain(opened.convert("RGB"), (box, box))
        except (UnidentifiedImageError, OSError):
            pass  # an unreadable picture gets the letter tile, as an SVG does
    tile = Image.new("RGB", (box, box), "#e5e7eb")
    letter = printable(poster.letter)[:1] or "?"
    ImageDraw.Draw(tile).text((box // 2, box // 2), letter, font=_font(box // 2), fill=MUTED, anchor="mm")
    return tile


def _canvas(shop: str) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 110), fill=BAND)
    _text(draw, 30, shop, 40, PAPER)
    return image, draw


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # compress_level 6 rather than 9: a third of the time for a few per cent of the bytes.
    image.save(out, "PNG", compress_level=6)
    return out.getvalue()


def draw_product(poster: Poster) -> bytes:
    image, draw = _canvas(poster.shop)
    picture = _picture(poster, 300)
    image.paste(picture, ((WIDTH - picture.width) // 2, 140))
    top = _text(draw, 470, poster.headline, 34, INK, lines=2)
    _text(draw, top + 10, poster.line, 44, PRICE)
    code = _qr(poster.url, 200)
    image.paste(code, (WIDTH - MARGIN - code.width, HEIGHT - MARGIN - code.height))
    _text(draw, HEIGHT - MARGIN - 120, poster.caption, 26, INK, lines=2, width=WIDTH - 3 * MARGIN - code.width)
    return _png(image)


def draw_referral(poster: Poster) -> bytes:
    image, draw = _canvas(poster.shop)
    top = _text(draw, 150, poster.headline, 40, INK, lines=2)
    code = _qr(poster.url, 360)
    image.paste(code, ((WIDTH - code.width) // 2, top + 30))
    top = _text(draw, top + 50 + code.height, poster.caption, 26, MUTED)
    _text(draw, top + 10, poster.line, 20, INK, lines=3)
    return _png(image)
