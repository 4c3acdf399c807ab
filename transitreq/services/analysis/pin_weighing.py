"""Residents' pins weighed against the suggested-stop candidates near them: for each pin the
candidate within 300 m that newly serves the most people alone, and how many more (or fewer)
that is than the pin itself would.

Both figures come from the same instance (``suggestions.build_instance`` with the pins as more
sites), so the difference is never an artefact of two methods; they are what site evaluation
answers at the score's radius, walking where a street network is loaded. Pins near one another
(the review queue's page) share one instance per few kilometres, so a page of fifty requests
reads the map a few times, not fifty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from shapely.geometry import Point
from sqlalchemy.orm import Session

from transitreq.geo.metric import BoundingBox, box_around
from transitreq.services.analysis.evaluation import EvaluationSettings
from transitreq.services.analysis.suggestions import (
    NEARBY_CANDIDATE_M,
    Instance,
    SuggestionQuery,
    build_instance,
    figures_of,
)

# The best few by the model are measured exactly before one is named best.
_MEASURED = 5
# Pins in one cell of this many degrees (about 2 km) share an instance.
_CLUSTER_DEGREES = 0.02


@dataclass(frozen=True)
class PinWeighing:
    lat: float
    lon: float
    distance_m: float
    route_name: str
    # People the candidate, and the pin, would newly serve alone at ``radius_m``.
    candidate_newly_served: float
    pin_newly_served: float
    radius_m: int
    measure: str

    @property
    def difference(self) -> float:
        """How many more people the candidate newly serves than the pin (negative: fewer)."""
        return self.candidate_newly_served - self.pin_newly_served


def weigh_pin(
    session: Session, pin: Point, settings: EvaluationSettings, within_m: float = NEARBY_CANDIDATE_M
) -> PinWeighing | None:
    """The best candidate within ``within_m`` of the pin (None: no candidate there)."""
    return weigh_pins(session, [pin], settings, within_m)[0]


def weigh_pins(
    session: Session,
    pins: Sequence[Point],
    settings: EvaluationSettings,
    within_m: float = NEARBY_CANDIDATE_M,
) -> list[PinWeighing | None]:
    """``weigh_pin`` for each pin, in order, with nearby pins sharing one reading of the map."""
    clusters: dict[tuple[int, int], list[int]] = {}
    for index, pin in enumerate(pins):
        cell = (int(np.floor(pin.x / _CLUSTER_DEGREES)), int(np.floor(pin.y / _CLUSTER_DEGREES)))
        clusters.setdefault(cell, []).append(index)
    answers: list[PinWeighing | None] = [None] * len(pins)
    for members in clusters.values():
        group = [pins[index] for index in members]
        for index, answer in zip(
            members, _weigh_group(session, group, settings, within_m), strict=True
        ):
            answers[index] = answer
    return answers


def _weigh_group(
    session: Session, pins: list[Point], settings: EvaluationSettings, within_m: float
) -> list[PinWeighing | None]:
    boxes = [box_around(pin.x, pin.y, within_m) for pin in pins]
    box = BoundingBox(
        min(b.min_lon for b in boxes),
        min(b.min_lat for b in boxes),
        max(b.max_lon for b in boxes),
        max(b.max_lat for b in boxes),
    )
    query = SuggestionQuery(count=1, radius_m=settings.score_radius_m, box=box)
    instance = build_instance(session, query, settings, extra_sites=tuple(pins))
    if instance is None:
        return [None] * len(pins)
    first_pin = len(instance.candidates) - len(pins)
    return [
        _best_near(instance, first_pin, first_pin + number, within_m, settings.score_radius_m)
        for number in range(len(pins))
    ]


def _best_near(
    instance: Instance, site_count: int, pin_index: int, within_m: float, radius_m: int
) -> PinWeighing | None:
    candidates = instance.candidates
    distance = np.hypot(
        candidates.x[:site_count] - candidates.x[pin_index],
        candidates.y[:site_count] - candidates.y[pin_index],
    )
    near = np.flatnonzero(distance <= within_m)
    if len(near) == 0:
        return None
    problem = instance.problem
    model = np.asarray(problem.cover[near] @ problem.weight, dtype=float)
    shortlist = [int(near[i]) for i in np.argsort(-model, kind="stable")[:_MEASURED]]
    _, alone = figures_of(instance, [*shortlist, pin_index])
    best = int(np.argmax(alone[:-1]))
    chosen = shortlist[best]
    return PinWeighing(
        lat=float(candidates.lat[chosen]),
        lon=float(candidates.lon[chosen]),
        distance_m=float(distance[chosen]),
        route_name=candidates.route_name[chosen],
        candidate_newly_served=alone[best],
        pin_newly_served=alone[-1],
        radius_m=radius_m,
        measure=instance.measure,
    )


def weighing_json(weighing: PinWeighing | None) -> dict | None:
    """A weighing as the review queue's rows carry it."""
    if weighing is None:
        return None
    return {
        "lat": round(weighing.lat, 7),
        "lon": round(weighing.lon, 7),
        "distance_m": round(weighing.distance_m, 1),
        "route": weighing.route_name,
        "newly_served": weighing.candidate_newly_served,
        "pin_newly_served": weighing.pin_newly_served,
        "difference": weighing.difference,
        "radius_m": weighing.radius_m,
        "measure": weighing.measure,
    }
