"""Which service area, if any, a point falls in."""

from __future__ import annotations

from shapely.geometry import Point
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transitreq.geo.metric import BoundingBox, point_literal
from transitreq.geo.spatial_index import in_box
from transitreq.geo.sql import intersects
from transitreq.models import ServiceArea


def area_containing(session: Session, point: Point) -> ServiceArea | None:
    """The service area that covers ``point`` (boundary included), or None."""
    dialect_name = session.get_bind().dialect.name
    point_box = BoundingBox(point.x, point.y, point.x, point.y)
    statement = (
        select(ServiceArea)
        .where(in_box(dialect_name, ServiceArea.boundary, point_box))
        .where(intersects(dialect_name, ServiceArea.boundary, point_literal(point.x, point.y)))
        .order_by(ServiceArea.id)
        .limit(1)
    )
    return session.scalars(statement).first()


def any_service_area(session: Session) -> bool:
    return session.scalar(select(func.count(ServiceArea.id))) > 0


def service_areas_extent(session: Session) -> BoundingBox | None:
    """The lon/lat box around all service areas, for framing maps; None when there are none."""
    # PostGIS names the bounding-box accessors ST_XMin…; SpatiaLite names them MbrMinX….
    if session.get_bind().dialect.name == "postgresql":
        accessors = (func.ST_XMin, func.ST_YMin, func.ST_XMax, func.ST_YMax)
    else:
        accessors = (func.MbrMinX, func.MbrMinY, func.MbrMaxX, func.MbrMaxY)
    min_x, min_y, max_x, max_y = (accessor(ServiceArea.boundary) for accessor in accessors)
    rows = session.execute(
        select(func.min(min_x), func.min(min_y), func.max(max_x), func.max(max_y))
    ).one()
    if rows[0] is None:
        return None
    return BoundingBox(*(float(value) for value in rows))
