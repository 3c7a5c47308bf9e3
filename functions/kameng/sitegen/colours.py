"""The station's brand colours made readable: text on a colour, and a colour as text (WCAG 2 contrast)."""
from __future__ import annotations

import colorsys

WHITE = "#ffffff"
# The theme's page background (style.css's body): brand-coloured text sits on it and on white cards.
PAGE_BACKGROUND = "#f6f7f9"
# WCAG AA for body text.
READABLE = 4.5


def _channels(colour: str) -> tuple[float, float, float]:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    red, green, blue = (int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return red, green, blue


def luminance(colour: str) -> float:
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in _channels(colour)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_text_on(background: str) -> str:
    """Black or white, whichever reads better on the owner's colour."""
    # Contrast against white is (1.05)/(L+0.05), against black (L+0.05)/0.05: equal at L ≈ 0.179.
    return "#111111" if luminance(background) > 0.179 else "#ffffff"


def text_variant(colour: str, backgrounds: tuple[str, ...] = (WHITE, PAGE_BACKGROUND)) -> str:
    """The owner's colour, darkened only as far as text in it needs to read on every background.

    Hue and saturation stay, so an orange brand keeps orange links and prices; lightness drops in small
    steps until the contrast reaches 4.5:1 (black, the last step, always does on a light background)."""
    hue, lightness, saturation = colorsys.rgb_to_hls(*_channels(colour))
    candidate = colour.lower()
    while not all(contrast(candidate, background) >= READABLE for background in backgrounds) and lightness > 0:
        lightness = max(0.0, lightness - 0.01)
        red, green, blue = colorsys.hls_to_rgb(hue, lightness, saturation)
        candidate = "#" + "".join(f"{round(c * 255):02x}" for c in (red, green, blue))
    return candidate
