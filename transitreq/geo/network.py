"""The existing network around a site: nearest stops, routes passing by, stop spacing on them."""

from __future__ import annotations

from dataclasses import dataclass

from geoalchemy2.shape import to_shape
from shapely.geometry import Point
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from transitreq.backends import backend_of
from transitreq.geo.metric import box_around, point_literal
from transitreq.geo.sql import metric
from transitreq.models import Route, RouteStop, Stop
from transitreq.models.transit import display_name, transit_mode

# The nearest-stop search starts with this radius and doubles it until enough stops are found.
_FIRST_SEARCH_RADIUS_M = 500.0
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


def _stops_within(session: Session, site: Point, radius_m: float, srid: int):
    backend = backend_of(session)
    site_metric = metric(point_literal(site.x, site.y), srid)
    distance_m = func.ST_Distance(metric(Stop.location, srid), site_metric).label("distance_m")
    statement = (
        select(Stop, distance_m)
        .where(backend.in_box(Stop.location, box_around(site.x, site.y, radius_m)))
        .where(distance_m <= radius_m)
        .order_by(distance_m, Stop.id)
    )
    return session.execute(statement).all()


def nearest_stops(session: Session, site: Point, srid: int, limit: int = 5) -> list[NearbyStop]:
    """The ``limit`` stops nearest to the site, found by widening an indexed search."""
    radius_m = _FIRST_SEARCH_RADIUS_M
    rows = _stops_within(session, site, radius_m, srid)
    while len(rows) < limit and radius_m < _LARGEST_SEARCH_RADIUS_M:
        radius_m *= 2
        rows = _stops_within(session, site, radius_m, srid)
    rows = rows[:limit]
    routes_by_stop, modes_by_stop = _routes_by_stop(session, [stop.id for stop, _ in rows])
    nearest = []
    for stop, distance_m in rows:
        location = to_shape(stop.location)
        nearest.append(
            NearbyStop(
                stop_id=stop.id,
                name=stop.name,
                code=stop.code,
                distance_m=float(distance_m),
                routes=routes_by_stop.get(stop.id, []),
                modes=modes_by_stop.get(stop.id, []),
                trips_per_weekday=stop.trips_per_weekday,
                lat=location.y,
                lon=location.x,
            )
        )
    return nearest


def _routes_by_stop(
    session: Session, stop_ids: list[int]
) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """The names and the modes of the routes calling at each stop."""
    if not stop_ids:
        return {}, {}
    rows = session.execute(
        select(RouteStop.stop_id, Route.short_name, Route.long_name, Route.route_type)
        .join(Route, Route.id == RouteStop.route_id)
        .where(RouteStop.stop_id.in_(stop_ids))
        .distinct()
    )
    names: dict[int, set[str]] = {}
    modes: dict[int, set[str]] = {}
    for stop_id, short_name, long_name, route_type in rows:
        names.setdefault(stop_id, set()).add(short_name or long_name)
        modes.setdefault(stop_id, set()).add(transit_mode(route_type))
    return (
        {stop_id: sorted(found) for stop_id, found in names.items()},
        {stop_id: sorted(found) for stop_id, found in modes.items()},
    )


def routes_within(session: Session, site: Point, radius_m: float, srid: int) -> list[PassingRoute]:
    """Routes whose geometry comes within ``radius_m`` of the site, nearest first.

    Each candidate's line is projected and measured once, and only the few columns shown are
    read back: route geometries are long, and fetching them would cost more than the query.
    """
    backend = backend_of(session)
    site_metric = metric(point_literal(site.x, site.y), srid)
    box = box_around(site.x, site.y, radius_m)
    nearby_part = metric(backend.clipped_to_box(Route.path, box), srid)
    candidates = (
        select(
            Route.id,
            Route.long_name,
            Route.short_name,
            Route.gtfs_route_id,
            Route.colour,
            Route.route_type,
            Route.trips_per_weekday,
            func.ST_Distance(nearby_part, site_metric).label("distance_m"),
        )
        .where(Route.path.is_not(None))
        .where(backend.in_box(Route.path, box))
        .subquery()
    )
    statement = select(candidates).where(candidates.c.distance_m <= radius_m)
    # Routes sharing a street are equally near; order them to the centimetre, then by id, so
    # both backends list them alike despite last-digit differences in the arithmetic.
    rows = sorted(session.execute(statement), key=lambda row: (round(row.distance_m, 2), row.id))
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
        for row in rows
    ]


def _route_parts(srid: int, route_ids: list[int]):
    """Each route's lines (one per direction) in the metric CRS, numbered from 1."""
    numbers = union_all(
        *(select(literal(number).label("n")) for number in range(1, _MAX_ROUTE_PARTS + 1))
    ).subquery()
    return (
        select(
            Route.id.label("route_id"),
            numbers.c.n.label("part"),
            metric(func.ST_GeometryN(Route.path, numbers.c.n), srid).label("line"),
            func.ST_NumGeometries(Route.path).label("part_count"),
        )
        .join(numbers, numbers.c.n <= func.ST_NumGeometries(Route.path))
        .where(Route.id.in_(route_ids))
    )


# Stops farther than this from the site are not considered as its neighbours along a route.
SPACING_SEARCH_M = 3000.0


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
    backend = backend_of(session)
    # Materialised so each route line is projected once, not once per stop compared with it.
    parts = _route_parts(srid, route_ids).cte("route_parts").prefix_with("MATERIALIZED")
    site_metric = metric(point_literal(site.x, site.y), srid)
    stop_metric = metric(Stop.location, srid)

    def along_m(geometry):
        return backend.line_locate_point(parts.c.line, geometry) * func.ST_Length(parts.c.line)

    statement = (
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
        .where(backend.in_box(Stop.location, box_around(site.x, site.y, SPACING_SEARCH_M)))
    )
    rows = session.execute(statement).all()
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


def _directions_by_route(session: Session, route_ids: list[int]) -> dict[int, list[int]]:
    rows = session.execute(
        select(RouteStop.route_id, RouteStop.direction_id)
        .where(RouteStop.route_id.in_(route_ids))
        .distinct()
    )
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
