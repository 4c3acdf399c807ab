"""The existing network around a site: nearest stops, routes passing by, stop spacing on them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from shapely.geometry import Point
from sqlalchemy import Float, Integer, Select, bindparam, func, literal, select, union_all
from sqlalchemy.orm import Session

from transitreq.backends import Backend, backend_of
from transitreq.db import execute_built
from transitreq.geo.bound_site import (
    bound_box,
    bound_radius_m,
    bound_site_metric,
    bound_srid,
    site_values,
)
from transitreq.geo.sql import metric
from transitreq.models import Route, RouteStop, Stop
from transitreq.models.transit import display_name, transit_mode

# The nearest-stop search starts with this radius and doubles it until enough stops are found.
_FIRST_SEARCH_RADIUS_M = 1000.0
_LARGEST_SEARCH_RADIUS_M = 32_000.0
# Route geometries hold one line per direction; more parts than this are not examined.
_MAX_ROUTE_PARTS = 8


@dataclass(frozen=True)
class NearbyStop:
    stop_id: int
    name: str
    code: str | None
    distance_m: float
    routes: list[str]
    # The modes of the routes calling here ("bus", "metro"…), for saying what a stop is.
    modes: list[str]
    trips_per_weekday: int
    lat: float
    lon: float
    # Metres walked along the streets, when a street network covers the site and the stop.
    walk_m: float | None = None


@dataclass(frozen=True)
class PassingRoute:
    route_id: int
    name: str
    short_name: str
    colour: str
    # The route's mode ("bus", "rail"…): only the new-stop modes can call at a new stop.
    mode: str
    distance_m: float
    trips_per_weekday: int


@dataclass(frozen=True)
class StopSpacing:
    """Where the site would sit between two consecutive stops of a route, along one direction.

    ``direction_id`` is None when the route's lines cannot be matched to its directions.
    """

    route_id: int
    direction_id: int | None
    previous_stop: str | None
    previous_m: float | None
    next_stop: str | None
    next_m: float | None


# Stops ranked by a flat-earth distance before the exact one is computed: enough spare places
# that a stop among the true nearest is never left out (the two rankings differ only between
# stops whose distances agree to a fraction of a per cent).
_SPARE_CANDIDATES = 10


@lru_cache(maxsize=4)
def stops_within_statement(backend: Backend) -> Select:
    """Stops within ``radius_m`` of the site, nearest first, at most ``limit`` of them.

    Projecting each stop to measure it exactly is the costly part (SpatiaLite transforms one
    point at a time), so the stops in the box are first ranked by the equirectangular distance
    (degrees of longitude scaled by ``lon_scale``, the cosine of the site's latitude), and only
    the first ``limit`` + ``_SPARE_CANDIDATES`` are projected and measured.
    """
    lon, lat = func.ST_X(Stop.location), func.ST_Y(Stop.location)
    east = (lon - bindparam("site_lon", type_=Float)) * bindparam("lon_scale", type_=Float)
    north = lat - bindparam("site_lat", type_=Float)
    limit = bindparam("limit", type_=Integer)
    candidates = (
        select(
            Stop.id,
            Stop.name,
            Stop.code,
            Stop.trips_per_weekday,
            Stop.location,
            lon.label("lon"),
            lat.label("lat"),
        )
        .where(backend.in_box(Stop.location, bound_box()))
        .order_by(east * east + north * north, Stop.id)
        .limit(limit + _SPARE_CANDIDATES)
        .subquery()
    )
    distance_m = func.ST_Distance(
        metric(candidates.c.location, bound_srid()), bound_site_metric()
    ).label("distance_m")
    measured = select(
        candidates.c.id,
        candidates.c.name,
        candidates.c.code,
        candidates.c.trips_per_weekday,
        candidates.c.lon,
        candidates.c.lat,
        distance_m,
    ).subquery()
    return (
        select(measured)
        .where(measured.c.distance_m <= bound_radius_m())
        .order_by(measured.c.distance_m, measured.c.id)
        .limit(limit)
    )


def stops_within_values(site: Point, radius_m: float, srid: int, limit: int) -> dict[str, Any]:
    """The values for ``stops_within_statement``."""
    return {
        **site_values(site, radius_m, srid),
        "site_lon": site.x,
        "site_lat": site.y,
        "lon_scale": math.cos(math.radians(site.y)),
        "limit": limit,
    }


def nearest_stops(session: Session, site: Point, srid: int, limit: int = 5) -> list[NearbyStop]:
    """The ``limit`` stops nearest to the site, found by widening an indexed search: most sites
    in a city have enough stops within the first radius, so one statement usually answers."""
    statement = stops_within_statement(backend_of(session))
    radius_m = _FIRST_SEARCH_RADIUS_M
    while True:
        rows = execute_built(
            session, statement, stops_within_values(site, radius_m, srid, limit)
        ).all()
        if len(rows) >= limit or radius_m >= _LARGEST_SEARCH_RADIUS_M:
            break
        radius_m *= 2
    routes_by_stop, modes_by_stop = _routes_by_stop(session, [row.id for row in rows])
    return [
        NearbyStop(
            stop_id=row.id,
            name=row.name,
            code=row.code,
            distance_m=float(row.distance_m),
            routes=routes_by_stop.get(row.id, []),
            modes=modes_by_stop.get(row.id, []),
            trips_per_weekday=row.trips_per_weekday,
            lat=float(row.lat),
            lon=float(row.lon),
        )
        for row in rows
    ]


@lru_cache(maxsize=1)
def _routes_by_stop_statement() -> Select:
    return (
        select(RouteStop.stop_id, Route.short_name, Route.long_name, Route.route_type)
        .join(Route, Route.id == RouteStop.route_id)
        .where(RouteStop.stop_id.in_(bindparam("stop_ids", expanding=True)))
        .distinct()
    )


def _routes_by_stop(
    session: Session, stop_ids: list[int]
) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """The names and the modes of the routes calling at each stop."""
    if not stop_ids:
        return {}, {}
    rows = execute_built(session, _routes_by_stop_statement(), {"stop_ids": stop_ids})
    names: dict[int, set[str]] = {}
    modes: dict[int, set[str]] = {}
    for stop_id, short_name, long_name, route_type in rows:
        names.setdefault(stop_id, set()).add(short_name or long_name)
        modes.setdefault(stop_id, set()).add(transit_mode(route_type))
    return (
        {stop_id: sorted(found) for stop_id, found in names.items()},
        {stop_id: sorted(found) for stop_id, found in modes.items()},
    )


@lru_cache(maxsize=4)
def routes_within_statement(backend: Backend) -> Select:
    """Routes within ``radius_m``: each candidate's line clipped to the box, projected and
    measured once, with only the columns shown."""
    nearby_part = metric(backend.clipped_to_box(Route.path, bound_box()), bound_srid())
    candidates = (
        select(
            Route.id,
            Route.long_name,
            Route.short_name,
            Route.gtfs_route_id,
            Route.colour,
            Route.route_type,
            Route.trips_per_weekday,
            func.ST_Distance(nearby_part, bound_site_metric()).label("distance_m"),
        )
        .where(Route.path.is_not(None))
        .where(backend.in_box(Route.path, bound_box()))
        .subquery()
    )
    return select(candidates).where(candidates.c.distance_m <= bound_radius_m())


def routes_within(session: Session, site: Point, radius_m: float, srid: int) -> list[PassingRoute]:
    """Routes whose geometry comes within ``radius_m`` of the site, nearest first.

    Route geometries are long: only the part inside the search box is projected and measured,
    and only the few columns shown are read back.
    """
    statement = routes_within_statement(backend_of(session))
    rows = execute_built(session, statement, site_values(site, radius_m, srid))
    # Routes sharing a street are equally near; order them to the centimetre, then by id, so
    # both backends list them alike despite last-digit differences in the arithmetic.
    ordered = sorted(rows, key=lambda row: (round(row.distance_m, 2), row.id))
    return [
        PassingRoute(
            route_id=row.id,
            name=display_name(row.short_name, row.long_name, row.gtfs_route_id),
            short_name=row.short_name,
            colour=row.colour,
            mode=transit_mode(row.route_type),
            distance_m=float(row.distance_m),
            trips_per_weekday=row.trips_per_weekday,
        )
        for row in ordered
    ]


def _route_parts():
    """Each route's lines (one per direction) in the metric CRS, numbered from 1."""
    numbers = union_all(
        *(select(literal(number).label("n")) for number in range(1, _MAX_ROUTE_PARTS + 1))
    ).subquery()
    return (
        select(
            Route.id.label("route_id"),
            numbers.c.n.label("part"),
            metric(func.ST_GeometryN(Route.path, numbers.c.n), bound_srid()).label("line"),
            func.ST_NumGeometries(Route.path).label("part_count"),
        )
        .join(numbers, numbers.c.n <= func.ST_NumGeometries(Route.path))
        .where(Route.id.in_(bindparam("route_ids", expanding=True)))
    )


# Stops farther than this from the site are not considered as its neighbours along a route.
SPACING_SEARCH_M = 3000.0


@lru_cache(maxsize=4)
def spacing_statement(backend: Backend) -> Select:
    """Every stop of the routes within the box, and the site, placed along each route line."""
    # Materialised so each route line is projected once, not once per stop compared with it.
    parts = _route_parts().cte("route_parts").prefix_with("MATERIALIZED")
    site_metric = bound_site_metric()
    stop_metric = metric(Stop.location, bound_srid())

    def along_m(geometry):
        return backend.line_locate_point(parts.c.line, geometry) * func.ST_Length(parts.c.line)

    return (
        select(
            parts.c.route_id,
            parts.c.part,
            parts.c.part_count,
            RouteStop.direction_id,
            Stop.name,
            along_m(stop_metric).label("stop_along_m"),
            func.ST_Distance(parts.c.line, stop_metric).label("stop_off_m"),
            along_m(site_metric).label("site_along_m"),
            func.ST_Distance(parts.c.line, site_metric).label("site_off_m"),
        )
        .select_from(parts)
        .join(RouteStop, RouteStop.route_id == parts.c.route_id)
        .join(Stop, Stop.id == RouteStop.stop_id)
        .where(backend.in_box(Stop.location, bound_box()))
    )


def stop_spacing(
    session: Session, site: Point, srid: int, route_ids: list[int], on_route_m: float
) -> list[StopSpacing]:
    """For each route, the previous and next stop along it from the site, in metres along.

    A route's geometry holds one line per direction, in ascending ``direction_id`` order (the
    GTFS importer writes them so). Every direction whose line passes within ``on_route_m`` of the
    site is measured, with the stops of that direction lying within ``on_route_m`` of its line:
    the other direction's stops across the road are not neighbours along this one.
    """
    if not route_ids:
        return []
    rows = execute_built(
        session,
        spacing_statement(backend_of(session)),
        {**site_values(site, SPACING_SEARCH_M, srid), "route_ids": route_ids},
    ).all()
    directions = _directions_by_route(session, route_ids)
    return [
        spacing
        for route_id in route_ids
        for spacing in _spacing_per_direction(
            [row for row in rows if row.route_id == route_id],
            route_id,
            directions.get(route_id, []),
            on_route_m,
        )
    ]


@lru_cache(maxsize=1)
def _directions_statement() -> Select:
    return (
        select(RouteStop.route_id, RouteStop.direction_id)
        .where(RouteStop.route_id.in_(bindparam("route_ids", expanding=True)))
        .distinct()
    )


def _directions_by_route(session: Session, route_ids: list[int]) -> dict[int, list[int]]:
    rows = execute_built(session, _directions_statement(), {"route_ids": route_ids})
    directions: dict[int, list[int]] = {}
    for route_id, direction_id in rows:
        directions.setdefault(route_id, []).append(direction_id)
    return {route_id: sorted(found) for route_id, found in directions.items()}


def _spacing_per_direction(
    rows: list, route_id: int, directions: list[int], on_route_m: float
) -> list[StopSpacing]:
    """One StopSpacing per route line passing the site; line k belongs to the k-th direction.

    When lines and directions do not pair up one to one, the nearest line alone is measured with
    every stop near it.
    """
    if not rows:
        return []
    if len(directions) != rows[0].part_count:
        nearest = min(rows, key=lambda row: row.site_off_m)
        return [
            _spacing_along(
                [row for row in rows if row.part == nearest.part], route_id, None, on_route_m
            )
        ]
    spacings = []
    for part, direction_id in enumerate(directions, start=1):
        line_rows = [row for row in rows if row.part == part and row.direction_id == direction_id]
        if line_rows and line_rows[0].site_off_m <= on_route_m:
            spacings.append(_spacing_along(line_rows, route_id, direction_id, on_route_m))
    return spacings


def _spacing_along(
    rows: list, route_id: int, direction_id: int | None, on_route_m: float
) -> StopSpacing:
    site_along_m = rows[0].site_along_m
    on_line = [row for row in rows if row.stop_off_m <= on_route_m]
    before = [row for row in on_line if row.stop_along_m <= site_along_m]
    after = [row for row in on_line if row.stop_along_m > site_along_m]
    previous = max(before, key=lambda row: row.stop_along_m, default=None)
    following = min(after, key=lambda row: row.stop_along_m, default=None)
    return StopSpacing(
        route_id,
        direction_id,
        previous.name if previous else None,
        float(site_along_m - previous.stop_along_m) if previous else None,
        following.name if following else None,
        float(following.stop_along_m - site_along_m) if following else None,
    )
