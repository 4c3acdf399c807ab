"""A site, the box around it, a radius and the metric CRS as bound parameters.

A planner's evaluation runs a dozen statements for every site, and a resident's filing several
more. Built from expressions on each call, SQLAlchemy spends more time assembling and hashing
them than the database spends answering. Statements written with these placeholders are built
once per shape (``functools.lru_cache`` on the builder), compiled once, and run with the values
``site_values`` (or ``box_values``) gives, so each call pays only for the query itself.
"""

from __future__ import annotations

from typing import Any

from shapely.geometry import Point
from sqlalchemy import Float, Integer, String, bindparam, cast, func
from sqlalchemy.sql.elements import ColumnElement

from transitreq.geo.metric import BoundingBox, box_around
from transitreq.geo.sql import CIRCLE_QUADRANT_SEGMENTS, SqlGeometry
from transitreq.models import WGS84_SRID


def bound_box() -> BoundingBox:
    """The search box: ``min_lon``, ``min_lat``, ``max_lon``, ``max_lat``."""
    return BoundingBox(
        bindparam("min_lon", type_=Float),
        bindparam("min_lat", type_=Float),
        bindparam("max_lon", type_=Float),
        bindparam("max_lat", type_=Float),
    )


def bound_site() -> SqlGeometry:
    """The site in WGS 84, from ``site_wkt``."""
    return func.ST_GeomFromText(bindparam("site_wkt", type_=String), WGS84_SRID)


def bound_srid() -> ColumnElement[int]:
    """The metric CRS, from ``srid`` (cast, so both drivers send it as a whole number)."""
    return cast(bindparam("srid", type_=Integer), Integer)


def bound_radius_m() -> ColumnElement[float]:
    """The radius in metres, from ``radius_m``."""
    return cast(bindparam("radius_m", type_=Float), Float)


def bound_site_metric() -> SqlGeometry:
    """The site in the metric CRS."""
    return func.ST_Transform(bound_site(), bound_srid())


def bound_circle_metric() -> SqlGeometry:
    """The catchment circle in the metric CRS, drawn as every catchment is
    (``CIRCLE_QUADRANT_SEGMENTS``)."""
    return func.ST_Buffer(bound_site_metric(), bound_radius_m(), CIRCLE_QUADRANT_SEGMENTS)


def box_values(box: BoundingBox) -> dict[str, float]:
    """The values for ``bound_box``."""
    return {
        "min_lon": box.min_lon,
        "min_lat": box.min_lat,
        "max_lon": box.max_lon,
        "max_lat": box.max_lat,
    }


def site_values(site: Point, radius_m: float, srid: int = 0) -> dict[str, Any]:
    """The values for every bound parameter above: the site, ``radius_m`` and the box holding
    every point within it, and ``srid``."""
    return {
        "site_wkt": f"POINT({site.x!r} {site.y!r})",
        "srid": srid,
        "radius_m": float(radius_m),
        **box_values(box_around(site.x, site.y, radius_m)),
    }
