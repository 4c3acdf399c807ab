"""The planners' population layers for the map's box: density and the coverage gap."""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry import Point
from sqlalchemy.orm import Session

from transitreq.errors import CoverageNotStored, ValidationFailed
from transitreq.geo.coverage import PopulationPart, box_size_m, coverage_gap, population_density
from transitreq.geo.metric import BoundingBox
from transitreq.geo.metric_crs import metric_srid
from transitreq.geo.stored_gap import stored_gap
from transitreq.geo.streets import covering_network
from transitreq.geo.walk_gap import walking_coverage_gap
from transitreq.i18n import _, format_number
from transitreq.models import POINTS
from transitreq.services.analysis.evaluation import (
    STRAIGHT_LINE,
    WALK,
    EvaluationSettings,
    current_population_dataset,
    stored_coverage_of,
)

# The largest box (each side, metres) the map layers answer for by measuring afresh: the
# coverage gap on foot walks the streets, and the gap without a stored coverage subtracts
# every stop's circle in the box, so their cost grows with the area. From the stored coverage
# the gap answers for any box; density only reads units.
MAX_GAP_BOX_M = 5000.0
MAX_DENSITY_BOX_M = 10_000.0
MAX_GAP_RADIUS_M = 2000


@dataclass(frozen=True)
class PopulationLayer:
    dataset: str | None
    parts: list[PopulationPart]
    # People in the layer (for the coverage gap: beyond reach of every stop in the box).
    total_population: float = 0.0
    # The side of the grid cells the layer was summed into, when it was.
    cell_side_m: int | None = None
    # For the coverage gap: the walking distance and how it was measured.
    radius_m: float | None = None
    measure: str | None = None


def _check_box(box: BoundingBox | None, largest_m: float) -> BoundingBox:
    if box is None:
        raise ValidationFailed(
            {"bbox": _("Give the map's bbox (min_lon,min_lat,max_lon,max_lat).")}
        )
    width_m, height_m = box_size_m(box)
    if max(width_m, height_m) > largest_m:
        raise ValidationFailed(
            {
                "bbox": _(
                    "The box is %(width)s × %(height)s km; this layer answers for at most "
                    "%(largest)s × %(largest)s km: zoom in.",
                    width=format_number(width_m / 1000, 1),
                    height=format_number(height_m / 1000, 1),
                    largest=format_number(largest_m / 1000),
                )
            }
        )
    return box


def _dataset_and_srid(session: Session, box: BoundingBox, name: str | None, metric: int):
    centre = Point((box.min_lon + box.max_lon) / 2, (box.min_lat + box.max_lat) / 2)
    half_diagonal_m = sum(size**2 for size in box_size_m(box)) ** 0.5 / 2
    dataset = current_population_dataset(session, name, centre, half_diagonal_m)
    return dataset, metric_srid(metric, centre.x, centre.y)


def population_layer(
    session: Session, box: BoundingBox | None, settings: EvaluationSettings, name: str | None = None
) -> PopulationLayer:
    """Population density in the map's box (the dataset covering it, or the one named)."""
    box = _check_box(box, MAX_DENSITY_BOX_M)
    dataset, srid = _dataset_and_srid(session, box, name, settings.metric_srid)
    if dataset is None:
        return PopulationLayer(None, [])
    return PopulationLayer(dataset.name, population_density(session, dataset, box, srid))


def coverage_gap_layer(
    session: Session,
    box: BoundingBox | None,
    radius_m: float,
    settings: EvaluationSettings,
    name: str | None = None,
    measure: str = STRAIGHT_LINE,
) -> PopulationLayer:
    """Where people in the map's box (the whole city without one) live beyond ``radius_m`` of
    every stop, and how many: within a circle of each stop, or (``measure`` "walk", boxes up
    to MAX_GAP_BOX_M) on foot along the streets."""
    if not 1 <= radius_m <= MAX_GAP_RADIUS_M:
        raise ValidationFailed(
            {"radius_m": _("radius_m must be 1 to %(max_m)d.", max_m=MAX_GAP_RADIUS_M)}
        )
    if measure not in (STRAIGHT_LINE, WALK):
        raise ValidationFailed({"measure": _("measure must be straight_line or walk.")})
    if measure == WALK:
        return _walking_gap(session, _check_box(box, MAX_GAP_BOX_M), radius_m, settings, name)
    if box is None:
        return _whole_city_gap(session, radius_m, settings, name)
    dataset, srid = _dataset_and_srid(session, box, name, settings.metric_srid)
    if dataset is None:
        return PopulationLayer(None, [], radius_m=radius_m, measure=measure)
    state = stored_coverage_of(session, dataset, settings)
    if state is not None and (dataset.geometry_kind == POINTS or radius_m in state.radii_m):
        gap = stored_gap(session, dataset, box, radius_m, settings.modes)
        return PopulationLayer(
            dataset.name, gap.parts, gap.total_population, gap.cell_side_m, radius_m, measure
        )
    if max(box_size_m(box)) > MAX_GAP_BOX_M:
        raise CoverageNotStored(dataset.name, int(radius_m))
    parts = coverage_gap(session, dataset, box, radius_m, srid, settings.modes)
    return _layer(dataset.name, parts, radius_m, measure)


def _whole_city_gap(
    session: Session, radius_m: float, settings: EvaluationSettings, name: str | None
) -> PopulationLayer:
    """The gap over the whole extent of the dataset named (else the latest one)."""
    dataset = current_population_dataset(session, name)
    state = stored_coverage_of(session, dataset, settings)
    if dataset is None or (state is not None and not state.extent):
        return PopulationLayer(None, [], radius_m=radius_m, measure=STRAIGHT_LINE)
    if state is None:
        raise CoverageNotStored(dataset.name, int(radius_m))
    whole = BoundingBox(*state.extent)
    return coverage_gap_layer(session, whole, radius_m, settings, dataset.name)


def _layer(dataset: str, parts: list[PopulationPart], radius_m: float, measure: str):
    total = sum(part.population for part in parts)
    return PopulationLayer(dataset, parts, total, None, radius_m, measure)


def _walking_gap(
    session: Session,
    box: BoundingBox,
    radius_m: float,
    settings: EvaluationSettings,
    name: str | None,
) -> PopulationLayer:
    dataset, _srid = _dataset_and_srid(session, box, name, settings.metric_srid)
    if dataset is None:
        return PopulationLayer(None, [], radius_m=radius_m, measure=WALK)
    lat, lon = box.centre_lat_lon
    network = covering_network(session, Point(lon, lat))
    if network is None:
        problem = _("No street network covers this area: import one with flask import-osm.")
        raise ValidationFailed({"measure": problem})
    gap = walking_coverage_gap(session, network, dataset, box, radius_m, settings.modes)
    return _layer(dataset.name, gap, radius_m, WALK)
