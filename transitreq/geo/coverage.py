"""Where people live in a map box, and where they live beyond walking distance of every stop.

Both answer for one bounding box at a time and find their rows through the spatial index.
Polygons come back as they are (density = people per km² of the whole unit); many points are
summed into a grid of square-ish cells, so the browser never receives tens of thousands of dots.
The coverage gap is computed in the metric CRS: each unit's part inside the box, less the union
of walking circles around the stops that can reach into the box (the same circles and areal
weighting as ``geo/catchment.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import shapely
from pyproj import Geod
from shapely.geometry import box as shapely_box
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Float, Select, cast, func, literal, select
from sqlalchemy.orm import Session

from transitreq.backends import Backend, backend_of
from transitreq.geo.metric import BoundingBox, box_around
from transitreq.geo.modes import ModeRules, stop_reach_m
from transitreq.geo.sql import CIRCLE_QUADRANT_SEGMENTS, SqlGeometry, metric
from transitreq.models import POINTS, WGS84_SRID, PopulationDataset, PopulationUnit, Stop

_WGS84 = Geod(ellps="WGS84")
# More points than this in a box are summed into grid cells instead of sent one by one.
MAX_POINT_FEATURES = 1500
# Grid cell sides tried in turn until the box is at most this many cells wide and tall; a box
# wider still gets cells of whole kilometres, so any box answers with at most 60 × 60 cells.
_CELL_SIDES_M = (100, 250, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000)
_MAX_CELLS_ACROSS = 60


@dataclass(frozen=True)
class PopulationPart:
    """A unit (or grid cell, or the uncovered part of one) with the people living in it."""

    geometry: BaseGeometry  # WGS 84
    population: float
    area_km2: float
    # "polygon", "point" or "cell" (points summed into a grid cell).
    kind: str

    @property
    def people_per_km2(self) -> float | None:
        return self.population / self.area_km2 if self.area_km2 > 0 else None


def box_size_m(box: BoundingBox) -> tuple[float, float]:
    """Width and height of a lon/lat box in metres (geodesic, along its middle lines)."""
    middle_lat = (box.min_lat + box.max_lat) / 2
    middle_lon = (box.min_lon + box.max_lon) / 2
    width_m = _WGS84.inv(box.min_lon, middle_lat, box.max_lon, middle_lat)[2]
    height_m = _WGS84.inv(middle_lon, box.min_lat, middle_lon, box.max_lat)[2]
    return width_m, height_m


def grown(box: BoundingBox, metres: float) -> BoundingBox:
    """``box`` widened on every side so it holds every point within ``metres`` of it."""
    lower = box_around(box.min_lon, box.min_lat, metres)
    upper = box_around(box.max_lon, box.max_lat, metres)
    return BoundingBox(lower.min_lon, lower.min_lat, upper.max_lon, upper.max_lat)


def _units_in(backend: Backend, dataset: PopulationDataset, box: BoundingBox):
    return (PopulationUnit.dataset_id == dataset.id) & backend.in_box(PopulationUnit.geom, box)


def cell_side_m(box: BoundingBox) -> int:
    """The side of the grid cells points in ``box`` are summed into."""
    width_m, height_m = box_size_m(box)
    widest_m = max(width_m, height_m)
    return next(
        (side for side in _CELL_SIDES_M if widest_m / side <= _MAX_CELLS_ACROSS),
        int(math.ceil(widest_m / _MAX_CELLS_ACROSS / 1000.0)) * 1000,
    )


def _cell_index(backend: Backend, offset, step: float):
    """Which cell an offset from the box's edge falls in (offsets inside the box are ≥ 0)."""
    return backend.floor_to_int(offset / step)


def _grid_steps(box: BoundingBox) -> tuple[float, float]:
    """Degrees of longitude and latitude a grid cell spans: its side in metres at the box's
    middle latitude, laid out from the box's south-west corner."""
    side_m = cell_side_m(box)
    middle_lat = (box.min_lat + box.max_lat) / 2
    return side_m / (111_320.0 * math.cos(math.radians(middle_lat))), side_m / 111_132.0


def _cell_part(box: BoundingBox, column: int, row: int, people: float) -> PopulationPart:
    """One grid cell with the people summed into it; its area is measured on the ellipsoid, so
    densities stay honest."""
    step_lon, step_lat = _grid_steps(box)
    cell = shapely_box(
        box.min_lon + column * step_lon,
        box.min_lat + row * step_lat,
        box.min_lon + (column + 1) * step_lon,
        box.min_lat + (row + 1) * step_lat,
    )
    area_km2 = abs(_WGS84.geometry_area_perimeter(cell)[0]) / 1e6
    return PopulationPart(cell, float(people or 0.0), area_km2, "cell")


def gridded(session: Session, points, box: BoundingBox) -> list[PopulationPart]:
    """The (geom, population) rows of the ``points`` subquery summed per grid cell, in SQL
    (points outside ``box`` are left out)."""
    backend = backend_of(session)
    step_lon, step_lat = _grid_steps(box)
    column = _cell_index(backend, func.ST_X(points.c.geom) - box.min_lon, step_lon)
    row = _cell_index(backend, func.ST_Y(points.c.geom) - box.min_lat, step_lat)
    x, y = func.ST_X(points.c.geom), func.ST_Y(points.c.geom)
    statement = (
        select(column.label("col"), row.label("row"), func.sum(points.c.population))
        .where(x >= box.min_lon, x <= box.max_lon, y >= box.min_lat, y <= box.max_lat)
        .group_by(column, row)
    )
    return [
        _cell_part(box, col, row_number, people)
        for col, row_number, people in session.execute(statement)
    ]


def points_or_grid(
    points: list[tuple[BaseGeometry, float]], box: BoundingBox
) -> list[PopulationPart]:
    """Points already read (geometry, people), one by one or, when too many to draw, summed
    into the same grid cells as ``gridded`` sums them in SQL."""
    if len(points) <= MAX_POINT_FEATURES:
        return [PopulationPart(point, float(people), 0.0, "point") for point, people in points]
    step_lon, step_lat = _grid_steps(box)
    cells: dict[tuple[int, int], float] = {}
    for point, people in points:
        key = (int((point.x - box.min_lon) // step_lon), int((point.y - box.min_lat) // step_lat))
        cells[key] = cells.get(key, 0.0) + float(people)
    return [_cell_part(box, col, row, people) for (col, row), people in cells.items()]


def _points_or_grid(session: Session, points: Select, box: BoundingBox) -> list[PopulationPart]:
    """Points one by one, or summed into grid cells when there are too many to draw."""
    rows = points.subquery()
    if session.scalar(select(func.count()).select_from(rows)) > MAX_POINT_FEATURES:
        return gridded(session, rows, box)
    statement = select(func.ST_AsBinary(rows.c.geom), rows.c.population)
    return [
        PopulationPart(shapely.from_wkb(bytes(blob)), float(people), 0.0, "point")
        for blob, people in session.execute(statement)
    ]


def population_density(
    session: Session, dataset: PopulationDataset, box: BoundingBox, srid: int
) -> list[PopulationPart]:
    """The dataset's units meeting ``box``: polygons whole with their area, points as they are
    (or summed into a grid when there are more than MAX_POINT_FEATURES)."""
    backend = backend_of(session)
    in_view = _units_in(backend, dataset, box)
    if dataset.geometry_kind == POINTS:
        points = select(
            PopulationUnit.geom.label("geom"), PopulationUnit.population.label("population")
        ).where(in_view)
        return _points_or_grid(session, points, box)
    statement = select(
        func.ST_AsBinary(PopulationUnit.geom),
        PopulationUnit.population,
        cast(func.ST_Area(metric(PopulationUnit.geom, srid)), Float),
    ).where(in_view)
    return [
        PopulationPart(
            shapely.from_wkb(bytes(blob)), float(people), float(area_m2) / 1e6, "polygon"
        )
        for blob, people, area_m2 in session.execute(statement)
    ]


def _polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """The areal parts of a clipped geometry: cutting can leave slivers of line or point too."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    flat = shapely.get_parts(shapely.get_parts(geometry))
    parts = [part for part in flat if part.geom_type == "Polygon"]
    return shapely.MultiPolygon(parts)


def _stop_circles(backend: Backend, box: BoundingBox, radius_m: float, srid: int, rules: ModeRules):
    """The union of the circles (metric CRS) every stop that can reach ``box`` serves, each as
    far as its modes reach (at least ``radius_m``)."""
    reach_m = stop_reach_m(rules, radius_m)
    return (
        select(
            func.ST_Union(
                func.ST_Buffer(metric(Stop.location, srid), reach_m, CIRCLE_QUADRANT_SEGMENTS)
            )
        )
        .where(backend.in_box(Stop.location, grown(box, rules.farthest_reach_m(radius_m))))
        .scalar_subquery()
    )


def _any_stop_reaches(session: Session, box: BoundingBox, reach_m: float) -> bool:
    backend = backend_of(session)
    statement = select(Stop.id).where(backend.in_box(Stop.location, grown(box, reach_m)))
    return session.scalar(statement.limit(1)) is not None


def coverage_gap(
    session: Session,
    dataset: PopulationDataset,
    box: BoundingBox,
    radius_m: float,
    srid: int,
    rules: ModeRules,
) -> list[PopulationPart]:
    """Where people in ``box`` live beyond ``radius_m`` of every stop (beyond its mode's
    catchment for stations that reach farther), and how many.

    Polygons: each unit's part inside the box less the stop circles, with the unit's population
    weighted by that part's share of the unit's area. Points: those in the box outside every
    circle (summed into a grid when many). With no stop in reach the whole box is a gap.
    """
    backend = backend_of(session)
    covered = _stop_circles(backend, box, radius_m, srid, rules)
    any_stop = _any_stop_reaches(session, box, rules.farthest_reach_m(radius_m))
    in_view = _units_in(backend, dataset, box)
    if dataset.geometry_kind == POINTS:
        points = select(
            PopulationUnit.geom.label("geom"), PopulationUnit.population.label("population")
        ).where(in_view)
        if any_stop:
            covered_wgs84 = select(func.ST_Transform(covered, WGS84_SRID)).scalar_subquery()
            points = points.where(~backend.intersects(PopulationUnit.geom, covered_wgs84))
        return _points_or_grid(session, points, box)
    return _polygon_gap(session, dataset, box, covered if any_stop else None, srid)


def _polygon_gap(
    session: Session,
    dataset: PopulationDataset,
    box: BoundingBox,
    covered: SqlGeometry | None,
    srid: int,
) -> list[PopulationPart]:
    backend = backend_of(session)
    inside_box = metric(func.ST_Intersection(PopulationUnit.geom, backend.envelope(box)), srid)
    gap = func.ST_Difference(inside_box, covered) if covered is not None else inside_box
    # Materialised so each unit's gap is computed once, then measured and transformed.
    parts = (
        select(
            PopulationUnit.population.label("population"),
            func.ST_Area(metric(PopulationUnit.geom, srid)).label("unit_area_m2"),
            gap.label("gap"),
        )
        .where(_units_in(backend, dataset, box))
        .cte("gap_parts")
        .prefix_with("MATERIALIZED")
    )
    gap_area_m2 = cast(func.ST_Area(parts.c.gap), Float)
    statement = select(
        parts.c.population,
        parts.c.unit_area_m2,
        gap_area_m2,
        func.ST_AsBinary(func.ST_Transform(parts.c.gap, WGS84_SRID)),
    ).where(gap_area_m2 > literal(0.0))
    results = []
    for people, unit_area_m2, area_m2, blob in session.execute(statement):
        if not blob or not unit_area_m2:
            continue
        share = float(area_m2) / float(unit_area_m2)
        results.append(
            PopulationPart(
                _polygonal(shapely.from_wkb(bytes(blob))),
                float(people) * share,
                float(area_m2) / 1e6,
                "polygon",
            )
        )
    return results
