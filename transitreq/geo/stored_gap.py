"""The coverage gap from the stored coverage: for any box, up to the whole city.

Points beyond reach are those whose stored distances say no stop reaches them; polygons beyond
reach are the stored parts beyond every stop (``CoveragePart``, kind ``beyond``). A box with few
of them gets each one (a polygon's part clipped to the box, its people by the share of its
area inside); a box with more gets them summed into grid cells, a point by where it lies, a
polygon part by its centroid, so the map never receives more features than it can draw and a
whole city answers in one grouped scan. The total is the sum of what is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from pyproj import Geod
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Float, and_, cast, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from transitreq.backends import backend_of
from transitreq.geo.coverage import (
    MAX_POINT_FEATURES,
    PopulationPart,
    box_size_m,
    cell_side_m,
    gridded,
)
from transitreq.geo.metric import BoundingBox
from transitreq.geo.modes import ModeRules
from transitreq.models import BEYOND, POINTS, CoveragePart, PopulationDataset, PopulationUnit
from transitreq.models.population import nearest_stop_column

_WGS84 = Geod(ellps="WGS84")
# More polygon parts than this in a box are summed into grid cells.
MAX_POLYGON_FEATURES = 2000
# Beyond this width the rows are picked by their coordinates from the dataset's own rows, not
# through the spatial index: a box holding most of a city would make the index hand back
# nearly every row id, one by one.
_INDEXED_BOX_M = 20_000.0


@dataclass(frozen=True)
class GapLayer:
    parts: list[PopulationPart]
    total_population: float
    # The side of the grid cells when the gap was summed into cells, else None.
    cell_side_m: int | None


def beyond_reach(radius_m: float, rules: ModeRules) -> ColumnElement[bool]:
    """SQL on a ``PopulationUnit`` row: no stop reaches it at ``radius_m`` (no stop within the
    radius, and no station of a mode reaching farther within that mode's catchment)."""
    far_from = [(nearest_stop_column(None), float(radius_m))]
    far_from += [
        (nearest_stop_column(mode), float(metres))
        for mode, metres in sorted(rules.catchment_m.items())
        if metres > radius_m
    ]
    return and_(*(or_(column.is_(None), column > metres) for column, metres in far_from))


def _in_box(session: Session, geometry, box: BoundingBox) -> ColumnElement[bool]:
    backend = backend_of(session)
    if max(box_size_m(box)) <= _INDEXED_BOX_M:
        return backend.in_box(geometry, box)
    min_x, min_y, max_x, max_y = backend.bounds(geometry)
    return and_(
        max_x >= box.min_lon, min_x <= box.max_lon, max_y >= box.min_lat, min_y <= box.max_lat
    )


def _points_gap(
    session: Session, dataset: PopulationDataset, box: BoundingBox, radius_m: float, rules
) -> GapLayer:
    unit = PopulationUnit
    where = and_(
        unit.dataset_id == dataset.id,
        _in_box(session, unit.geom, box),
        beyond_reach(radius_m, rules),
    )
    count, total = session.execute(
        select(func.count(), func.coalesce(func.sum(unit.population), literal(0.0))).where(where)
    ).one()
    if count > MAX_POINT_FEATURES:
        points = select(unit.geom.label("geom"), unit.population.label("population")).where(where)
        return GapLayer(gridded(session, points.subquery(), box), float(total), cell_side_m(box))
    rows = session.execute(select(func.ST_AsBinary(unit.geom), unit.population).where(where))
    parts = [
        PopulationPart(shapely.from_wkb(bytes(blob)), float(people), 0.0, "point")
        for blob, people in rows
    ]
    return GapLayer(parts, float(total), None)


def _clipped(geometry, box: BoundingBox):
    """The geometry itself when it lies inside the box, else its part inside."""
    min_x, min_y, max_x, max_y = geometry.bounds
    if (
        min_x >= box.min_lon
        and max_x <= box.max_lon
        and min_y >= box.min_lat
        and max_y <= box.max_lat
    ):
        return geometry
    return shapely.clip_by_rect(geometry, box.min_lon, box.min_lat, box.max_lon, box.max_lat)


def _polygons_gap(
    session: Session, dataset: PopulationDataset, box: BoundingBox, radius_m: int
) -> GapLayer:
    part = CoveragePart
    where = and_(
        part.dataset_id == dataset.id,
        part.radius_m == int(radius_m),
        part.kind == BEYOND,
        _in_box(session, part.geom, box),
    )
    count = session.scalar(select(func.count()).where(where))
    if count > MAX_POLYGON_FEATURES:
        centres = select(
            func.ST_Centroid(part.geom).label("geom"), part.population.label("population")
        ).where(where)
        cells = gridded(session, centres.subquery(), box)
        return GapLayer(cells, sum(cell.population for cell in cells), cell_side_m(box))
    rows = session.execute(
        select(func.ST_AsBinary(part.geom), part.population, cast(part.area_m2, Float)).where(where)
    )
    parts = []
    for blob, people, area_m2 in rows:
        whole = shapely.from_wkb(bytes(blob))
        shape = _clipped(whole, box)
        if shape is whole:
            parts.append(PopulationPart(shape, float(people), float(area_m2) / 1e6, "polygon"))
            continue
        # Cut by the box: its people by the share of the part's area inside.
        inside_m2 = abs(_WGS84.geometry_area_perimeter(shape)[0]) if not shape.is_empty else 0.0
        whole_m2 = abs(_WGS84.geometry_area_perimeter(whole)[0])
        if inside_m2 > 0 and whole_m2 > 0:
            share = inside_m2 / whole_m2
            parts.append(
                PopulationPart(
                    shape, float(people) * share, float(area_m2) * share / 1e6, "polygon"
                )
            )
    return GapLayer(parts, sum(item.population for item in parts), None)


def stored_gap(
    session: Session,
    dataset: PopulationDataset,
    box: BoundingBox,
    radius_m: float,
    rules: ModeRules,
) -> GapLayer:
    """Where people in ``box`` live beyond reach of every stop at ``radius_m``, and how many,
    from an up-to-date store (the caller checks it is; polygons need ``radius_m`` stored)."""
    if dataset.geometry_kind == POINTS:
        return _points_gap(session, dataset, box, radius_m, rules)
    return _polygons_gap(session, dataset, box, int(radius_m))


@dataclass(frozen=True)
class UnservedUnit:
    """A population unit (or, for a polygon, its part) beyond reach of every stop."""

    unit_id: int
    geometry: BaseGeometry  # WGS 84: the point, or the polygon's part beyond reach
    population: float  # the people living in it
    nearest_stop_m: float | None  # metres to the nearest stop of any mode (None: no stop)


def unserved_units(
    session: Session,
    dataset: PopulationDataset,
    box: BoundingBox,
    radius_m: float,
    rules: ModeRules,
) -> list[UnservedUnit]:
    """Every unit in ``box`` beyond reach of every stop at ``radius_m``, one by one, from an
    up-to-date store (the caller checks it is; polygons need ``radius_m`` stored)."""
    unit = PopulationUnit
    if dataset.geometry_kind == POINTS:
        rows = session.execute(
            select(unit.id, func.ST_AsBinary(unit.geom), unit.population, unit.nearest_stop_m)
            .where(unit.dataset_id == dataset.id, _in_box(session, unit.geom, box))
            .where(beyond_reach(radius_m, rules))
            .order_by(unit.id)
        )
    else:
        part = CoveragePart
        rows = session.execute(
            select(part.unit_id, func.ST_AsBinary(part.geom), part.population, unit.nearest_stop_m)
            .join(unit, unit.id == part.unit_id)
            .where(
                part.dataset_id == dataset.id,
                part.radius_m == int(radius_m),
                part.kind == BEYOND,
                _in_box(session, part.geom, box),
            )
            .order_by(part.unit_id)
        )
    return [
        UnservedUnit(unit_id, shapely.from_wkb(bytes(blob)), float(people), nearest_m)
        for unit_id, blob, people, nearest_m in rows
    ]
