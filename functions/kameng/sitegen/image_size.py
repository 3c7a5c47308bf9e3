"""An image's width and height from its file's header, so a page reserves the image's room before it loads.

Only the formats content may use (content.IMAGE_EXTENSIONS); None when a file
does not say its size (an SVG with neither width/height nor a viewBox, a
damaged file): the page then shows the image without the attributes.
"""
from __future__ import annotations

import re
import struct

_SVG_TAG = re.compile(rb"<svg\b[^>]*>", re.IGNORECASE | re.DOTALL)
_SVG_LENGTH = r"""\s{}\s*=\s*["']\s*([0-9.]+)\s*(?:px)?\s*["']"""
_SVG_VIEW_BOX = re.compile(r"""\sviewBox\s*=\s*["']\s*[-0-9.]+[\s,]+[-0-9.]+[\s,]+([0-9.]+)[\s,]+([0-9.]+)\s*["']""")
# JPEG markers that start a frame and carry its size (SOF0–SOF15 less DHT, JPG and DAC).
_JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def image_size(data: bytes) -> tuple[int, int] | None:
    try:
        size = _size(data)
    except (struct.error, ValueError, IndexError):
        return None
    if size is None or size[0] <= 0 or size[1] <= 0:
        return None
    return size


def _size(data: bytes) -> tuple[int, int] | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return struct.unpack("<HH", data[6:10])
    if data.startswith(b"\xff\xd8"):
        return _jpeg(data)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return _webp(data)
    return _svg(data)


def _jpeg(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte before a marker
            at += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            at += 2
            continue
        (length,) = struct.unpack(">H", data[at + 2:at + 4])
        if marker in _JPEG_FRAMES:
            height, width = struct.unpack(">HH", data[at + 5:at + 9])
            return width, height
        at += 2 + length
    return None


def _webp(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


def _svg(data: bytes) -> tuple[int, int] | None:
    tag = _SVG_TAG.search(data[:4096])
    if tag is None:
        return None
    text = tag.group().decode("utf-8", "replace")
    width = re.search(_SVG_LENGTH.format("width"), text)
    height = re.search(_SVG_LENGTH.format("height"), text)
    if width and height:
        return round(float(width.group(1))), round(float(height.group(1)))
    view_box = _SVG_VIEW_BOX.search(text)
    if view_box:
        return round(float(view_box.group(1))), round(float(view_box.group(2)))
    return None
