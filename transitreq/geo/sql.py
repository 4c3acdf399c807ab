"""SQL building blocks whose spelling differs between PostGIS and SpatiaLite."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement

from transitreq.geo.metric import BoundingBox

# Segments per quarter circle when a catchment circle becomes a polygon: 32 keeps the polygon's
# area within 0.04 % of the true circle, and naming it makes both backends draw the same one.
CIRCLE_QUADRANT_SEGMENTS = 32


# A geometry in SQL: a mapped geometry column or any expression built from one.
SqlGeometry = ColumnElement[Any]


def metric(geometry: SqlGeometry, srid: int) -> SqlGeometry:
    """A WGS 84 geometry expression in the metric CRS ``srid``."""
    return func.ST_Transform(geometry, srid)


def circle(centre_metric: SqlGeometry, radius_m: float) -> SqlGeometry:
    return func.ST_Buffer(centre_metric, radius_m, CIRCLE_QUADRANT_SEGMENTS)


def line_locate_point(dialect_name: str, line: SqlGeometry, point: SqlGeometry) -> ColumnElement:
    """Fraction (0–1) along ``line`` of the point on it nearest to ``point``."""
    if dialect_name == "postgresql":
        return func.ST_LineLocatePoint(line, point)
    return func.ST_Line_Locate_Point(line, point)


def is_true(dialect_name: str, predicate: ColumnElement[Any]) -> ColumnElement[bool]:
    """A spatial predicate as a boolean: SpatiaLite answers 1, 0 or -1 (error)."""
    return predicate if dialect_name == "postgresql" else predicate == 1


def intersects(dialect_name: str, geometry: SqlGeometry, other: SqlGeometry) -> ColumnElement[bool]:
    return is_true(dialect_name, func.ST_Intersects(geometry, other))


def clipped_to_box(dialect_name: str, geometry: SqlGeometry, box: BoundingBox) -> SqlGeometry:
    """The part of a WGS 84 geometry inside ``box``: long lines are cut before projecting.

    Every point within a search radius of a site lies in the box around that circle, so the
    distance from the site to the clipped line equals the distance to the whole line whenever
    it is within the radius.
    """
    if dialect_name == "postgresql":
        envelope = func.ST_MakeEnvelope(box.min_lon, box.min_lat, box.max_lon, box.max_lat, 4326)
        return func.ST_ClipByBox2D(geometry, envelope)
    envelope = func.BuildMbr(box.min_lon, box.min_lat, box.max_lon, box.max_lat, 4326)
    return func.ST_Intersection(geometry, envelope)
