"""Text on the owner's colours stays readable whatever colours they pick."""
import pytest

from kameng.sitegen.render import readable_text_on


def contrast(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        digits = colour.lstrip("#")
        digits = "".join(c * 2 for c in digits) if len(digits) == 3 else digits
        linear = [(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
                  for c in (int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4))]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("background", ["#1c1917", "#f97316", "#fde047", "#ffffff", "#000", "#1d4ed8", "#ec4899", "#777777"])
def test_text_on_a_station_colour_meets_wcag_large_text_contrast(background):
    assert contrast(readable_text_on(background), background) >= 3.0


def test_dark_colours_get_white_text_and_light_colours_dark_text():
    assert readable_text_on("#1c1917") == "#ffffff"
    assert readable_text_on("#fde047") == "#111111"
