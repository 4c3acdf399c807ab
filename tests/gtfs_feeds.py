"""Feeds for the GTFS tests: small ones written by the test, and the two real ones as published,
read straight from their CSV files, independently of the importer."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter, defaultdict
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from geoalchemy2.shape import to_shape
from sqlalchemy import select

from transitreq.models import Route, RouteStop, Stop

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
HSL_ZIP = SHARED_DATA / "helsinki" / "GTFS.zip"
SPO_ZIP = SHARED_DATA / "sao_paulo" / "spo_gtfs.zip"
WEEKDAY_COLUMNS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


# --- The real feeds, read straight from their files -----------------------------------------


@cache
def feed_rows(archive: Path, filename: str) -> tuple[dict[str, str], ...]:
    with zipfile.ZipFile(archive) as opened:
        if filename not in opened.namelist():
            return ()
        with opened.open(filename) as raw:
            return tuple(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig")))


def clock_seconds(text: str) -> int:
    hours, minutes, seconds = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds)


def services_running(archive: Path, day: date) -> set[str]:
    """calendar.txt's weekly rule for ``day``, then calendar_dates.txt's additions and removals."""
    text = day.strftime("%Y%m%d")
    weekday = WEEKDAY_COLUMNS[day.weekday()]
    running = {
        row["service_id"]
        for row in feed_rows(archive, "calendar.txt")
        if row["start_date"] <= text <= row["end_date"] and row[weekday] == "1"
    }
    for row in feed_rows(archive, "calendar_dates.txt"):
        if row["date"] == text:
            (running.add if row["exception_type"] == "1" else running.discard)(row["service_id"])
    return running


@cache
def departures_on(archive: Path, day: date) -> dict[str, int]:
    """trip_id -> departures on ``day``, stepping through each frequency window."""
    running = services_running(archive, day)
    windows = defaultdict(list)
    for row in feed_rows(archive, "frequencies.txt"):
        windows[row["trip_id"]].append(row)
    departures = {}
    for trip in feed_rows(archive, "trips.txt"):
        if trip["service_id"] not in running:
            continue
        count = 0 if windows[trip["trip_id"]] else 1
        for window in windows[trip["trip_id"]]:
            start, end = clock_seconds(window["start_time"]), clock_seconds(window["end_time"])
            while start < end:
                count += 1
                start += int(window["headway_secs"])
        departures[trip["trip_id"]] = count
    return departures


# --- Small synthetic feeds --------------------------------------------------------------------

STOPS = [
    ["stop_id", "stop_code", "stop_name", "stop_lat", "stop_lon", "location_type"],
    ["CENTRAL", "", "Central Station", "60.1712", "24.9414", "1"],
    ["C1", "H001", "Central Station platform 1", "60.1710", "24.9410", "0"],
    ["MKT", "H002", "Market Square", "60.1675", "24.9525", ""],
    ["HRB", "H003", "Harbour", "60.1630", "24.9560", ""],
]
MINIMAL_FEED = {
    "stops.txt": STOPS,
    "routes.txt": [
        ["route_id", "route_short_name", "route_long_name", "route_type", "route_color"],
        ["R1", "1", "Central – Harbour", "3", "d1462f"],
    ],
    "trips.txt": [
        ["route_id", "service_id", "trip_id", "direction_id"],
        ["R1", "WEEKDAYS", "OUT", "0"],
        ["R1", "WEEKDAYS", "BACK", "1"],
        ["R1", "WEEKDAYS", "SHORT", "0"],
    ],
    "stop_times.txt": [
        ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"],
        ["OUT", "08:00:00", "08:00:00", "C1", "1"],
        ["OUT", "08:04:00", "08:04:00", "MKT", "2"],
        ["OUT", "08:09:00", "08:09:00", "HRB", "3"],
        ["BACK", "09:00:00", "09:00:00", "HRB", "1"],
        ["BACK", "09:05:00", "09:05:00", "MKT", "2"],
        ["BACK", "09:09:00", "09:09:00", "C1", "3"],
        ["SHORT", "10:00:00", "10:00:00", "C1", "1"],
        ["SHORT", "10:04:00", "10:04:00", "MKT", "2"],
    ],
    "calendar.txt": [
        ["service_id", *WEEKDAY_COLUMNS, "start_date", "end_date"],
        ["WEEKDAYS", "1", "1", "1", "1", "1", "0", "0", "20240101", "20240131"],
    ],
}
# The minimal feed's calendar, seen from a day it runs and from long after it ended.
DURING_THE_FEED = date(2024, 1, 1)
# Where the synthetic stops are, as the test reads them from its own rows.
STOP_LON_LAT = {row[0]: (float(row[4]), float(row[3])) for row in STOPS[1:]}


def write_feed(folder: Path, changes: dict | None = None) -> Path:
    """The minimal feed as .txt files; ``changes`` replaces a file's rows, or drops it (None)."""
    folder.mkdir(parents=True, exist_ok=True)
    for filename, rows in {**MINIMAL_FEED, **(changes or {})}.items():
        if rows is not None:
            with (folder / filename).open("w", encoding="utf-8", newline="") as handle:
                csv.writer(handle).writerows(rows)
    return folder


def zip_feed(tmp_path: Path, changes: dict | None = None, name: str = "city.zip") -> Path:
    folder = write_feed(tmp_path / f"{name}-files", changes)
    archive_path = tmp_path / name
    with zipfile.ZipFile(archive_path, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, path.name)
    return archive_path


def with_cell(rows: list[list[str]], row: int, column: str, value: str) -> list[list[str]]:
    """A copy of a file's rows with one cell changed; ``row`` counts the header as row 1."""
    changed = [list(values) for values in rows]
    changed[row - 1][rows[0].index(column)] = value
    return changed


def with_column(rows: list[list[str]], column: str, values: list[str]) -> list[list[str]]:
    """A copy of a file's rows with one more column, ``values`` giving each data row's cell."""
    return [rows[0] + [column]] + [
        row + [value] for row, value in zip(rows[1:], values, strict=True)
    ]


def without_column(rows: list[list[str]], column: str) -> list[list[str]]:
    index = rows[0].index(column)
    return [values[:index] + values[index + 1 :] for values in rows]


def network(session) -> dict[str, list[tuple]]:
    """Every stop, route and route stop with its id: equal snapshots mean nothing was touched."""
    session.expire_all()
    stops = session.scalars(select(Stop)).all()
    routes = session.scalars(select(Route)).all()
    calls = session.scalars(select(RouteStop)).all()
    return {
        "stops": sorted(
            (s.id, s.feed, s.gtfs_stop_id, s.name, to_shape(s.location).wkt, s.trips_per_weekday)
            for s in stops
        ),
        "routes": sorted(
            (r.id, r.feed, r.gtfs_route_id, r.trips_per_weekday, to_shape(r.path).wkt)
            for r in routes
        ),
        "route_stops": sorted((c.route_id, c.direction_id, c.sequence, c.stop_id) for c in calls),
    }


def loaded(session, feed: str) -> dict[str, list[tuple]]:
    """What one feed's import wrote, without database ids: two imports of equal content agree."""
    session.expire_all()
    stops = session.scalars(select(Stop).where(Stop.feed == feed)).all()
    routes = session.scalars(select(Route).where(Route.feed == feed)).all()
    return {
        "stops": sorted(
            (s.gtfs_stop_id, s.code, s.name, to_shape(s.location).wkt, s.trips_per_weekday)
            for s in stops
        ),
        "routes": sorted(
            (
                r.gtfs_route_id,
                r.short_name,
                r.long_name,
                r.route_type,
                r.colour,
                r.text_colour,
                r.trips_per_weekday,
                to_shape(r.path).wkt if r.path is not None else None,
                tuple(sorted((c.direction_id, c.sequence, c.stop.gtfs_stop_id) for c in r.calls)),
            )
            for r in routes
        ),
    }


HSL_SERVICE_DATE = date(2022, 2, 22)


def hsl(filename: str) -> tuple[dict[str, str], ...]:
    return feed_rows(HSL_ZIP, filename)


def hsl_departures_on_service_date() -> dict[str, int]:
    """trip_id -> departures on 22 February 2022, stepping through each frequency window."""
    return departures_on(HSL_ZIP, HSL_SERVICE_DATE)


@cache
def hsl_stops_of_trip() -> dict[str, tuple[str, ...]]:
    calls = defaultdict(list)
    for row in hsl("stop_times.txt"):
        calls[row["trip_id"]].append((int(row["stop_sequence"]), row["stop_id"]))
    return {trip_id: tuple(stop for _, stop in sorted(rows)) for trip_id, rows in calls.items()}


def hsl_route(short_name: str, route_type: str) -> dict[str, str]:
    (route,) = [
        row
        for row in hsl("routes.txt")
        if row["route_short_name"] == short_name and row["route_type"] == route_type
    ]
    return route


def hsl_main_pattern(route_id: str, direction_id: str) -> tuple[tuple[str, ...], str]:
    """The (stops, shape) most departures use that day, asserting it is a clear winner."""
    departures = hsl_departures_on_service_date()
    by_pattern = Counter()
    for trip in hsl("trips.txt"):
        if (trip["route_id"], trip["direction_id"]) == (route_id, direction_id):
            pattern = (hsl_stops_of_trip()[trip["trip_id"]], trip["shape_id"])
            by_pattern[pattern] += departures.get(trip["trip_id"], 0)
    (winner, most), (_, runner_up) = by_pattern.most_common(2)
    assert most > runner_up, "choose a route whose main pattern needs no tie-break"
    return winner


def spo_representative_weekday() -> date:
    """Worked out day by day from the files: the weekday with the most trips running among the
    28 days that end on the calendar's last weekday with trips; ties go to the earliest."""
    used = {trip["service_id"] for trip in feed_rows(SPO_ZIP, "trips.txt")}
    end = max(
        row["end_date"] for row in feed_rows(SPO_ZIP, "calendar.txt") if row["service_id"] in used
    )
    last = date(int(end[:4]), int(end[4:6]), int(end[6:]))
    while last.weekday() > 4 or not departures_on(SPO_ZIP, last):
        last -= timedelta(days=1)
    window = [last - timedelta(days=n) for n in range(28)]
    weekdays = sorted(day for day in window if day.weekday() < 5)
    return max(weekdays, key=lambda day: (len(departures_on(SPO_ZIP, day)), -day.toordinal()))
