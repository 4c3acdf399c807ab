"""Charts drawn on the server as SVG: the shapes are computed here, the template writes them.

No chart library and nothing from a CDN: the page works with scripts off, and the numbers
behind every chart are in a table beside it for screen readers and for copying. Months, years
and numbers on the axes are written the reader's way (``transitreq/i18n.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from babel.dates import format_skeleton

from transitreq.i18n import _, current_locale, format_month, format_number
from transitreq.services.reports.dashboard import OUTSIDE_DISTRICTS, MonthlyCounts

# Okabe & Ito's palette, chosen to stay distinguishable with every common colour-vision
# deficiency. A district keeps its slot's colour; past eight districts the colours repeat with
# a hatch over them, so no two districts look alike.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
OUTSIDE_COLOUR = "#999999"

WIDTH = 760
HEIGHT = 320
LEFT = 48
RIGHT = 12
TOP = 14
BOTTOM = 44
# The share of each month's band a bar fills.
BAR_SHARE = 0.7


@dataclass(frozen=True)
class Series:
    district: str
    colour: str
    hatched: bool
    # The name shown in the legend and the table: the district's own, or "Outside districts"
    # in the reader's language for requests in none.
    label: str


@dataclass(frozen=True)
class Bar:
    """One district's requests in one month: a segment of that month's stacked bar."""

    series: Series
    month_label: str
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class MonthLabel:
    x: float
    month: str
    # Shown under the first month and every January.
    year: str


@dataclass(frozen=True)
class StackedBarChart:
    width: int
    height: int
    left: int
    top: int
    plot_bottom: float
    plot_right: float
    series: list[Series]
    bars: list[Bar]
    ticks: list[Tick]
    months: list[MonthLabel]
    first_month: str
    last_month: str


def series_for(district: str, slots: dict[str, int]) -> Series:
    """The district's colour, the same on every page whichever districts are shown."""
    if district == OUTSIDE_DISTRICTS:
        return Series(district, OUTSIDE_COLOUR, False, _("Outside districts"))
    if district not in slots:
        return Series(district, OUTSIDE_COLOUR, False, district)
    slot = slots[district]
    return Series(district, PALETTE[slot % len(PALETTE)], slot >= len(PALETTE), district)


def _axis_step(largest: int) -> int:
    """A round step (1, 2 or 5 × 10ⁿ) giving at most five ticks above zero."""
    step = 1
    while math.ceil(largest / step) > 5:
        step = _next_round(step)
    return step


def _next_round(step: int) -> int:
    """1 → 2 → 5 → 10 → 20 → 50 …"""
    digits = str(step)
    leading, zeros = int(digits[0]), len(digits) - 1
    following = {1: 2, 2: 5, 5: 10}[leading]
    return following * 10**zeros


def month_label(month: date) -> str:
    """The month and its year as the reader writes them: "Mar 2026", "2026年3月"."""
    return format_month(month)


def _axis_month(month: date) -> str:
    """The month alone under its bar: "Mar", "3月"."""
    return format_skeleton("MMM", month, locale=current_locale())


def _axis_year(month: date) -> str:
    """The year under the first month and every January: "2026", "2026年"."""
    return format_skeleton("y", month, locale=current_locale())


def stacked_bar_chart(monthly: MonthlyCounts) -> StackedBarChart:
    """Stacked bars, one per month, one segment per district with requests that month."""
    plot_right = WIDTH - RIGHT
    plot_bottom = HEIGHT - BOTTOM
    plot_height = plot_bottom - TOP
    band = (plot_right - LEFT) / len(monthly.months)
    largest = max((monthly.month_total(month) for month in monthly.months), default=0)
    step = _axis_step(max(largest, 1))
    axis_max = step * math.ceil(max(largest, 1) / step)
    scale = plot_height / axis_max
    series = [series_for(district, monthly.slots) for district in monthly.districts]
    bars: list[Bar] = []
    labels: list[MonthLabel] = []
    for index, month in enumerate(monthly.months):
        x = LEFT + index * band + band * (1 - BAR_SHARE) / 2
        base = float(plot_bottom)
        for line in series:
            count = monthly.count(line.district, month)
            if not count:
                continue
            height = count * scale
            base -= height
            bars.append(Bar(line, month_label(month), count, x, base, band * BAR_SHARE, height))
        show_year = index == 0 or month.month == 1
        labels.append(
            MonthLabel(
                LEFT + (index + 0.5) * band,
                _axis_month(month),
                _axis_year(month) if show_year else "",
            )
        )
    ticks = [
        Tick(plot_bottom - value * scale, format_number(value))
        for value in range(0, axis_max + 1, step)
    ]
    return StackedBarChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        top=TOP,
        plot_bottom=plot_bottom,
        plot_right=plot_right,
        series=series,
        bars=bars,
        ticks=ticks,
        months=labels,
        first_month=month_label(monthly.months[0]),
        last_month=month_label(monthly.months[-1]),
    )
