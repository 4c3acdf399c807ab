"""A stop project in service is a stop: found as the nearest stop, counted as serving its
neighbourhood, called at by the routes its launch named.

Until the operator's feed carries it, the stop lives in our own feed (``PROJECT_FEED``), one
row per project. Each route named at launch calls at it in every direction its main pattern
runs, between the two consecutive stops where it lengthens the pattern least (or before the
first, after the last). A GTFS import then settles these stops with the operator's: a project
stop with a stop of the new feed within ``SAME_STOP_M`` is the same stop and gives way to it;
any other gets its calls again on the routes the import renumbered.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from geoalchemy2.shape import to_shape
from pyproj import Geod
from shapely.geometry import Point
from shapely.ops import nearest_points
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from transitreq.backends import backend_of
from transitreq.geo.metric import box_around
from transitreq.geo.places import distance_m
from transitreq.importers.street_links import link_stop
from transitreq.models import Route, RouteStop, Stop, StopMode, StopProject
from transitreq.services.context import settings_of
from transitreq.services.places.index import refresh_stops

# Our own feed for the stops the projects opened (a GTFS import may not take this name).
PROJECT_FEED = "transitreq-projects"
# A stop of an imported feed this close to a project's stop is that stop, now in the feed.
SAME_STOP_M = 30.0
_EARTH = Geod(ellps="WGS84")


def project_stop_id(project_id: int) -> str:
    """The stop's identifier within ``PROJECT_FEED``: the project's, so each project opens one."""
    return f"project-{project_id}"


def stop_influence_m(session: Session) -> float:
    """How far from a new stop a request's score can change: its largest catchment, plus the
    farthest a stop reaches at that radius (the stop's circle must meet the request's)."""
    settings = settings_of(session).evaluation
    largest_m = max(*settings.catchment_radii_m, settings.score_radius_m)
    return largest_m + settings.modes.farthest_reach_m(largest_m)


def launch_routes(
    session: Session, labels: Sequence[str], site: Point, feed: str | None = None
) -> list[Route]:
    """The routes named at launch, by the name riders know (``stages.route_labels``): for each
    name, the route of that short name (or long name, lacking a short one) that passes nearest
    ``site``. Two feeds, or two modes, may each have a line "1"; only the one serving the site
    calls at its stop."""
    if not labels:
        return []
    named = or_(
        Route.short_name.in_(labels),
        (Route.short_name == "") & Route.long_name.in_(labels),
    )
    statement = select(Route).where(named).order_by(Route.id)
    if feed is not None:
        statement = statement.where(Route.feed == feed)
    nearest: dict[str, tuple[float, Route]] = {}
    for route in session.scalars(statement):
        label = route.short_name or route.long_name
        metres = _metres_from_route(session, route, site)
        if label not in nearest or metres < nearest[label][0]:
            nearest[label] = (metres, route)
    return sorted((route for _, route in nearest.values()), key=lambda route: route.id)


def _metres_from_route(session: Session, route: Route, site: Point) -> float:
    """Metres from ``site`` to the route's drawn path, else to the nearest stop it calls at
    (infinity for a route with neither)."""
    if route.path is not None:
        _, on_path = nearest_points(site, to_shape(route.path))
        return distance_m(site, on_path)
    calls = session.execute(
        select(func.ST_X(Stop.location), func.ST_Y(Stop.location))
        .join(RouteStop, RouteStop.stop_id == Stop.id)
        .where(RouteStop.route_id == route.id)
    ).all()
    return min(
        (distance_m(site, Point(float(lon), float(lat))) for lon, lat in calls), default=math.inf
    )


def open_stop(session: Session, project: StopProject, feed: str = PROJECT_FEED) -> Stop:
    """The project's stop, written in the caller's transaction: its modes and departures from
    its launch routes, each route calling at it; linked to the streets and searchable by name.
    The caller refreshes the stored coverage (the stops' revision has moved)."""
    site = to_shape(project.location)
    routes = launch_routes(session, project.launch_routes or [], site)
    stop = Stop(
        feed=feed,
        gtfs_stop_id=project_stop_id(project.id),
        name=project.name,
        location=project.location,
        trips_per_weekday=sum(route.trips_per_weekday for route in routes),
        # No route found: no modes, and the stop counts as a new stop does (geo/modes.py).
        modes=[StopMode(mode=mode) for mode in sorted({route.mode for route in routes})],
    )
    session.add(stop)
    session.flush()
    for route in routes:
        call_at(session, route.id, stop.id, site)
    link_stop(session, stop.id)
    refresh_stops(session, feed)
    return stop


def call_at(session: Session, route_id: int, stop_id: int, site: Point) -> int:
    """Add the stop to each direction of the route's main pattern where it lengthens the
    pattern least, renumbering the stops after it; returns in how many directions."""
    rows = session.execute(
        select(
            RouteStop.direction_id,
            RouteStop.sequence,
            func.ST_X(Stop.location),
            func.ST_Y(Stop.location),
        )
        .join(Stop, Stop.id == RouteStop.stop_id)
        .where(RouteStop.route_id == route_id)
        .order_by(RouteStop.direction_id, RouteStop.sequence)
    ).all()
    patterns: dict[int, list[tuple[int, float, float]]] = defaultdict(list)
    for direction_id, sequence, lon, lat in rows:
        patterns[direction_id].append((sequence, float(lon), float(lat)))
    for direction_id, pattern in patterns.items():
        position = insertion_index([(lon, lat) for _, lon, lat in pattern], site.x, site.y)
        if position < len(pattern):
            sequence = pattern[position][0]
            _make_room(session, route_id, direction_id, sequence)
        else:
            sequence = pattern[-1][0] + 1
        session.add(
            RouteStop(
                route_id=route_id, direction_id=direction_id, sequence=sequence, stop_id=stop_id
            )
        )
    session.flush()
    return len(patterns)


def insertion_index(stops: Sequence[tuple[float, float]], lon: float, lat: float) -> int:
    """Where in the ordered ``stops`` (lon, lat) a new stop at ``lon``/``lat`` goes: the place
    that adds the fewest metres to the journey along them (0 is before the first)."""
    if not stops:
        return 0
    xs = np.array([stop[0] for stop in stops])
    ys = np.array([stop[1] for stop in stops])
    _, _, to_site = _EARTH.inv(xs, ys, np.full(len(xs), lon), np.full(len(ys), lat))
    to_site = np.atleast_1d(to_site)
    added = np.empty(len(stops) + 1)
    added[0] = to_site[0]
    added[-1] = to_site[-1]
    if len(stops) > 1:
        _, _, between = _EARTH.inv(xs[:-1], ys[:-1], xs[1:], ys[1:])
        added[1:-1] = to_site[:-1] + to_site[1:] - np.atleast_1d(between)
    return int(np.argmin(added))


def _make_room(session: Session, route_id: int, direction_id: int, sequence: int) -> None:
    """Number the calls from ``sequence`` on one higher, through negative numbers so that no
    two rows share a key half-way (the key is checked row by row)."""
    _forget_calls(session, route_id)
    same = (RouteStop.route_id == route_id) & (RouteStop.direction_id == direction_id)
    session.execute(
        update(RouteStop)
        .where(same & (RouteStop.sequence >= sequence))
        .values(sequence=-RouteStop.sequence - 1)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(RouteStop)
        .where(same & (RouteStop.sequence < 0))
        .values(sequence=-RouteStop.sequence)
        .execution_options(synchronize_session=False)
    )


def _forget_calls(session: Session, route_id: int) -> None:
    """The session forgets the route's calls it holds: their numbers change behind its back,
    and a call it kept would share its key with the one written in its place."""
    for held in list(session.identity_map.values()):
        if isinstance(held, RouteStop) and held.route_id == route_id:
            session.expunge(held)
        elif isinstance(held, Route | Stop) and "calls" in held.__dict__:
            session.expire(held, ["calls"])


def _project_stops(session: Session) -> list[tuple[Stop, int]]:
    """Our feed's stops with the id of the project each opened."""
    stops = session.scalars(select(Stop).where(Stop.feed == PROJECT_FEED).order_by(Stop.id))
    prefix = project_stop_id(0)[:-1]
    return [(stop, int(stop.gtfs_stop_id.removeprefix(prefix))) for stop in stops]


def give_way_to_feed(session: Session, feed: str) -> int:
    """Remove the project stops that ``feed``, just written, now carries (a stop of it within
    ``SAME_STOP_M``); returns how many. Runs before the import refreshes the coverage."""
    backend = backend_of(session)
    gone = []
    for stop, _project_id in _project_stops(session):
        site = to_shape(stop.location)
        near = session.execute(
            select(func.ST_X(Stop.location), func.ST_Y(Stop.location)).where(
                Stop.feed == feed,
                backend.in_box(Stop.location, box_around(site.x, site.y, SAME_STOP_M * 2)),
            )
        ).all()
        if any(distance_m(site, Point(float(lon), float(lat))) <= SAME_STOP_M for lon, lat in near):
            gone.append(stop.id)
    if gone:
        session.execute(delete(Stop).where(Stop.id.in_(gone)))
        session.expire_all()
        refresh_stops(session, PROJECT_FEED)
    return len(gone)


def call_again(session: Session, feed: str) -> int:
    """After ``feed``'s routes were written anew (their old calls went with the old routes),
    let its routes named at each project's launch call at the project's stop again; returns
    the calls added."""
    added = 0
    for stop, project_id in _project_stops(session):
        project = session.get(StopProject, project_id)
        if project is None:
            continue
        site = to_shape(stop.location)
        every_route = launch_routes(session, project.launch_routes or [], site)
        for route in every_route:
            if route.feed == feed:
                added += call_at(session, route.id, stop.id, site)
        stop.trips_per_weekday = sum(route.trips_per_weekday for route in every_route)
    session.flush()
    return added
