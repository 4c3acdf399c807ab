"""SQL building blocks spelt alike on both databases (what differs is in ``backends/``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement

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
