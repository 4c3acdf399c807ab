"""The rows each map layer draws, found through the spatial index when a box is given."""

from __future__ import annotations

from collections.abc import Sequence

import shapely
from shapely.geometry import MultiLineString
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from transitreq.geo.metric import BoundingBox
from transitreq.geo.spatial_index import in_box
from transitreq.geo.sql import clipped_to_box
from transitreq.models import RequestStatus, Route, RouteStop, Stop, StopRequest


def routes_with_paths(session: Session) -> list[Route]:
    return list(session.scalars(select(Route).where(Route.path.is_not(None)).order_by(Route.id)))


def stops_in(session: Session, box: BoundingBox | None = None) -> list[Stop]:
    """Stops, with the routes calling at each loaded alongside (one query for all of them)."""
    statement = (
        select(Stop)
        .options(selectinload(Stop.calls).selectinload(RouteStop.route))
        .order_by(Stop.id)
    )
    if box is not None:
        statement = statement.where(in_box(session.get_bind().dialect.name, Stop.location, box))
    return list(session.scalars(statement))


def requests_in(
    session: Session, statuses: Sequence[RequestStatus], box: BoundingBox | None = None
) -> list[StopRequest]:
    statement = select(StopRequest).where(StopRequest.status.in_(statuses)).order_by(StopRequest.id)
    if box is not None:
        statement = statement.where(
            in_box(session.get_bind().dialect.name, StopRequest.location, box)
        )
    return list(session.scalars(statement))


def routes_by_id(session: Session, route_ids: Sequence[int]) -> list[Route]:
    if not route_ids:
        return []
    return list(session.scalars(select(Route).where(Route.id.in_(route_ids)).order_by(Route.id)))


def route_lines_in_box(
    session: Session, route_ids: Sequence[int], box: BoundingBox
) -> dict[int, BaseGeometry]:
    """Each route's line cut to ``box``: a site's map needs the nearby part, not the whole city."""
    if not route_ids:
        return {}
    dialect_name = session.get_bind().dialect.name
    rows = session.execute(
        select(Route.id, func.ST_AsBinary(clipped_to_box(dialect_name, Route.path, box))).where(
            Route.id.in_(route_ids)
        )
    )
    return {
        route_id: lines
        for route_id, blob in rows
        if blob and (lines := _as_multilinestring(shapely.from_wkb(bytes(blob)))) is not None
    }


def _as_multilinestring(geometry: BaseGeometry) -> MultiLineString | None:
    """The line parts of a clipped geometry (cutting may leave one line, several, or points)."""
    parts = [part for part in shapely.get_parts(geometry) if part.geom_type == "LineString"]
    return MultiLineString(parts) if parts else None
