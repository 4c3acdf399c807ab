"""Importing a GTFS feed: its stops, its routes with their main patterns, and weekday service.

The whole feed is read and checked first (``gtfs_feed``, which repairs what it can and reports
it); only then is anything written, in one transaction that replaces the rows of that one feed
and its import record (``dataset_imports``) and leaves every other feed alone. Service is
measured on one representative weekday, chosen as ``gtfs_calendar`` explains.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from geoalchemy2.shape import from_shape
from shapely.geometry import LineString, MultiLineString, Point
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from transitreq.db import unit_of_work
from transitreq.errors import ImportFailed
from transitreq.geo.coverage_refresh import current_stop_revision
from transitreq.geo.metric import BoundingBox
from transitreq.i18n import lazy_gettext
from transitreq.importers.demo_city import DEMO_FEED
from transitreq.importers.gtfs_calendar import WeekdayService, weekday_service
from transitreq.importers.gtfs_feed import Feed, Progress, read_feed
from transitreq.importers.gtfs_values import MAX_INTEGER
from transitreq.importers.problems import problem
from transitreq.importers.records import record_import
from transitreq.importers.report import ImportReport
from transitreq.importers.street_links import link_feed
from transitreq.models import WGS84_SRID, DatasetKind, Route, RouteStop, Stop, StopMode
from transitreq.models.transit import transit_mode
from transitreq.services.analysis.coverage import refresh_coverage
from transitreq.services.places.index import refresh_stops
from transitreq.services.projects.opening import PROJECT_FEED, call_again, give_way_to_feed

FEED_NAME_CHARS = Stop.__table__.c.feed.type.length
WRITING_STAGE = lazy_gettext("Writing to the database")


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
    # The dates the calendar covers, and whether they ended before the import.
    service_start: datetime.date
    service_end: datetime.date
    expired: bool
    # What was repaired and noticed; two imports of one feed are equal whatever their reports.
    report: ImportReport = field(compare=False, repr=False)


class Pattern(NamedTuple):
    """The stops a trip calls at, in order, and the shape it follows (None without one)."""

    stops: tuple[str, ...]
    shape_id: str | None


# (gtfs route_id, direction_id) -> that direction's main pattern.
Patterns = dict[tuple[str, int], Pattern]


def import_gtfs(
    session: Session,
    source: Path,
    feed: str,
    progress: Progress | None = None,
    *,
    strict: bool = False,
    today: datetime.date | None = None,
) -> FeedSummary:
    """Load a GTFS zip or folder as the dataset ``feed``, replacing an earlier import of it and
    its record.

    Repairable problems are repaired and reported in ``FeedSummary.report`` (and the record);
    with ``strict`` the first of them refuses the feed instead. A problem that cannot be repaired
    raises ``ImportFailed`` with a one-line message naming the file inside the feed, the row (the
    header is row 1, the first data row is row 2) and the field; the database is then left
    exactly as it was. ``today`` (default: the date now) decides whether the feed has expired.
    ``progress(stage, done, total)`` is called now and then if given.
    """
    source = Path(source)
    if not 0 < len(feed) <= FEED_NAME_CHARS or feed != feed.strip():
        said = problem("bad_feed_name", name=feed, max_chars=FEED_NAME_CHARS)
        raise ImportFailed(source.name, said)
    if feed == DEMO_FEED:
        raise ImportFailed(source.name, problem("demo_feed_name", name=feed))
    if feed == PROJECT_FEED:
        raise ImportFailed(source.name, problem("project_feed_name", name=feed))
    report = ImportReport(source.name, strict=strict)
    parsed = read_feed(source, report, progress)
    service = weekday_service(parsed, report, today or datetime.date.today())
    if sum(service.departures.values()) > MAX_INTEGER:
        raise report.error("number_out_of_range", problem("too_many_departures"))
    patterns = main_patterns(parsed, service.departures)
    with unit_of_work(session):
        summary = _write(session, feed, parsed, service, patterns, report, progress)
        _record(session, source, summary, parsed)
        _progress_step(progress, 3)
    return summary


def _write(
    session: Session,
    feed: str,
    parsed: Feed,
    service: WeekdayService,
    patterns: Patterns,
    report: ImportReport,
    progress: Progress | None,
) -> FeedSummary:
    """Replace the feed's stops, routes and route stops; what was written, for the summary."""
    _progress_step(progress, 0)
    # The stops' revision first, as a stop project going into service takes it: the two then
    # wait for each other instead of each holding what the other needs (PostgreSQL).
    current_stop_revision(session, lock=True)
    _delete_feed(session, feed)
    stop_ids = _insert_stops(session, feed, parsed, service)
    _insert_stop_modes(session, parsed, stop_ids)
    give_way_to_feed(session, feed)
    refresh_stops(session, feed)
    link_feed(session, feed)
    refresh_coverage(session)
    _progress_step(progress, 1)
    route_ids = _insert_routes(session, feed, parsed, service, patterns)
    route_stops = _insert_route_stops(session, patterns, stop_ids, route_ids)
    call_again(session, feed)
    _progress_step(progress, 2)
    return FeedSummary(
        feed=feed,
        stops=len(stop_ids),
        routes=len(route_ids),
        route_stops=route_stops,
        service_date=service.service_date,
        trips_per_weekday=sum(service.departures.values()),
        service_start=service.first_date,
        service_end=service.last_date,
        expired=service.expired,
        report=report,
    )


def _record(session: Session, source: Path, summary: FeedSummary, parsed: Feed) -> None:
    """The import's record, in its transaction: what was written, where, and when it runs."""
    counts = {
        "stops": summary.stops,
        "routes": summary.routes,
        "trips": len(parsed.trips),
        "route_stops": summary.route_stops,
        "trips_per_weekday": summary.trips_per_weekday,
    }
    extent = BoundingBox(
        min_lon=min(stop.lon for stop in parsed.stops.values()),
        min_lat=min(stop.lat for stop in parsed.stops.values()),
        max_lon=max(stop.lon for stop in parsed.stops.values()),
        max_lat=max(stop.lat for stop in parsed.stops.values()),
    )
    service = (summary.service_start, summary.service_end, summary.service_date)
    report = summary.report
    record_import(session, DatasetKind.GTFS, summary.feed, source, report, counts, extent, service)


def _progress_step(progress: Progress | None, steps_done: int) -> None:
    if progress is not None:
        progress(str(WRITING_STAGE), steps_done, 3)


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


def _insert_stop_modes(session: Session, parsed: Feed, stop_ids: dict[str, int]) -> None:
    """The modes every trip of the feed calls at each stop with: a metro branch's stations are
    metro stations though only the main pattern is kept in route_stops."""
    modes = {
        (stop_ids[stop_id], transit_mode(parsed.routes[trip.route_id].route_type))
        for trip_id, trip in parsed.trips.items()
        for stop_id in parsed.calls.get(trip_id, ())
    }
    if modes:
        session.execute(
            insert(StopMode), [{"stop_id": stop_id, "mode": mode} for stop_id, mode in modes]
        )


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
