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
from sqlalchemy import Float, Integer, Select, cast, func, literal, select
from sqlalchemy.orm import Session

from transitreq.geo.metric import BoundingBox, box_around
from transitreq.geo.spatial_index import in_box
from transitreq.geo.sql import SqlGeometry, circle, intersects, metric
from transitreq.models import POINTS, WGS84_SRID, PopulationDataset, PopulationUnit, Stop

_WGS84 = Geod(ellps="WGS84")
# More points than this in a box are summed into grid cells instead of sent one by one.
MAX_POINT_FEATURES = 1500
# Grid cell sides tried in turn until the box is at most this many cells wide and tall.
_CELL_SIDES_M = (100, 250, 500, 1000, 2000, 5000)
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


def _envelope(dialect_name: str, box: BoundingBox) -> SqlGeometry:
    corners = (box.min_lon, box.min_lat, box.max_lon, box.max_lat, WGS84_SRID)
    if dialect_name == "postgresql":
        return func.ST_MakeEnvelope(*corners)
    return func.BuildMbr(*corners)


def _units_in(dialect_name: str, dataset: PopulationDataset, box: BoundingBox):
    return (PopulationUnit.dataset_id == dataset.id) & in_box(
        dialect_name, PopulationUnit.geom, box
    )


def _cell_side_m(box: BoundingBox) -> int:
    width_m, height_m = box_size_m(box)
    widest_m = max(width_m, height_m)
    return next(
        (side for side in _CELL_SIDES_M if widest_m / side <= _MAX_CELLS_ACROSS),
        _CELL_SIDES_M[-1],
    )


def _cell_index(dialect_name: str, offset, step: float):
    """Which cell an offset from the box's edge falls in (offsets inside the box are ≥ 0)."""
    if dialect_name == "postgresql":
        return cast(func.floor(offset / step), Integer)
    # SQLite truncates towards zero when casting, which is floor for non-negative offsets.
    return cast(offset / step, Integer)


def _gridded(session: Session, points, box: BoundingBox) -> list[PopulationPart]:
    """The (geom, population) rows of the ``points`` subquery summed per grid cell, in SQL.

    Cells are laid out in degrees from the box's south-west corner, sized in metres at its middle
    latitude; each cell's area is then measured on the ellipsoid, so densities stay honest.
    """
    dialect_name = session.get_bind().dialect.name
    side_m = _cell_side_m(box)
    middle_lat = (box.min_lat + box.max_lat) / 2
    step_lat = side_m / 111_132.0
    step_lon = side_m / (111_320.0 * math.cos(math.radians(middle_lat)))
    column = _cell_index(dialect_name, func.ST_X(points.c.geom) - box.min_lon, step_lon)
    row = _cell_index(dialect_name, func.ST_Y(points.c.geom) - box.min_lat, step_lat)
    statement = select(
        column.label("col"), row.label("row"), func.sum(points.c.population)
    ).group_by(column, row)
    parts = []
    for col, row_number, people in session.execute(statement):
        cell = shapely_box(
            box.min_lon + col * step_lon,
            box.min_lat + row_number * step_lat,
            box.min_lon + (col + 1) * step_lon,
            box.min_lat + (row_number + 1) * step_lat,
        )
        area_km2 = abs(_WGS84.geometry_area_perimeter(cell)[0]) / 1e6
        parts.append(PopulationPart(cell, float(people or 0.0), area_km2, "cell"))
    return parts


def _points_or_grid(session: Session, points: Select, box: BoundingBox) -> list[PopulationPart]:
    """Points one by one, or summed into grid cells when there are too many to draw."""
    rows = points.subquery()
    if session.scalar(select(func.count()).select_from(rows)) > MAX_POINT_FEATURES:
        return _gridded(session, rows, box)
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
    dialect_name = session.get_bind().dialect.name
    in_view = _units_in(dialect_name, dataset, box)
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


def _stop_circles(dialect_name: str, box: BoundingBox, radius_m: float, srid: int):
    """The union of ``radius_m`` circles (metric CRS) around every stop that can reach ``box``."""
    return (
        select(func.ST_Union(circle(metric(Stop.location, srid), radius_m)))
        .where(in_box(dialect_name, Stop.location, grown(box, radius_m)))
        .scalar_subquery()
    )


def _any_stop_reaches(session: Session, box: BoundingBox, radius_m: float) -> bool:
    dialect_name = session.get_bind().dialect.name
    statement = select(Stop.id).where(in_box(dialect_name, Stop.location, grown(box, radius_m)))
    return session.scalar(statement.limit(1)) is not None


def coverage_gap(
    session: Session, dataset: PopulationDataset, box: BoundingBox, radius_m: float, srid: int
) -> list[PopulationPart]:
    """Where people in ``box`` live beyond ``radius_m`` of every stop, and how many.

    Polygons: each unit's part inside the box less the stop circles, with the unit's population
    weighted by that part's share of the unit's area. Points: those in the box outside every
    circle (summed into a grid when many). With no stop in reach the whole box is a gap.
    """
    dialect_name = session.get_bind().dialect.name
    covered = _stop_circles(dialect_name, box, radius_m, srid)
    any_stop = _any_stop_reaches(session, box, radius_m)
    in_view = _units_in(dialect_name, dataset, box)
    if dataset.geometry_kind == POINTS:
        points = select(
            PopulationUnit.geom.label("geom"), PopulationUnit.population.label("population")
        ).where(in_view)
        if any_stop:
            covered_wgs84 = select(func.ST_Transform(covered, WGS84_SRID)).scalar_subquery()
            points = points.where(~intersects(dialect_name, PopulationUnit.geom, covered_wgs84))
        return _points_or_grid(session, points, box)
    return _polygon_gap(session, dataset, box, covered if any_stop else None, srid)


def _polygon_gap(
    session: Session,
    dataset: PopulationDataset,
    box: BoundingBox,
    covered: SqlGeometry | None,
    srid: int,
) -> list[PopulationPart]:
    dialect_name = session.get_bind().dialect.name
    inside_box = metric(
        func.ST_Intersection(PopulationUnit.geom, _envelope(dialect_name, box)), srid
    )
    gap = func.ST_Difference(inside_box, covered) if covered is not None else inside_box
    # Materialised so each unit's gap is computed once, then measured and transformed.
    parts = (
        select(
            PopulationUnit.population.label("population"),
            func.ST_Area(metric(PopulationUnit.geom, srid)).label("unit_area_m2"),
            gap.label("gap"),
        )
        .where(_units_in(dialect_name, dataset, box))
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
