"""Text in a station's brand colour reads at 4.5:1 on the page and on its white cards, whatever colour the
owner picked, and keeps the owner's hue."""
import colorsys

import pytest
from hypothesis import given, strategies as st

from kameng.sitegen.colours import PAGE_BACKGROUND, WHITE, contrast, text_variant


def hue_of(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    return colorsys.rgb_to_hls(*channels)[0]


def test_contrast_matches_the_wcag_reference_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777", "#fff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#f97316", "#ffffff") == pytest.approx(2.80, abs=0.01)  # game-zone's orange


def test_game_zones_orange_becomes_a_darker_orange_that_reads():
    text = text_variant("#f97316")
    assert text != "#f97316"
    assert contrast(text, WHITE) >= 4.5 and contrast(text, PAGE_BACKGROUND) >= 4.5
    assert hue_of(text) == pytest.approx(hue_of("#f97316"), abs=0.02)
    assert contrast(text, WHITE) < 5.2  # darkened only as far as it needs


def test_a_colour_that_already_reads_is_kept():
    assert text_variant("#0f766e") == "#0f766e"
    assert text_variant("#C81E1E") == "#c81e1e"


@given(st.integers(min_value=0, max_value=0xFFFFFF))
def test_every_colour_gets_a_text_variant_of_at_least_4_5_to_1_on_white_and_on_the_page(value):
    text = text_variant(f"#{value:06x}")
    assert contrast(text, WHITE) >= 4.5
    assert contrast(text, PAGE_BACKGROUND) >= 4.5


@pytest.mark.parametrize("colour", ["#fff", "#fde047", "#22d3ee", "#a3e635", "#f472b6"])
def test_even_the_lightest_colours_read(colour):
    assert contrast(text_variant(colour), PAGE_BACKGROUND) >= 4.5
