"""Badge and button colours read for everyone: text on them at 4.5:1 or better (WCAG 2 AA), and
the status colours of the map and its legend apart from each other for residents with red-green
colour blindness too.

The colours are read from where they are kept (``RequestStatus.colour``, ``ProjectStage.colour``
and the custom properties of ``static/css/site.css``); the arithmetic is WCAG's own, written out
here. Badges once had white text at 2.69:1 on "Under review", 3.68:1 on "Coordination".
"""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import pytest

from transitreq.models import ProjectStage, RequestStatus

WHITE = "#ffffff"
AA_NORMAL_TEXT = 4.5
SITE_CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "site.css"


def _linear(colour: str) -> tuple[float, float, float]:
    """sRGB channels of ``#rrggbb`` made linear, as WCAG's relative luminance defines."""
    channels = (int(colour[index : index + 2], 16) / 255 for index in (1, 3, 5))
    return tuple(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)


def relative_luminance(colour: str) -> float:
    red, green, blue = _linear(colour)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(one: str, other: str) -> float:
    lighter, darker = sorted((relative_luminance(one), relative_luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_contrast_arithmetic_matches_wcag_examples():
    assert contrast_ratio("#000000", WHITE) == pytest.approx(21.0)
    assert contrast_ratio(WHITE, WHITE) == pytest.approx(1.0)
    # #767676 is the lightest grey that passes AA on white, #777777 the first that fails.
    assert contrast_ratio("#767676", WHITE) >= AA_NORMAL_TEXT > contrast_ratio("#777777", WHITE)


@pytest.mark.parametrize("status", list(RequestStatus), ids=str)
def test_white_text_reads_on_every_status_badge(status):
    assert contrast_ratio(WHITE, status.colour) >= AA_NORMAL_TEXT, status.colour


@pytest.mark.parametrize("stage", list(ProjectStage), ids=str)
def test_white_text_reads_on_every_stage_badge(stage):
    assert contrast_ratio(WHITE, stage.colour) >= AA_NORMAL_TEXT, stage.colour


def _site_colours() -> dict[str, str]:
    """The named colours of site.css's :root block, e.g. {"accent": "#1f6fd1"}."""
    root = re.search(r":root\s*{(.*?)}", SITE_CSS.read_text(encoding="utf-8"), re.DOTALL)
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\b", root.group(1)))


# Text colour on background: buttons (primary, danger), links, hints, errors, body text.
TEXT_ON_BACKGROUND = [
    ("#ffffff", "accent"),
    ("#ffffff", "accent-dark"),
    ("#ffffff", "danger"),
    ("accent-dark", "paper"),
    ("accent-dark", "wash"),
    ("muted", "paper"),
    ("muted", "wash"),
    ("danger", "paper"),
    ("ink", "wash"),
]


@pytest.mark.parametrize(("text", "background"), TEXT_ON_BACKGROUND)
def test_buttons_links_and_hints_of_the_style_sheet_read(text, background):
    colours = _site_colours() | {WHITE: WHITE}
    ratio = contrast_ratio(colours[text], colours[background])
    assert ratio >= AA_NORMAL_TEXT, f"{text} on {background}: {ratio:.2f}:1"


# Machado, Oliveira and Fernandes (2009): how full protanopia and deuteranopia see linear sRGB.
COLOUR_VISION = {
    "typical": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
}
# CIE76 colour difference below which two map markers are easily taken for each other.
DISTINCT_DELTA_E = 10.0


def _lab_as_seen(colour: str, vision: str) -> tuple[float, float, float]:
    """CIELAB (D65) of ``colour`` as seen with ``vision``."""
    linear = _linear(colour)
    red, green, blue = (
        min(
            1.0,
            max(0.0, sum(weight * channel for weight, channel in zip(row, linear, strict=True))),
        )
        for row in COLOUR_VISION[vision]
    )
    x = (0.4124 * red + 0.3576 * green + 0.1805 * blue) / 0.95047
    y = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    z = (0.0193 * red + 0.1192 * green + 0.9505 * blue) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


@pytest.mark.parametrize("vision", COLOUR_VISION)
def test_status_colours_stay_apart_with_colour_blindness(vision):
    too_close = []
    for one, other in itertools.combinations(RequestStatus, 2):
        difference = math.dist(_lab_as_seen(one.colour, vision), _lab_as_seen(other.colour, vision))
        if difference < DISTINCT_DELTA_E:
            too_close.append(f"{one.value} and {other.value}: ΔE {difference:.1f}")
    assert too_close == []
