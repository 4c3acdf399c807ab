"""Which service area, if any, a point falls in."""

from __future__ import annotations

from shapely.geometry import Point
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transitreq.backends import backend_of
from transitreq.geo.metric import BoundingBox, point_literal
from transitreq.models import ServiceArea


def area_containing(session: Session, point: Point) -> ServiceArea | None:
    """The service area that covers ``point`` (boundary included), or None."""
    backend = backend_of(session)
    point_box = BoundingBox(point.x, point.y, point.x, point.y)
    statement = (
        select(ServiceArea)
        .where(backend.in_box(ServiceArea.boundary, point_box))
        .where(backend.intersects(ServiceArea.boundary, point_literal(point.x, point.y)))
        .order_by(ServiceArea.id)
        .limit(1)
    )
    return session.scalars(statement).first()


def any_service_area(session: Session) -> bool:
    return session.scalar(select(func.count(ServiceArea.id))) > 0


def service_areas_extent(session: Session) -> BoundingBox | None:
    """The lon/lat box around all service areas, for framing maps; None when there are none."""
    min_x, min_y, max_x, max_y = backend_of(session).bounds(ServiceArea.boundary)
    rows = session.execute(
        select(func.min(min_x), func.min(min_y), func.max(max_x), func.max(max_y))
    ).one()
    if rows[0] is None:
        return None
    return BoundingBox(*(float(value) for value in rows))
