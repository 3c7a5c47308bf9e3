"""The product page's layout: the gallery takes a column only when there are images, and every image says its size."""
from __future__ import annotations

import re
import struct
import zlib

import pytest

from tests.build.conftest import Project
from tests.build.test_site_output import Elements
from tests.build.themes import THEMES, use_theme


@pytest.fixture(params=THEMES)
def project(project: Project, request: pytest.FixtureRequest) -> Project:
    """A theme changes the look, never whether the gallery and the form fit."""
    return use_theme(project, request.param)


def png(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))


def jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    frame = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + frame + b"\xff\xd9"


def webp(width: int, height: int) -> bytes:
    chunk = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little") \
        + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def gallery_sizes(page: str) -> list[tuple[str, str | None, str | None]]:
    html = page.split('<div class="gallery">', 1)[1].split("</div>", 1)[0]
    return [(re.sub(r"\.[0-9a-f]{10}\.", ".", a["src"] or ""), a.get("width"), a.get("height"))
            for a in Elements(html).all("img")]


def article_classes(page: str) -> set[str]:
    return set((Elements(page).first("article")["class"] or "").split())


def test_a_product_without_images_has_no_gallery_and_the_form_takes_the_width(built: Project) -> None:
    page = built.page("main/p/qq-coin/index.html")
    assert 'class="gallery"' not in page
    assert article_classes(page) == {"product"}
    stylesheet = next((built.site / "main/assets").rglob("style.*.css")).read_text()
    wide = stylesheet.split("@media (min-width:960px){", 1)[1].split("}\n}", 1)[0]
    # The two columns are the gallery's and the form's: a page without a gallery keeps one.
    assert re.findall(r"([^{}\n]+)\{grid-template-columns:minmax", wide) == [".product.with-gallery"]


def test_a_product_with_images_has_a_gallery_column(built: Project) -> None:
    page = built.page("main/p/steam/index.html")
    assert article_classes(page) == {"product", "with-gallery"}
    assert gallery_sizes(page) == [("/assets/img/steam.svg", "8", "8")]


def test_gallery_images_carry_the_width_and_height_of_their_files(project: Project) -> None:
    images = project.content / "main/images"
    (images / "front.png").write_bytes(png(640, 400))
    (images / "back.jpg").write_bytes(jpeg(300, 500))
    (images / "side.webp").write_bytes(webp(1200, 900))
    (images / "wide.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="240" height="160"></svg>\n')
    project.edit("main/products/steam.md", "images: [steam.svg]",
                 "images: [front.png, back.jpg, side.webp, wide.svg]")
    project.build()
    assert gallery_sizes(project.page("main/p/steam/index.html")) == [
        ("/assets/img/front.png", "640", "400"), ("/assets/img/back.jpg", "300", "500"),
        ("/assets/img/side.webp", "1200", "900"), ("/assets/img/wide.svg", "240", "160")]


def test_an_image_that_does_not_say_its_size_is_shown_without_one(project: Project) -> None:
    (project.content / "main/images/bare.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"></svg>\n')
    project.edit("main/products/steam.md", "images: [steam.svg]", "images: [bare.svg]")
    project.build()
    assert gallery_sizes(project.page("main/p/steam/index.html")) == [("/assets/img/bare.svg", None, None)]
