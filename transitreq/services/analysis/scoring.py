"""The site score: a weighted, capped sum of what planners weigh, explained term by term.

score = 100 × Σ weightᵢ × min(valueᵢ / full_atᵢ, 1) / Σ weightᵢ, then reduced by the spacing
penalty (a share of the score) when the site is closer than the minimum spacing to an existing
stop on a route passing by. Weights and the values that earn full marks are deployment settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from transitreq.i18n import _, lazy_gettext


@dataclass(frozen=True)
class ScoreWeights:
    """The score's weights (SCORE_WEIGHT_*), built from config."""

    newly_served: float
    demand: float
    routes_passing: float
    # Values that earn the full weight: people newly within walking distance, residents asking
    # (requesters and supporters), routes that could call with no detour.
    newly_served_full_at: float
    demand_full_at: float
    routes_passing_full_at: float
    # Share of the score taken away when the site is too close to an existing stop.
    spacing_penalty: float


@dataclass(frozen=True)
class ScoreTerm:
    name: str
    label: str
    value: float
    full_at: float
    weight: float
    points: float


@dataclass(frozen=True)
class Score:
    total: float
    terms: list[ScoreTerm]
    spacing_penalty_applied: bool
    formula: str


FORMULA = lazy_gettext(
    "100 × Σ weight × min(value ÷ full-marks value, 1) ÷ Σ weight, "
    "less the spacing penalty when the site is too close to an existing stop"
)


def _term(
    name: str, label: str, value: float, full_at: float, weight: float, total_weight: float
) -> ScoreTerm:
    share = min(value / full_at, 1.0) if full_at else 0.0
    return ScoreTerm(
        name, label, float(value), full_at, weight, 100.0 * weight * share / total_weight
    )


def score_site(
    weights: ScoreWeights,
    newly_served: float | None,
    newly_served_radius_m: int,
    demand: float,
    routes_passing: int,
    too_close_to_a_stop: bool,
    walking: bool = False,
) -> Score:
    """The score; ``newly_served`` is None when no population data covers the site, and that
    term then earns nothing and says why. ``walking``: it was measured along the streets."""
    total_weight = (weights.newly_served + weights.demand + weights.routes_passing) or 1.0
    newly_label = (
        _(
            "People newly within %(radius_m)d m of a stop (no population data here)",
            radius_m=newly_served_radius_m,
        )
        if newly_served is None
        else _("People newly within %(radius_m)d m of a stop", radius_m=newly_served_radius_m)
    )
    if walking and newly_served is not None:
        newly_label = _(
            "People newly within a %(radius_m)d m walk of a stop", radius_m=newly_served_radius_m
        )
    terms = [
        _term(
            "newly_served",
            newly_label,
            newly_served or 0.0,
            weights.newly_served_full_at,
            weights.newly_served,
            total_weight,
        ),
        _term(
            "demand",
            _("Residents asking (requests and supporters)"),
            demand,
            weights.demand_full_at,
            weights.demand,
            total_weight,
        ),
        _term(
            "routes_passing",
            _("Routes that could call with no detour"),
            routes_passing,
            weights.routes_passing_full_at,
            weights.routes_passing,
            total_weight,
        ),
    ]
    total = sum(term.points for term in terms)
    if too_close_to_a_stop:
        total *= 1.0 - weights.spacing_penalty
    return Score(round(total, 1), terms, too_close_to_a_stop, str(FORMULA))
