"""The geometry parts of the planners' request queue: positions, districts, area extents."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Float, and_, cast, false, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from transitreq.backends import Backend, backend_of
from transitreq.geo.metric import BoundingBox
from transitreq.geo.sql import SqlGeometry
from transitreq.models import ServiceArea, StopRequest

# Well under SQLite's and PostgreSQL's limits on the parameters of one statement.
_IDS_PER_STATEMENT = 5000


def request_lon_lat() -> tuple[ColumnElement[float], ColumnElement[float]]:
    """A request's longitude and latitude as plain numbers, so no geometry leaves the database."""
    return (
        cast(func.ST_X(StopRequest.location), Float).label("lon"),
        cast(func.ST_Y(StopRequest.location), Float).label("lat"),
    )


def area_extent(session: Session, name: str) -> BoundingBox | None:
    """The lon/lat box around the service area called ``name``; None when there is none."""
    row = session.execute(
        select(*backend_of(session).bounds(ServiceArea.boundary)).where(ServiceArea.name == name)
    ).first()
    return BoundingBox(*(float(value) for value in row)) if row else None


def in_area_named(
    backend: Backend, name: str, location: SqlGeometry = StopRequest.location
) -> ColumnElement[bool]:
    """True for requests whose pin lies in the service area called ``name`` (edge included);
    or for whatever point ``location`` gives, such as a stop project's site."""
    boundary = select(ServiceArea.boundary).where(ServiceArea.name == name).scalar_subquery()
    return backend.intersects(location, boundary)


def in_district(
    session: Session, name: str, location: SqlGeometry = StopRequest.location
) -> ColumnElement[bool]:
    """``in_area_named``, with the district's bounding box first so that both databases find
    the candidate rows through the spatial index (SpatiaLite never does for a bare
    ST_Intersects); false for a district that does not exist."""
    extent = area_extent(session, name)
    if extent is None:
        return false()
    backend = backend_of(session)
    return and_(backend.in_box(location, extent), in_area_named(backend, name, location))


def districts_of(session: Session, request_ids: Sequence[int]) -> dict[int, str]:
    """The name of the (first) service area containing each request's pin.

    Service areas are few, so each of the requests asked about is tested against them directly;
    the ids go in batches, as an export may ask about more than a statement takes parameters.
    """
    backend = backend_of(session)
    districts: dict[int, str] = {}
    for start in range(0, len(request_ids), _IDS_PER_STATEMENT):
        rows = session.execute(
            select(StopRequest.id, ServiceArea.name)
            .join(ServiceArea, backend.intersects(ServiceArea.boundary, StopRequest.location))
            .where(StopRequest.id.in_(request_ids[start : start + _IDS_PER_STATEMENT]))
            .order_by(StopRequest.id, ServiceArea.id)
        )
        for request_id, name in rows:
            districts.setdefault(request_id, name)
    return districts
