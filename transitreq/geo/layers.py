"""The rows each map layer draws, found through the spatial index when a box is given."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from transitreq.geo.metric import BoundingBox
from transitreq.geo.spatial_index import in_box
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
