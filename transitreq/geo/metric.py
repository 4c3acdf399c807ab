"""Metres on the ellipsoid, and the degree boxes that let the spatial index find candidates."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import cast, func
from sqlalchemy.sql.elements import ColumnElement

from transitreq.models import WGS84_SRID

# The fewest metres a degree of latitude spans (at the equator), and of longitude at the
# equator; dividing by these over-estimates the box in degrees, so no candidate is missed.
_MIN_METRES_PER_DEGREE_LAT = 110_574.0
_METRES_PER_DEGREE_LON_AT_EQUATOR = 111_320.0
# Rounding headroom on top of the conservative constants.
_BOX_MARGIN = 1.02


@dataclass(frozen=True)
class BoundingBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


def box_around(lon: float, lat: float, radius_m: float) -> BoundingBox:
    """A lon/lat box that surely contains every point within ``radius_m`` of (lon, lat)."""
    delta_lat = radius_m / _MIN_METRES_PER_DEGREE_LAT * _BOX_MARGIN
    widest_lat = min(abs(lat) + delta_lat, 89.9)
    delta_lon = min(
        radius_m
        / (_METRES_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(widest_lat)))
        * _BOX_MARGIN,
        180.0,
    )
    return BoundingBox(
        max(lon - delta_lon, -180.0),
        max(lat - delta_lat, -90.0),
        min(lon + delta_lon, 180.0),
        min(lat + delta_lat, 90.0),
    )


def point_literal(lon: float, lat: float) -> ColumnElement:
    """A WGS 84 point as a SQL expression, built the same way on both backends."""
    return func.ST_GeomFromText(f"POINT({lon!r} {lat!r})", WGS84_SRID)


def geodesic_distance_m(
    dialect_name: str, geometry: ColumnElement[Any], other: ColumnElement[Any]
) -> ColumnElement[float]:
    """Distance in metres on the WGS 84 ellipsoid between two SRID 4326 geometries.

    PostGIS measures geography on the spheroid; SpatiaLite's three-argument ``ST_Distance`` with
    ``use_ellipsoid = 1`` does the same geodesic computation, so both backends agree to the
    millimetre.
    """
    if dialect_name == "postgresql":
        return func.ST_Distance(cast(geometry, Geography), cast(other, Geography))
    return func.ST_Distance(geometry, other, 1)
