"""Stop requests near a point, nearest first, with their geodesic distance in metres."""

from __future__ import annotations

from shapely.geometry import Point
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from transitreq.backends import Backend, backend_of
from transitreq.geo.metric import box_around, point_literal
from transitreq.models import RequestStatus, StopRequest, Support


def requests_within_statement(
    backend: Backend,
    point: Point,
    radius_m: float,
    statuses: tuple[RequestStatus, ...],
    limit: int = 20,
) -> Select:
    """The query behind ``requests_within``; separate so tests can EXPLAIN it on each backend.

    The index narrows the search to a box around the circle; the geodesic distance then keeps
    only those truly inside it.
    """
    distance_m = backend.geodesic_distance_m(
        StopRequest.location, point_literal(point.x, point.y)
    ).label("distance_m")
    return (
        select(StopRequest, distance_m)
        .where(backend.in_box(StopRequest.location, box_around(point.x, point.y, radius_m)))
        .where(StopRequest.status.in_(statuses))
        .where(distance_m <= radius_m)
        .order_by(distance_m, StopRequest.id)
        .limit(limit)
    )


def requests_within(
    session: Session,
    point: Point,
    radius_m: float,
    statuses: tuple[RequestStatus, ...],
    limit: int = 20,
) -> list[tuple[StopRequest, float]]:
    """Requests with one of ``statuses`` within ``radius_m`` of ``point``, nearest first."""
    statement = requests_within_statement(backend_of(session), point, radius_m, statuses, limit)
    return [(stop_request, float(metres)) for stop_request, metres in session.execute(statement)]


def demand_within(
    session: Session, point: Point, radius_m: float, statuses: tuple[RequestStatus, ...]
) -> tuple[int, int]:
    """How many requests with one of ``statuses`` lie within ``radius_m``, and their supporters."""
    backend = backend_of(session)
    distance_m = backend.geodesic_distance_m(StopRequest.location, point_literal(point.x, point.y))
    supporters = (
        select(func.count(Support.id))
        .where(Support.request_id == StopRequest.id)
        .correlate(StopRequest)
        .scalar_subquery()
    )
    near = (
        select(StopRequest.id.label("id"), supporters.label("supporters"))
        .where(backend.in_box(StopRequest.location, box_around(point.x, point.y, radius_m)))
        .where(StopRequest.status.in_(statuses))
        .where(distance_m <= radius_m)
        .subquery()
    )
    requests, supporter_total = session.execute(
        select(func.count(near.c.id), func.coalesce(func.sum(near.c.supporters), 0))
    ).one()
    return int(requests), int(supporter_total)
