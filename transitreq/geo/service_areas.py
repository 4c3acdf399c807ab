"""Which service area, if any, a point falls in."""

from __future__ import annotations

from functools import lru_cache

from shapely.geometry import Point
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, defer

from transitreq.backends import Backend, backend_of
from transitreq.geo.bound_site import bound_box, bound_site, site_values
from transitreq.geo.metric import BoundingBox
from transitreq.models import ServiceArea


@lru_cache(maxsize=4)
def area_containing_statement(backend: Backend) -> Select:
    # The boundary is read only if a caller asks for it: a city's is hundreds of kilobytes.
    return (
        select(ServiceArea)
        .options(defer(ServiceArea.boundary))
        .where(backend.in_box(ServiceArea.boundary, bound_box()))
        .where(backend.intersects(ServiceArea.boundary, bound_site()))
        .order_by(ServiceArea.id)
        .limit(1)
    )


def area_containing(session: Session, point: Point) -> ServiceArea | None:
    """The service area that covers ``point`` (boundary included), or None."""
    statement = area_containing_statement(backend_of(session))
    return session.scalars(statement, site_values(point, 0.0)).first()


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
