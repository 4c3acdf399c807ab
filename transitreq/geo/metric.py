"""Metres on the ellipsoid, and the degree boxes that let the spatial index find candidates."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import func
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

    @property
    def centre_lat_lon(self) -> tuple[float, float]:
        """The middle of the box as (lat, lon), the order maps are centred in."""
        return ((self.min_lat + self.max_lat) / 2, (self.min_lon + self.max_lon) / 2)


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
