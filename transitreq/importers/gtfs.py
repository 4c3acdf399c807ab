"""Importing a GTFS feed: its stops, its routes with their main patterns, and weekday service.

The whole feed is read and checked first (``gtfs_feed``); only then is anything written, in one
transaction that replaces the rows of that one feed and leaves every other feed alone.

Service is measured on one representative weekday: among the Monday–Friday dates the calendar
covers, the one with the most active trips (ties go to the earliest). A trip listed in
frequencies.txt departs once per headway in each of its windows; any other trip departs once.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from geoalchemy2.shape import from_shape
from shapely.geometry import LineString, MultiLineString, Point
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from transitreq.db import unit_of_work
from transitreq.errors import ImportFailed
from transitreq.importers.demo_city import DEMO_FEED
from transitreq.importers.gtfs_feed import MAX_INTEGER, Feed, Progress, read_feed
from transitreq.models import WGS84_SRID, Route, RouteStop, Stop

FEED_NAME_CHARS = Stop.__table__.c.feed.type.length
WRITING_STAGE = "Writing to the database"
_WEEK = datetime.timedelta(days=7)
_FRIDAY = 4


@dataclass(frozen=True)
class FeedSummary:
    """What an import wrote, in the words an operator checks it by."""

    feed: str
    stops: int
    routes: int
    route_stops: int
    service_date: datetime.date
    # Departures of every route on the service date, both directions together.
    trips_per_weekday: int


class Pattern(NamedTuple):
    """The stops a trip calls at, in order, and the shape it follows (None without one)."""

    stops: tuple[str, ...]
    shape_id: str | None


# (gtfs route_id, direction_id) -> that direction's main pattern.
Patterns = dict[tuple[str, int], Pattern]


@dataclass(frozen=True)
class WeekdayService:
    """Which trips run on the representative weekday, and how often each departs then."""

    service_date: datetime.date
    departures: dict[str, int]


def import_gtfs(
    session: Session,
    source: Path,
    feed: str,
    progress: Progress | None = None,
) -> FeedSummary:
    """Load a GTFS zip or folder as the dataset ``feed``, replacing an earlier import of it.

    Raises ``ImportFailed`` with a one-line message naming the file inside the feed, the row
    (the header is row 1, the first data row is row 2) and the field; the database is then left
    exactly as it was. ``progress(stage, done, total)`` is called now and then if given.
    """
    source = Path(source)
    if not 0 < len(feed) <= FEED_NAME_CHARS or feed != feed.strip():
        problem = f"the feed name {feed!r} must be 1 to {FEED_NAME_CHARS} characters, unpadded"
        raise ImportFailed(source.name, problem)
    if feed == DEMO_FEED:
        raise ImportFailed(source.name, f"the feed name {feed!r} is kept for the demo city")
    parsed = read_feed(source, progress)
    service = weekday_service(parsed)
    if sum(service.departures.values()) > MAX_INTEGER:
        raise ImportFailed(source.name, "frequencies.txt gives more departures than can be stored")
    patterns = main_patterns(parsed, service.departures)
    with unit_of_work(session):
        _report(progress, 0)
        _delete_feed(session, feed)
        stop_ids = _insert_stops(session, feed, parsed, service)
        _report(progress, 1)
        route_ids = _insert_routes(session, feed, parsed, service, patterns)
        _report(progress, 2)
        route_stops = _insert_route_stops(session, patterns, stop_ids, route_ids)
        _report(progress, 3)
    return FeedSummary(
        feed=feed,
        stops=len(stop_ids),
        routes=len(route_ids),
        route_stops=route_stops,
        service_date=service.service_date,
        trips_per_weekday=sum(service.departures.values()),
    )


def _report(progress: Progress | None, steps_done: int) -> None:
    if progress is not None:
        progress(WRITING_STAGE, steps_done, 3)


def weekday_service(feed: Feed) -> WeekdayService:
    """The representative weekday and the departures of every trip active on it."""
    service_date = busiest_weekday(feed)
    return WeekdayService(
        service_date=service_date,
        departures={
            trip_id: feed.frequency_departures.get(trip_id, 1)
            for trip_id, trip in feed.trips.items()
            if runs_on(feed, trip.service_id, service_date)
        },
    )


def runs_on(feed: Feed, service_id: str, day: datetime.date) -> bool:
    """calendar.txt's weekly rule, overridden by calendar_dates.txt (1 adds, 2 removes)."""
    exception = feed.exceptions.get((service_id, day))
    return _runs_weekly(feed, service_id, day) if exception is None else exception


def _runs_weekly(feed: Feed, service_id: str, day: datetime.date) -> bool:
    weekly = feed.weekly.get(service_id)
    if weekly is None or not weekly.start <= day <= weekly.end:
        return False
    return weekly.weekdays[day.weekday()]


def busiest_weekday(feed: Feed) -> datetime.date:
    """The Monday–Friday date with the most active trips; ties go to the earliest.

    Counted as a sweep rather than date by date, so a calendar spanning decades stays cheap:
    each weekly rule adds its trips on its first matching weekday and takes them away a week
    after its last, and each exception that changes anything does the same for its one date.
    """
    trips_per_service = Counter(trip.service_id for trip in feed.trips.values())
    changes: Counter[datetime.date] = Counter()
    for service_id, weekly in feed.weekly.items():
        for weekday in range(_FRIDAY + 1):
            first = weekly.start + datetime.timedelta(days=(weekday - weekly.start.weekday()) % 7)
            last = weekly.end - datetime.timedelta(days=(weekly.end.weekday() - weekday) % 7)
            if weekly.weekdays[weekday] and first <= last:
                changes[first] += trips_per_service[service_id]
                changes[last + _WEEK] -= trips_per_service[service_id]
    for (service_id, day), added in feed.exceptions.items():
        if day.weekday() <= _FRIDAY and added != _runs_weekly(feed, service_id, day):
            sign = 1 if added else -1
            changes[day] += sign * trips_per_service[service_id]
            changes[day + _WEEK] -= sign * trips_per_service[service_id]
    return _first_busiest(feed, changes)


def _first_busiest(feed: Feed, changes: Counter[datetime.date]) -> datetime.date:
    """Walk each weekday's dates in order, keeping the running count of active trips."""
    candidates: list[tuple[int, datetime.date]] = []
    for weekday in range(_FRIDAY + 1):
        active_trips = 0
        for day in sorted(day for day in changes if day.weekday() == weekday):
            active_trips += changes[day]
            candidates.append((active_trips, day))
    busiest = max(candidates, key=lambda c: (c[0], -c[1].toordinal()), default=(0, None))
    if busiest[0] <= 0:
        problem = (
            "no trip runs on a weekday (Monday to Friday) in calendar.txt or calendar_dates.txt"
        )
        raise ImportFailed(feed.name, problem)
    return busiest[1]


def main_patterns(feed: Feed, departures: dict[str, int]) -> Patterns:
    """For each route and direction, the stop sequence and shape most departures use.

    Departures on the service date decide; ties (and a route or direction that does not run
    that day, so that it is still drawn) go to the pattern of more trips on any day, then to
    the one with more stops, then to the one whose first trip comes first in trips.txt.
    """
    tallies: dict[tuple[str, int], dict[Pattern, tuple[int, int, int, int]]] = {}
    for position, trip in enumerate(feed.trips.values()):
        pattern = Pattern(feed.calls[trip.trip_id], trip.shape_id)
        by_pattern = tallies.setdefault((trip.route_id, trip.direction_id), {})
        busy, trips, stops, first = by_pattern.get(pattern, (0, 0, len(pattern.stops), -position))
        by_pattern[pattern] = (busy + departures.get(trip.trip_id, 0), trips + 1, stops, first)
    return {
        route_direction: max(by_pattern, key=by_pattern.__getitem__)
        for route_direction, by_pattern in tallies.items()
    }


def _pattern_line(feed: Feed, pattern: Pattern) -> LineString | None:
    """The pattern's shape, or the line through its stops when it has none."""
    points = feed.shapes.get(pattern.shape_id, ()) if pattern.shape_id else ()
    if len(points) < 2:
        points = [(feed.stops[stop_id].lon, feed.stops[stop_id].lat) for stop_id in pattern.stops]
    return LineString(points) if len(points) >= 2 else None


def _route_path(feed: Feed, route_id: str, patterns: Patterns):
    """Both directions' main patterns as one MULTILINESTRING, or None if nothing can be drawn."""
    lines = []
    for direction_id in (0, 1):
        pattern = patterns.get((route_id, direction_id))
        line = _pattern_line(feed, pattern) if pattern is not None else None
        if line is not None:
            lines.append(line)
    return from_shape(MultiLineString(lines), srid=WGS84_SRID) if lines else None


def _delete_feed(session: Session, feed: str) -> None:
    feed_routes = select(Route.id).where(Route.feed == feed)
    session.execute(delete(RouteStop).where(RouteStop.route_id.in_(feed_routes)))
    session.execute(delete(Route).where(Route.feed == feed))
    session.execute(delete(Stop).where(Stop.feed == feed))


def _insert_stops(
    session: Session, feed: str, parsed: Feed, service: WeekdayService
) -> dict[str, int]:
    """Write the stops; returns the database id of each GTFS stop_id."""
    calls_per_stop: Counter[str] = Counter()
    for trip_id, departures in service.departures.items():
        for stop_id in parsed.calls[trip_id]:
            calls_per_stop[stop_id] += departures
    rows = [
        {
            "feed": feed,
            "gtfs_stop_id": stop.gtfs_stop_id,
            "code": stop.code,
            "name": stop.name,
            "location": from_shape(Point(stop.lon, stop.lat), srid=WGS84_SRID),
            "trips_per_weekday": calls_per_stop[stop.gtfs_stop_id],
        }
        for stop in parsed.stops.values()
    ]
    session.execute(insert(Stop), rows)
    return dict(session.execute(select(Stop.gtfs_stop_id, Stop.id).where(Stop.feed == feed)).all())


def _insert_routes(
    session: Session, feed: str, parsed: Feed, service: WeekdayService, patterns: Patterns
) -> dict[str, int]:
    """Write the routes with their paths; returns the database id of each GTFS route_id."""
    trips_per_route: Counter[str] = Counter()
    for trip_id, departures in service.departures.items():
        trips_per_route[parsed.trips[trip_id].route_id] += departures
    rows = [
        {
            "feed": feed,
            "gtfs_route_id": route.gtfs_route_id,
            "short_name": route.short_name,
            "long_name": route.long_name,
            "route_type": route.route_type,
            "colour": route.colour,
            "text_colour": route.text_colour,
            "path": _route_path(parsed, route.gtfs_route_id, patterns),
            "trips_per_weekday": trips_per_route[route.gtfs_route_id],
        }
        for route in parsed.routes.values()
    ]
    if rows:
        session.execute(insert(Route), rows)
    query = select(Route.gtfs_route_id, Route.id).where(Route.feed == feed)
    return dict(session.execute(query).all())


def _insert_route_stops(
    session: Session, patterns: Patterns, stop_ids: dict[str, int], route_ids: dict[str, int]
) -> int:
    """Write each main pattern's stops in order, numbered from 1; returns how many."""
    rows = [
        {
            "route_id": route_ids[route_id],
            "direction_id": direction_id,
            "sequence": sequence,
            "stop_id": stop_ids[stop_id],
        }
        for (route_id, direction_id), pattern in patterns.items()
        for sequence, stop_id in enumerate(pattern.stops, start=1)
    ]
    if rows:
        session.execute(insert(RouteStop), rows)
    return len(rows)
