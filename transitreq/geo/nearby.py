"""Stop requests near a point, nearest first, with their geodesic distance in metres."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from shapely.geometry import Point
from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.orm import Session

from transitreq.backends import Backend, backend_of
from transitreq.db import execute_built
from transitreq.geo.bound_site import bound_box, bound_radius_m, bound_site, site_values
from transitreq.models import RequestStatus, StopRequest


@lru_cache(maxsize=4)
def requests_within_statement(backend: Backend) -> Select:
    """Requests whose status is one of ``statuses`` within ``radius_m`` of the site, nearest
    first, at most ``limit`` (bound parameters: ``site_values`` and those three).

    The index narrows the search to the box around the circle; the geodesic distance then keeps
    only those truly inside it. Separate so tests can EXPLAIN it on each backend.
    """
    distance_m = backend.geodesic_distance_m(StopRequest.location, bound_site()).label("distance_m")
    return (
        select(StopRequest, distance_m)
        .where(backend.in_box(StopRequest.location, bound_box()))
        .where(StopRequest.status.in_(bindparam("statuses", expanding=True)))
        .where(distance_m <= bound_radius_m())
        .order_by(distance_m, StopRequest.id)
        .limit(bindparam("limit", type_=Integer))
    )


def requests_within_values(
    point: Point, radius_m: float, statuses: tuple[RequestStatus, ...], limit: int = 20
) -> dict[str, Any]:
    """The values for ``requests_within_statement``."""
    return {
        **site_values(point, radius_m),
        "statuses": list(statuses),
        "limit": limit,
    }


def requests_within(
    session: Session,
    point: Point,
    radius_m: float,
    statuses: tuple[RequestStatus, ...],
    limit: int = 20,
) -> list[tuple[StopRequest, float]]:
    """Requests with one of ``statuses`` within ``radius_m`` of ``point``, nearest first."""
    rows = session.execute(
        requests_within_statement(backend_of(session)),
        requests_within_values(point, radius_m, statuses, limit),
    )
    return [(stop_request, float(metres)) for stop_request, metres in rows]


@lru_cache(maxsize=4)
def demand_statement(backend: Backend) -> Select:
    distance_m = backend.geodesic_distance_m(StopRequest.location, bound_site())
    near = (
        select(StopRequest.id.label("id"), StopRequest.supporter_count.label("supporters"))
        .where(backend.in_box(StopRequest.location, bound_box()))
        .where(StopRequest.status.in_(bindparam("statuses", expanding=True)))
        .where(distance_m <= bound_radius_m())
        .subquery()
    )
    return select(func.count(near.c.id), func.coalesce(func.sum(near.c.supporters), 0))


def demand_within(
    session: Session, point: Point, radius_m: float, statuses: tuple[RequestStatus, ...]
) -> tuple[int, int]:
    """How many requests with one of ``statuses`` lie within ``radius_m``, and their supporters."""
    requests, supporter_total = execute_built(
        session,
        demand_statement(backend_of(session)),
        requests_within_values(point, radius_m, statuses),
    ).one()
    return int(requests), int(supporter_total)
