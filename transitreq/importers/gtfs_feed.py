"""Reading a GTFS feed: every file the importer uses, parsed, checked and resolved.

Nothing here touches the database. ``read_feed`` returns a ``Feed`` whose every reference has
been resolved, having reported what it repaired, or raises ``ImportFailed`` naming the file,
the row and the field of the first problem it cannot repair.

Feeds as published carry defects, and most do not touch any answer the planners get. The line
is drawn there: a problem that would make an answer wrong (which stops exist and where, which
trips call at them, on which days) is an **error**, and the feed is refused; a problem in an
optional or cosmetic value is a **warning**: the value falls back to its default, the report
says so, and ``strict`` refuses on it instead. Codes name the defect, as MobilityData's
gtfs-validator does (its own code where it has one; its severity differs where noted, v: …, for
that reason), so one code can sit on both sides: refused where an answer rests on the value,
repaired where none does.

Errors (refused):
  missing_required_file, missing_calendar_and_calendar_date_files   a file the importer needs
  missing_required_column      a column the importer needs (stop_lat, route_type, …)
  duplicated_column            a header naming a column twice
  io_error, csv_parsing_failed not a zip or folder, a corrupt member, not UTF-8, not CSV
  invalid_row_length           values past the header's end (a value with an unquoted comma
                               shifts the rest of its row)
  duplicate_key                a key repeated with different content (the value that differs
                               is named)
  missing_required_field       a blank id, reference, date, time, sequence or route_type
  value_too_long               an id longer than its column (cutting could make two ids one)
  invalid_integer, invalid_float, invalid_date, invalid_time, number_out_of_range,
  unexpected_enum_value        a value service is counted from: stop_sequence, headways and
                               times, calendar days and dates, exception_type, route_type
  stop_without_location        a stop trips call at without usable coordinates (blank, not a
                               number, out of range, or 0, 0)
  point_near_origin            a shape point at 0, 0; like any unreadable shape point, it is
                               refused, as "routes near a site" and stop spacing measure paths
  foreign_key_violation        a trip naming a missing route or service, a stop time naming a
                               missing trip or stop, a frequency naming a missing trip
  location_with_unexpected_stop_time   a stop time at a station, entrance or other non-stop
  start_and_end_range_out_of_order     a calendar or frequency window ending before it starts
  empty_file                   stops.txt without a single stop
  no_service                   no trip runs on any weekday (``gtfs_calendar``)
Warnings (repaired):
  duplicate_row                a row repeating an earlier one exactly: collapsed into it
  stop_without_location        the same, at a stop no trip calls at: the stop is left out
  unexpected_enum_value        location_type (read as a stop), direction_id (read as 0),
                               wheelchair_boarding, wheelchair_accessible, bikes_allowed
                               (ignored); a route_type GTFS does not define (kept: mode "other")
  invalid_color (v: error)     route_color, route_text_color: the default colour, or the six
                               digits after a '#'
  invalid_url (v: error)       stop_url, route_url: ignored, as the importer keeps neither
  missing_required_field       a blank stop_name: the stop is named by its stop_code or stop_id
  route_both_short_and_long_name_missing (v: error)   the route is shown by its route_id
  value_too_long               a name longer than its column (cut, with "…"), a stop_code
                               (left out: a cut code would be a wrong one)
  foreign_key_violation        a trip naming a shape that is not in shapes.txt: drawn through
                               its stops, like a feed without shapes
  unused_trip                  a trip without stop times: left out
  unknown_column (v: info)     a column GTFS does not define for the file, most often a
                               misspelt one whose values would otherwise be lost silently
  leading_or_trailing_whitespaces, empty_row, invalid_row_length (cells missing at the end, or
                               blank ones past it): trimmed, left out, read as blank
Information:
  unknown_file                 a file GTFS does not define: ignored
  feed_expired                 the calendar ended before today (``gtfs_calendar``)
Blank optional cells are not problems: they take GTFS's defaults without a notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from transitreq.importers.gtfs_files import CALENDAR_FILES, FeedFiles, KeyedRows, Progress
from transitreq.importers.gtfs_stops import (
    FeedStop,
    Locations,
    called_stop,
    located_stops,
    read_stops,
)
from transitreq.importers.gtfs_values import Row
from transitreq.importers.problems import problem
from transitreq.importers.report import ImportReport
from transitreq.models import Route

DEFAULT_COLOUR = "1F6FD1"
DEFAULT_TEXT_COLOUR = "FFFFFF"

# Text limits come from the model, so a feed is refused with a message before the database would.
_ROUTE_ID_CHARS = Route.__table__.c.gtfs_route_id.type.length
_SHORT_NAME_CHARS = Route.__table__.c.short_name.type.length
_LONG_NAME_CHARS = Route.__table__.c.long_name.type.length
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# The basic route types and the extended (Hierarchical Vehicle Type) range.
_BASIC_ROUTE_TYPES = frozenset((0, 1, 2, 3, 4, 5, 6, 7, 11, 12))
_EXTENDED_ROUTE_TYPES = range(100, 1800)


@dataclass(frozen=True, slots=True)
class FeedRoute:
    gtfs_route_id: str
    short_name: str
    long_name: str
    route_type: int
    colour: str
    text_colour: str


@dataclass(frozen=True, slots=True)
class FeedTrip:
    trip_id: str
    route_id: str
    service_id: str
    direction_id: int
    # None when the trip has no shape, or names one shapes.txt does not have.
    shape_id: str | None
    # Its row in trips.txt, to report it by.
    row: int


@dataclass(frozen=True, slots=True)
class WeeklyService:
    """A calendar.txt row: the weekdays a service runs (Monday first) between two dates."""

    weekdays: tuple[bool, ...]
    start: date
    end: date


@dataclass(frozen=True)
class Feed:
    """Everything the importer needs from a feed, every reference already resolved."""

    name: str
    stops: dict[str, FeedStop]
    routes: dict[str, FeedRoute]
    # In trips.txt order, which breaks ties between equally busy patterns.
    trips: dict[str, FeedTrip]
    weekly: dict[str, WeeklyService]
    # calendar_dates.txt: (service_id, date) -> True when added, False when removed.
    exceptions: dict[tuple[str, date], bool]
    # trip_id -> the stop_ids it calls at, in stop_sequence order (a loop repeats a stop).
    calls: dict[str, tuple[str, ...]]
    # Departures generated by frequencies.txt; a trip not listed there departs once.
    frequency_departures: dict[str, int]
    # shape_id -> (lon, lat) points in shape_pt_sequence order; empty without shapes.txt.
    shapes: dict[str, tuple[tuple[float, float], ...]]


def read_feed(source: Path, report: ImportReport, progress: Progress | None = None) -> Feed:
    """Read and check every file the importer uses, reporting repairs to ``report``; raise
    ImportFailed on the first problem that cannot be repaired."""
    files = FeedFiles(source, report)
    try:
        return _read_files(files, progress)
    finally:
        files.close()


def _read_files(files: FeedFiles, progress: Progress | None) -> Feed:
    files.check_files()
    locations = read_stops(files, progress)
    routes = _read_routes(files, progress)
    weekly = _read_weekly(files, progress)
    exceptions = _read_exceptions(files, progress)
    shapes = _read_shapes(files, progress)
    service_ids = weekly.keys() | {service_id for service_id, _ in exceptions}
    listed_trips = _read_trips(files, routes, service_ids, shapes, progress)
    calls = _read_stop_times(files, listed_trips, locations, progress)
    if not (stops := located_stops(files, locations)):
        raise files.error("empty_file", problem("no_located_stop"), "stops.txt")
    trips = _leave_out_unused(files, listed_trips, calls)
    return Feed(
        name=files.name,
        stops=stops,
        routes=routes,
        trips=trips,
        weekly=weekly,
        exceptions=exceptions,
        calls=calls,
        frequency_departures=_read_frequencies(files, listed_trips, trips, progress),
        shapes=shapes or {},
    )


def _read_routes(files: FeedFiles, progress: Progress | None) -> dict[str, FeedRoute]:
    routes: dict[str, FeedRoute] = {}
    keys = KeyedRows(
        files, "routes.txt", "route_id", lambda row: row.identifier("route_id", _ROUTE_ID_CHARS)
    )
    for row in files.rows("routes.txt", ("route_id", "route_type"), progress):
        if (route_id := keys.first(row)) is None:
            continue
        route_type = row.integer("route_type")
        if route_type not in _BASIC_ROUTE_TYPES and route_type not in _EXTENDED_ROUTE_TYPES:
            said = problem("unknown_route_type")
            row.warn("unexpected_enum_value", "route_type", said, route_type)
        short_name = row.name("route_short_name", _SHORT_NAME_CHARS)
        long_name = row.name("route_long_name", _LONG_NAME_CHARS)
        if not short_name and not long_name:
            said = problem("route_names_missing")
            row.warn("route_both_short_and_long_name_missing", "route_short_name", said)
        row.check_url("route_url")
        routes[route_id] = FeedRoute(
            gtfs_route_id=route_id,
            short_name=short_name,
            long_name=long_name,
            route_type=route_type,
            colour=row.colour("route_color", DEFAULT_COLOUR),
            text_colour=row.colour("route_text_color", DEFAULT_TEXT_COLOUR),
        )
    return routes


def _read_weekly(files: FeedFiles, progress: Progress | None) -> dict[str, WeeklyService]:
    if not files.has("calendar.txt"):
        return {}
    weekly: dict[str, WeeklyService] = {}
    keys = KeyedRows(files, "calendar.txt", "service_id", lambda row: row.required("service_id"))
    columns = ("service_id", *_WEEKDAYS, "start_date", "end_date")
    for row in files.rows("calendar.txt", columns, progress):
        if (service_id := keys.first(row)) is None:
            continue
        weekdays = tuple(row.integer(day, choices=(0, 1)) == 1 for day in _WEEKDAYS)
        start, end = row.date("start_date"), row.date("end_date")
        if end < start:
            said = problem("end_before_start_date", end=f"{end:%Y%m%d}", start=f"{start:%Y%m%d}")
            raise row.error("start_and_end_range_out_of_order", "end_date", said)
        weekly[service_id] = WeeklyService(weekdays, start, end)
    return weekly


def _read_exceptions(files: FeedFiles, progress: Progress | None) -> dict[tuple[str, date], bool]:
    if not files.has("calendar_dates.txt"):
        return {}
    exceptions: dict[tuple[str, date], bool] = {}
    keys = KeyedRows(
        files,
        "calendar_dates.txt",
        "service_id",
        lambda row: (row.required("service_id"), row.date("date")),
    )
    columns = ("service_id", "date", "exception_type")
    for row in files.rows("calendar_dates.txt", columns, progress):
        if (key := keys.first(row)) is not None:
            exceptions[key] = row.integer("exception_type", choices=(1, 2)) == 1
    return exceptions


def _read_shapes(files: FeedFiles, progress: Progress | None):
    """Each shape's points in shape_pt_sequence order, or None when the feed has no shapes."""
    if not files.has("shapes.txt"):
        return None
    points: dict[str, dict[int, tuple[float, float]]] = {}
    keys = KeyedRows(
        files,
        "shapes.txt",
        "shape_id",
        lambda row: (row.required("shape_id"), row.integer("shape_pt_sequence")),
    )
    columns = ("shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence")
    for row in files.rows("shapes.txt", columns, progress):
        if (key := keys.first(row)) is not None:
            shape_id, sequence = key
            points.setdefault(shape_id, {})[sequence] = row.lon_lat("shape_pt_lat", "shape_pt_lon")
    return {shape_id: tuple(shape[n] for n in sorted(shape)) for shape_id, shape in points.items()}


def _read_trips(files: FeedFiles, routes, service_ids, shapes, progress: Progress | None):
    trips: dict[str, FeedTrip] = {}
    keys = KeyedRows(files, "trips.txt", "trip_id", lambda row: row.required("trip_id"))
    for row in files.rows("trips.txt", ("route_id", "service_id", "trip_id"), progress):
        if (trip_id := keys.first(row)) is None:
            continue
        route_id = row.reference("route_id", routes, "routes.txt")
        service_id = row.reference("service_id", service_ids, *CALENDAR_FILES)
        row.option("wheelchair_accessible", range(3), "option_ignored")
        row.option("bikes_allowed", range(3), "option_ignored")
        trips[trip_id] = FeedTrip(
            trip_id=trip_id,
            route_id=route_id,
            service_id=service_id,
            direction_id=row.option("direction_id", (0, 1), "option_read_as_0"),
            shape_id=_shape_of(row, shapes),
            row=row.number,
        )
    return trips


def _shape_of(row: Row, shapes) -> str | None:
    shape_id = row.text("shape_id") or None
    if shape_id is not None and (shapes is None or shape_id not in shapes):
        row.warn("foreign_key_violation", "shape_id", problem("unknown_shape"), shape_id)
        return None
    return shape_id


def _read_stop_times(files: FeedFiles, trips, locations: Locations, progress: Progress | None):
    """The stops of each trip in order."""
    calls: dict[str, dict[int, str]] = {}
    keys = KeyedRows(
        files,
        "stop_times.txt",
        "trip_id",
        lambda row: (row.reference("trip_id", trips, "trips.txt"), row.integer("stop_sequence")),
    )
    for row in files.rows("stop_times.txt", ("trip_id", "stop_id", "stop_sequence"), progress):
        if (key := keys.first(row)) is None:
            continue
        trip_id, sequence = key
        calls.setdefault(trip_id, {})[sequence] = called_stop(row, locations)
    return {trip_id: tuple(by[n] for n in sorted(by)) for trip_id, by in calls.items()}


def _leave_out_unused(files: FeedFiles, trips, calls) -> dict[str, FeedTrip]:
    """Trips that call nowhere cannot be drawn or counted at a stop: they are left out."""
    for trip in trips.values():
        if trip.trip_id not in calls:
            said = problem("unused_trip")
            files.warn("unused_trip", said, "trips.txt", trip.row, "trip_id", trip.trip_id)
    return {trip_id: trip for trip_id, trip in trips.items() if trip_id in calls}


def _read_frequencies(files: FeedFiles, listed_trips, trips, progress: Progress | None):
    """Departures of each trip run by frequency windows (trips left out are skipped)."""
    if not files.has("frequencies.txt"):
        return {}
    departures: dict[str, int] = {}
    keys = KeyedRows(
        files,
        "frequencies.txt",
        "trip_id",
        lambda row: (
            row.reference("trip_id", listed_trips, "trips.txt"),
            row.seconds("start_time"),
        ),
    )
    columns = ("trip_id", "start_time", "end_time", "headway_secs")
    for row in files.rows("frequencies.txt", columns, progress):
        if (key := keys.first(row)) is None or key[0] not in trips:
            continue
        trip_id, start_s = key
        end_s, headway_s = row.seconds("end_time"), row.integer("headway_secs")
        if end_s < start_s:
            said = problem("end_before_start_time")
            raise row.error("start_and_end_range_out_of_order", "end_time", said)
        if headway_s == 0:
            raise row.error("number_out_of_range", "headway_secs", problem("not_positive"))
        # One departure at start_time, then one every headway while before end_time.
        departures[trip_id] = departures.get(trip_id, 0) - (start_s - end_s) // headway_s
    return departures
