"""Reading a GTFS feed: open a zip or a folder, parse and check every file the importer uses.

Nothing here touches the database. ``read_feed`` returns a ``Feed`` whose every reference has
been resolved, or raises ``ImportFailed`` naming the file, the row and the field.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2
(blank lines count, so the number is the line number in an editor).
"""

from __future__ import annotations

import csv
import math
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import IO

from transitreq.errors import ImportFailed
from transitreq.models import Route, Stop

Progress = Callable[[str, int, int], None]

REQUIRED_FILES = ("stops.txt", "routes.txt", "trips.txt", "stop_times.txt")
DEFAULT_COLOUR = "1F6FD1"
DEFAULT_TEXT_COLOUR = "FFFFFF"
PROGRESS_EVERY_ROWS = 20_000

_TIME = re.compile(r"(\d+):([0-5]\d):([0-5]\d)")
_COLOUR = re.compile(r"[0-9A-Fa-f]{6}")


# Whole numbers must fit the database's INTEGER columns.
MAX_INTEGER = 2**31 - 1
# GTFS times may pass midnight for late trips; a service day longer than this is an error.
MAX_SERVICE_HOURS = 240


class FeedFiles:
    """The ``.txt`` files of a feed, from a zip archive or a folder."""

    def __init__(self, source: Path) -> None:
        self.name = source.name or str(source)
        self._zip: zipfile.ZipFile | None = None
        if source.is_dir():
            self._paths: dict[str, Path | str] = {p.name: p for p in source.glob("*.txt")}
        elif source.is_file():
            self._paths = self._open_zip(source)
        else:
            raise ImportFailed(self.name, "no such file or folder")

    def _open_zip(self, source: Path) -> dict[str, Path | str]:
        try:
            self._zip = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError) as error:
            raise ImportFailed(self.name, "not a zip archive or a folder of GTFS files") from error
        members = [PurePosixPath(n) for n in self._zip.namelist() if n.endswith(".txt")]
        # A feed zipped with its folder keeps the files one level down: read the folder that
        # holds stops.txt, the shallowest one if several do.
        holders = [member.parent for member in members if member.name == "stops.txt"]
        top = min(holders, key=lambda folder: len(folder.parts), default=PurePosixPath("."))
        return {member.name: str(member) for member in members if member.parent == top}

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def has(self, filename: str) -> bool:
        return filename in self._paths

    def _open(self, filename: str) -> tuple[IO[bytes], int]:
        member = self._paths[filename]
        if self._zip is not None:
            return self._zip.open(str(member)), self._zip.getinfo(str(member)).file_size
        path = Path(member)
        return path.open("rb"), path.stat().st_size

    def fail(self, filename: str, problem: str, row: int | None = None, column: str | None = None):
        return ImportFailed(f"{self.name}: {filename}", problem, row=row, field=column)

    def rows(self, filename: str, required: tuple[str, ...], progress: Progress | None):
        """The data rows of one file, once its header has every ``required`` column."""
        binary, size = self._open(filename)
        with binary:
            records = csv.reader(self._lines(filename, binary))
            try:
                yield from self._checked_rows(filename, required, records, binary, size, progress)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
                problem = f"cannot be read from the archive ({error})"
                raise self.fail(filename, problem, row=records.line_num or None) from error
        if progress is not None:
            progress(f"Reading {filename}", size, size)

    def _checked_rows(self, filename, required, records, binary, size, progress):
        """The rows after the header, with CSV errors reported at their row."""
        try:
            columns = {name.strip(): index for index, name in enumerate(next(records, []))}
            if missing := next((name for name in required if name not in columns), None):
                raise self.fail(filename, "the column is missing", column=missing)
            for count, values in enumerate(records, start=1):
                if progress is not None and count % PROGRESS_EVERY_ROWS == 0:
                    progress(f"Reading {filename}", binary.tell(), size)
                if values:
                    yield Row(self, filename, columns, records.line_num, values)
        except csv.Error as error:
            problem = f"is not valid CSV ({error})"
            raise self.fail(filename, problem, row=records.line_num) from error

    def _lines(self, filename: str, binary: IO[bytes]) -> Iterator[str]:
        """Decoded line by line, so that a bad byte is reported at its own row."""
        for number, line in enumerate(binary, start=1):
            try:
                yield line.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                raise self.fail(filename, "is not UTF-8 text", row=number) from error


class Row:
    """One data row, with parsers that refuse bad values naming the row and the field."""

    __slots__ = ("files", "filename", "columns", "number", "values")

    def __init__(self, files: FeedFiles, filename: str, columns, number: int, values) -> None:
        self.files = files
        self.filename = filename
        self.columns: dict[str, int] = columns
        self.number = number
        self.values: list[str] = values

    def fail(self, column: str, problem: str) -> ImportFailed:
        return self.files.fail(self.filename, problem, row=self.number, column=column)

    def text(self, column: str, max_length: int | None = None) -> str:
        index = self.columns.get(column)
        in_row = index is not None and index < len(self.values)
        value = self.values[index].strip() if in_row else ""
        if max_length is not None and len(value) > max_length:
            raise self.fail(column, f"is longer than {max_length} characters")
        return value

    def required(self, column: str, max_length: int | None = None) -> str:
        value = self.text(column, max_length)
        if not value:
            raise self.fail(column, "is empty")
        return value

    def integer(self, column: str, default: int | None = None, choices=None) -> int:
        value = self.text(column)
        if not value and default is not None:
            return default
        if not re.fullmatch(r"\d+", value):
            raise self.fail(column, f"{value!r} is not a whole number")
        if choices is not None and int(value) not in choices:
            raise self.fail(column, f"{value!r} is not one of {', '.join(map(str, choices))}")
        if int(value) > MAX_INTEGER:
            raise self.fail(column, f"{value!r} is too large")
        return int(value)

    def decimal(self, column: str) -> float:
        value = self.required(column)
        try:
            parsed = float(value)
        except ValueError:
            raise self.fail(column, f"{value!r} is not a number") from None
        if not math.isfinite(parsed):
            raise self.fail(column, f"{value!r} is not a finite number")
        return parsed

    def lon_lat(self, lat_column: str, lon_column: str) -> tuple[float, float]:
        lat, lon = self.decimal(lat_column), self.decimal(lon_column)
        if not -90 <= lat <= 90:
            hint = (
                " (latitude and longitude swapped?)" if -90 <= lon <= 90 < abs(lat) <= 180 else ""
            )
            problem = f"{self.text(lat_column)!r} is not between -90 and 90{hint}"
            raise self.fail(lat_column, problem)
        if not -180 <= lon <= 180:
            raise self.fail(lon_column, f"{self.text(lon_column)!r} is not between -180 and 180")
        return lon, lat

    def seconds(self, column: str) -> int:
        """A GTFS time of day, which may pass 24:00:00 for trips after midnight."""
        value = self.required(column)
        match = _TIME.fullmatch(value)
        if match is None:
            raise self.fail(column, f"{value!r} is not a time (HH:MM:SS)")
        hours, minutes, seconds = map(int, match.groups())
        if hours > MAX_SERVICE_HOURS:
            raise self.fail(column, f"{value!r} is more than {MAX_SERVICE_HOURS} hours")
        return hours * 3600 + minutes * 60 + seconds

    def date(self, column: str) -> date:
        value = self.required(column)
        try:
            return datetime.strptime(value, "%Y%m%d").date()
        except ValueError:
            raise self.fail(column, f"{value!r} is not a date (YYYYMMDD)") from None

    def colour(self, column: str, default: str) -> str:
        value = self.text(column)
        if not value:
            return default
        if not _COLOUR.fullmatch(value):
            raise self.fail(column, f"{value!r} is not a colour (six hex digits)")
        return value.upper()

    def reference(self, column: str, known, target: str):
        """The value of a column that must name a row of another file."""
        value = self.required(column)
        if value not in known:
            raise self.fail(column, f"{value!r} is not a {column} in {target}")
        return value


# Text limits come from the model, so a feed is refused with a message before the database would.
_STOP_ID_CHARS = Stop.__table__.c.gtfs_stop_id.type.length
_STOP_CODE_CHARS = Stop.__table__.c.code.type.length
_STOP_NAME_CHARS = Stop.__table__.c.name.type.length
_ROUTE_ID_CHARS = Route.__table__.c.gtfs_route_id.type.length
_SHORT_NAME_CHARS = Route.__table__.c.short_name.type.length
_LONG_NAME_CHARS = Route.__table__.c.long_name.type.length
_CALENDAR_FILES = "calendar.txt or calendar_dates.txt"
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_LOCATION_TYPES = {1: "station", 2: "entrance or exit", 3: "generic node", 4: "boarding area"}


@dataclass(frozen=True, slots=True)
class FeedStop:
    gtfs_stop_id: str
    code: str | None
    name: str
    lon: float
    lat: float


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
    # None when the trip has no shape or the feed has no shapes.txt.
    shape_id: str | None


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


def read_feed(source: Path, progress: Progress | None = None) -> Feed:
    """Read and check every file the importer uses; raise ImportFailed on the first problem."""
    files = FeedFiles(source)
    try:
        return _read_files(files, progress)
    finally:
        files.close()


def _read_files(files: FeedFiles, progress: Progress | None) -> Feed:
    for filename in REQUIRED_FILES:
        if not files.has(filename):
            needed = ", ".join(REQUIRED_FILES)
            raise ImportFailed(files.name, f"{filename} is missing (a GTFS feed needs {needed})")
    if not (files.has("calendar.txt") or files.has("calendar_dates.txt")):
        raise ImportFailed(files.name, f"{_CALENDAR_FILES} is missing")
    stops, other_locations = _read_stops(files, progress)
    routes = _read_routes(files, progress)
    weekly = _read_weekly(files, progress)
    exceptions = _read_exceptions(files, progress)
    shapes = _read_shapes(files, progress)
    service_ids = weekly.keys() | {service_id for service_id, _ in exceptions}
    trips = _read_trips(files, routes, service_ids, shapes, progress)
    return Feed(
        name=files.name,
        stops=stops,
        routes=routes,
        trips=trips,
        weekly=weekly,
        exceptions=exceptions,
        calls=_read_stop_times(files, trips, stops, other_locations, progress),
        frequency_departures=_read_frequencies(files, trips, progress),
        shapes=shapes or {},
    )


def _unique(row: Row, column: str, *seen, max_length: int | None = None) -> str:
    """A required identifier that no earlier row (in any of ``seen``) has used."""
    value = row.required(column, max_length)
    if any(value in earlier for earlier in seen):
        raise row.fail(column, f"{value!r} appears twice")
    return value


def _read_stops(files: FeedFiles, progress: Progress | None):
    """Stops and platforms (location_type empty or 0), and the types of every other location."""
    columns = ("stop_id", "stop_name", "stop_lat", "stop_lon")
    stops: dict[str, FeedStop] = {}
    other_locations: dict[str, int] = {}
    for row in files.rows("stops.txt", columns, progress):
        stop_id = _unique(row, "stop_id", stops, other_locations, max_length=_STOP_ID_CHARS)
        location_type = row.integer("location_type", default=0, choices=range(5))
        if location_type != 0:
            other_locations[stop_id] = location_type
            continue
        code = row.text("stop_code", _STOP_CODE_CHARS) or None
        name = row.required("stop_name", _STOP_NAME_CHARS)
        stops[stop_id] = FeedStop(stop_id, code, name, *row.lon_lat("stop_lat", "stop_lon"))
    if not stops:
        raise files.fail("stops.txt", "no stops (no row has location_type empty or 0)")
    return stops, other_locations


def _read_routes(files: FeedFiles, progress: Progress | None) -> dict[str, FeedRoute]:
    routes: dict[str, FeedRoute] = {}
    for row in files.rows("routes.txt", ("route_id", "route_type"), progress):
        route_id = _unique(row, "route_id", routes, max_length=_ROUTE_ID_CHARS)
        routes[route_id] = FeedRoute(
            gtfs_route_id=route_id,
            short_name=row.text("route_short_name", _SHORT_NAME_CHARS),
            long_name=row.text("route_long_name", _LONG_NAME_CHARS),
            route_type=row.integer("route_type"),
            colour=row.colour("route_color", DEFAULT_COLOUR),
            text_colour=row.colour("route_text_color", DEFAULT_TEXT_COLOUR),
        )
    return routes


def _read_weekly(files: FeedFiles, progress: Progress | None) -> dict[str, WeeklyService]:
    if not files.has("calendar.txt"):
        return {}
    columns = ("service_id", *_WEEKDAYS, "start_date", "end_date")
    weekly: dict[str, WeeklyService] = {}
    for row in files.rows("calendar.txt", columns, progress):
        service_id = _unique(row, "service_id", weekly)
        weekdays = tuple(row.integer(day, choices=(0, 1)) == 1 for day in _WEEKDAYS)
        start, end = row.date("start_date"), row.date("end_date")
        if end < start:
            raise row.fail("end_date", f"{end:%Y%m%d} is before start_date {start:%Y%m%d}")
        weekly[service_id] = WeeklyService(weekdays, start, end)
    return weekly


def _read_exceptions(files: FeedFiles, progress: Progress | None) -> dict[tuple[str, date], bool]:
    if not files.has("calendar_dates.txt"):
        return {}
    columns = ("service_id", "date", "exception_type")
    exceptions: dict[tuple[str, date], bool] = {}
    for row in files.rows("calendar_dates.txt", columns, progress):
        key = (row.required("service_id"), row.date("date"))
        if key in exceptions:
            raise row.fail("date", f"service {key[0]!r} already has an exception on this date")
        exceptions[key] = row.integer("exception_type", choices=(1, 2)) == 1
    return exceptions


def _read_shapes(files: FeedFiles, progress: Progress | None):
    """Each shape's points in shape_pt_sequence order, or None when the feed has no shapes."""
    if not files.has("shapes.txt"):
        return None
    columns = ("shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence")
    points: dict[str, dict[int, tuple[float, float]]] = {}
    for row in files.rows("shapes.txt", columns, progress):
        shape = points.setdefault(row.required("shape_id"), {})
        sequence = row.integer("shape_pt_sequence")
        if sequence in shape:
            raise row.fail("shape_pt_sequence", f"{sequence} appears twice in this shape")
        shape[sequence] = row.lon_lat("shape_pt_lat", "shape_pt_lon")
    return {shape_id: tuple(shape[n] for n in sorted(shape)) for shape_id, shape in points.items()}


def _read_trips(files: FeedFiles, routes, service_ids, shapes, progress: Progress | None):
    columns = ("route_id", "service_id", "trip_id")
    trips: dict[str, FeedTrip] = {}
    for row in files.rows("trips.txt", columns, progress):
        trip_id = _unique(row, "trip_id", trips)
        shape_id = row.text("shape_id") or None
        if shape_id is not None and shapes is not None:
            row.reference("shape_id", shapes, "shapes.txt")
        trips[trip_id] = FeedTrip(
            trip_id=trip_id,
            route_id=row.reference("route_id", routes, "routes.txt"),
            service_id=row.reference("service_id", service_ids, _CALENDAR_FILES),
            direction_id=row.integer("direction_id", default=0, choices=(0, 1)),
            shape_id=shape_id if shapes is not None else None,
        )
    return trips


def _read_stop_times(files: FeedFiles, trips, stops, other_locations, progress: Progress | None):
    """The stops of each trip in order; every trip must call somewhere."""
    columns = ("trip_id", "stop_id", "stop_sequence")
    calls: dict[str, dict[int, str]] = {}
    for row in files.rows("stop_times.txt", columns, progress):
        trip_calls = calls.setdefault(row.reference("trip_id", trips, "trips.txt"), {})
        stop_id = row.required("stop_id")
        if stop_id in other_locations:
            kind = _LOCATION_TYPES[other_locations[stop_id]]
            raise row.fail("stop_id", f"{stop_id!r} is a {kind} in stops.txt, not a stop")
        sequence = row.integer("stop_sequence")
        if sequence in trip_calls:
            raise row.fail("stop_sequence", f"{sequence} appears twice in this trip")
        trip_calls[sequence] = row.reference("stop_id", stops, "stops.txt")
    if idle := next((trip_id for trip_id in trips if trip_id not in calls), None):
        raise files.fail("stop_times.txt", f"trip {idle!r} of trips.txt has no stop times")
    return {trip_id: tuple(by[n] for n in sorted(by)) for trip_id, by in calls.items()}


def _read_frequencies(files: FeedFiles, trips, progress: Progress | None) -> dict[str, int]:
    if not files.has("frequencies.txt"):
        return {}
    columns = ("trip_id", "start_time", "end_time", "headway_secs")
    departures: dict[str, int] = {}
    for row in files.rows("frequencies.txt", columns, progress):
        trip_id = row.reference("trip_id", trips, "trips.txt")
        start_s, end_s = row.seconds("start_time"), row.seconds("end_time")
        headway_s = row.integer("headway_secs")
        if end_s < start_s:
            raise row.fail("end_time", "is before start_time")
        if headway_s == 0:
            raise row.fail("headway_secs", "must be more than 0")
        # One departure at start_time, then one every headway while before end_time.
        departures[trip_id] = departures.get(trip_id, 0) - (start_s - end_s) // headway_s
    return departures
