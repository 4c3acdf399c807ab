"""The rows each map layer draws, found through the spatial index when a box is given; with a
zoom, points counted per grid cell (``geo/clusters.py``) and lines simplified to what the zoom
shows."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import shapely
from shapely.geometry import MultiLineString
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, defer, selectinload
from sqlalchemy.sql.elements import ColumnElement

from transitreq.backends import backend_of
from transitreq.geo.clusters import Cluster, clusters_in_box, degrees_per_pixel, point_in_box
from transitreq.geo.metric import BoundingBox
from transitreq.models import RequestStatus, Route, RouteStop, Stop, StopRequest

Row = TypeVar("Row")
# From this zoom (streets and houses) a view's points are all shown one by one when they are at
# most MAX_POINTS_SHOWN_ALONE; below it, or when more, a cell's points are one bubble (a cell
# with a single point still shows the point).
ZOOM_SHOWING_EVERY_POINT = 16
MAX_POINTS_SHOWN_ALONE = 500


def routes_with_paths(session: Session) -> list[Route]:
    return list(session.scalars(select(Route).where(Route.path.is_not(None)).order_by(Route.id)))


def stops_in(
    session: Session, box: BoundingBox | None = None, limit: int | None = None
) -> list[Stop]:
    """Stops, with the routes calling at each loaded alongside (one query for all of them);
    at most ``limit`` of them when given (ask for one more to learn that there are more)."""
    statement = _stops_with_routes().limit(limit)
    if box is not None:
        statement = statement.where(backend_of(session).in_box(Stop.location, box))
    return list(session.scalars(statement))


def _stops_with_routes() -> Select[tuple[Stop]]:
    """Stops, with the routes calling at each loaded alongside (one query for all of them)."""
    return (
        select(Stop)
        .options(selectinload(Stop.calls).selectinload(RouteStop.route), selectinload(Stop.modes))
        .order_by(Stop.id)
    )


def requests_in(
    session: Session,
    statuses: Sequence[RequestStatus],
    box: BoundingBox | None = None,
    limit: int | None = None,
) -> list[StopRequest]:
    statement = (
        select(StopRequest)
        .where(StopRequest.status.in_(statuses))
        .order_by(StopRequest.id)
        .limit(limit)
    )
    if box is not None:
        statement = statement.where(backend_of(session).in_box(StopRequest.location, box))
    return list(session.scalars(statement))


@dataclass(frozen=True)
class PointsForZoom(Generic[Row]):
    """A point layer at one zoom: the points shown one by one (``rows``) and the bubbles of
    several (``clusters``); together they hold ``total`` points, all in the box."""

    rows: list[Row]
    clusters: list[Cluster]
    total: int


def points_for_zoom(
    session: Session,
    location: InstrumentedAttribute[Any],
    row_id: InstrumentedAttribute[int],
    where: Sequence[ColumnElement[bool]],
    box: BoundingBox,
    zoom: int,
    load: Callable[[Session, ColumnElement[bool]], list[Row]],
) -> PointsForZoom[Row]:
    """A point layer for the map at ``zoom``: one grouped query counts the points per cell,
    then ``load`` reads in full only the points shown alone (those its condition picks).
    The answer's size depends on the screen, not on how many points the city holds."""
    cells = clusters_in_box(session, location, row_id, box, zoom, where)
    total = sum(cell.count for cell in cells)
    if zoom >= ZOOM_SHOWING_EVERY_POINT and total <= MAX_POINTS_SHOWN_ALONE:
        every_point = and_(point_in_box(session, location, box), *where)
        return PointsForZoom(load(session, every_point), [], total)
    alone = [cell.only_id for cell in cells if cell.only_id is not None]
    rows = load(session, row_id.in_(alone)) if alone else []
    return PointsForZoom(rows, [cell for cell in cells if cell.count > 1], total)


def requests_for_zoom(
    session: Session, statuses: Sequence[RequestStatus], box: BoundingBox, zoom: int
) -> PointsForZoom[StopRequest]:
    def load(session: Session, condition: ColumnElement[bool]) -> list[StopRequest]:
        statement = select(StopRequest).where(condition).order_by(StopRequest.id)
        return list(session.scalars(statement))

    where = [StopRequest.status.in_(statuses)]
    return points_for_zoom(session, StopRequest.location, StopRequest.id, where, box, zoom, load)


def stops_for_zoom(session: Session, box: BoundingBox, zoom: int) -> PointsForZoom[Stop]:
    def load(session: Session, condition: ColumnElement[bool]) -> list[Stop]:
        return list(session.scalars(_stops_with_routes().where(condition)))

    return points_for_zoom(session, Stop.location, Stop.id, [], box, zoom, load)


def simplified_for_zoom(geometry: BaseGeometry, zoom: int, box: BoundingBox) -> BaseGeometry:
    """A line with the vertices the zoom cannot show dropped (Douglas–Peucker, which keeps
    every part's two ends): none moves the line by more than one screen pixel, measured in
    degrees of longitude times the cosine of the box's widest latitude, so that a pixel north or
    south (longer in degrees of latitude, on a Web Mercator map) is covered too."""
    widest_lat = min(max(abs(box.min_lat), abs(box.max_lat)), 85.0)
    tolerance = line_tolerance_deg(zoom, widest_lat)
    # Plain Douglas–Peucker: a route may cross itself, and keeping its topology costs tenfold.
    return shapely.simplify(geometry, tolerance, preserve_topology=False)


def line_tolerance_deg(zoom: int, latitude: float) -> float:
    """How far (in degrees) simplifying may move a line at ``zoom``: one screen pixel."""
    return degrees_per_pixel(zoom) * math.cos(math.radians(latitude))


def routes_for_zoom(
    session: Session, box: BoundingBox, zoom: int
) -> tuple[list[Route], dict[int, BaseGeometry]]:
    """The routes passing through ``box``, each line cut to the box and simplified for
    ``zoom``. Cut here (GEOS's rectangle clipping, which keeps each line whole where it runs
    inside) rather than in the database: SpatiaLite's intersection splits a route into a piece
    at every point where its two directions meet (tens of thousands of pieces for Helsinki),
    and the same cut on both backends draws the same map."""
    rows = session.execute(
        select(Route, func.ST_AsBinary(Route.path))
        .options(defer(Route.path))
        .where(Route.path.is_not(None), backend_of(session).in_box(Route.path, box))
        .order_by(Route.id)
    ).all()
    routes = [route for route, _blob in rows]
    whole = shapely.from_wkb([bytes(blob) for _route, blob in rows])
    cut = shapely.clip_by_rect(whole, box.min_lon, box.min_lat, box.max_lon, box.max_lat)
    lines = simplified_for_zoom(cut, zoom, box)
    kept: dict[int, BaseGeometry] = {}
    for route, line in zip(routes, lines, strict=True):
        if (parts := _as_multilinestring(line)) is not None:
            kept[route.id] = parts
    return [route for route in routes if route.id in kept], kept


def routes_in_box(
    session: Session, box: BoundingBox
) -> tuple[list[Route], dict[int, BaseGeometry]]:
    """The routes passing through ``box``, each with its line cut to the box: a map of one
    district needs the district's part of each line, not the whole city's."""
    backend = backend_of(session)
    routes = list(
        session.scalars(
            select(Route)
            .where(Route.path.is_not(None), backend.in_box(Route.path, box))
            .order_by(Route.id)
        )
    )
    lines = route_lines_in_box(session, [route.id for route in routes], box)
    return [route for route in routes if route.id in lines], lines


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
    backend = backend_of(session)
    rows = session.execute(
        select(Route.id, func.ST_AsBinary(backend.clipped_to_box(Route.path, box))).where(
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
