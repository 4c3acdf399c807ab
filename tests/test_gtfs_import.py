"""Operators load the operator's GTFS feed: stops, routes, main patterns and weekday service.

Expectations about the Helsinki feed are worked out here from its CSV files, independently of
the importer; the small synthetic feeds are simple enough to count by hand.
"""

from __future__ import annotations

import zipfile
from collections import Counter, defaultdict
from datetime import date

import pytest
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from sqlalchemy import func, select

from tests.factories import WGS84
from tests.gtfs_feeds import (
    DURING_THE_FEED,
    HSL_SERVICE_DATE,
    HSL_ZIP,
    MINIMAL_FEED,
    STOP_LON_LAT,
    STOPS,
    hsl,
    hsl_departures_on_service_date,
    hsl_main_pattern,
    hsl_route,
    hsl_stops_of_trip,
    network,
    with_cell,
    without_column,
    zip_feed,
)
from transitreq.errors import ImportFailed
from transitreq.importers.demo_city import DEMO_FEED, seed_demo_city
from transitreq.importers.gtfs import import_gtfs
from transitreq.models import DatasetImport, Route, RouteStop, Stop

# --- The Helsinki feed, read straight from its files --------------------------------------------


def stored_pattern(session, route: Route, direction_id: int) -> tuple[str, ...]:
    calls = session.scalars(
        select(RouteStop)
        .where(RouteStop.route_id == route.id, RouteStop.direction_id == direction_id)
        .order_by(RouteStop.sequence)
    )
    return tuple(call.stop.gtfs_stop_id for call in calls)


def test_operator_imports_the_helsinki_feed_with_every_stop_and_route(session):
    summary = import_gtfs(session, HSL_ZIP, "hsl")

    boarding_points = [row for row in hsl("stops.txt") if row["location_type"] in ("", "0")]
    assert summary.stops == len(boarding_points) == session.scalar(select(func.count(Stop.id)))
    assert summary.routes == len(hsl("routes.txt")) == session.scalar(select(func.count(Route.id)))
    assert summary.service_date == HSL_SERVICE_DATE
    assert summary.trips_per_weekday == sum(hsl_departures_on_service_date().values())
    assert summary.route_stops == session.scalar(select(func.count()).select_from(RouteStop))
    # Every route that has trips is drawn; routes.txt also lists a few lines without any trip,
    # which are kept (the feed names them) with no path and no service.
    idle = {row["route_id"] for row in hsl("routes.txt")} - {
        t["route_id"] for t in hsl("trips.txt")
    }
    routes = session.scalars(select(Route)).all()
    drawn = {
        r.gtfs_route_id for r in routes if r.path is not None and not to_shape(r.path).is_empty
    }
    assert drawn == {route.gtfs_route_id for route in routes} - idle
    assert all(r.trips_per_weekday == 0 for r in routes if r.gtfs_route_id in idle)
    first = boarding_points[0]
    stored = session.scalars(select(Stop).where(Stop.gtfs_stop_id == first["stop_id"])).one()
    assert (stored.name, stored.code, stored.feed) == (
        first["stop_name"],
        first["stop_code"],
        "hsl",
    )
    location = to_shape(stored.location)
    assert (location.x, location.y) == (float(first["stop_lon"]), float(first["stop_lat"]))

    # As published, the feed has nothing to repair; its calendar (one Tuesday) has long ended.
    assert [(g.code, g.severity.value, g.count) for g in summary.report.groups] == [
        ("feed_expired", "info", 1)
    ]
    assert "service is measured on Tuesday 2022-02-22" in summary.report.lines()[1]
    record = session.scalars(select(DatasetImport)).one()
    assert (record.name, record.source, record.measured_on) == ("hsl", "GTFS.zip", HSL_SERVICE_DATE)
    assert record.counts["stops"] == summary.stops


def test_tram_4_and_the_busiest_interchange_carry_the_timetabled_service(session):
    import_gtfs(session, HSL_ZIP, "hsl")
    departures = hsl_departures_on_service_date()
    tram_4 = hsl_route("4", route_type="0")
    route = session.scalars(select(Route).where(Route.gtfs_route_id == tram_4["route_id"])).one()

    route_trips = [trip for trip in hsl("trips.txt") if trip["route_id"] == tram_4["route_id"]]
    expected = sum(departures.get(trip["trip_id"], 0) for trip in route_trips)
    assert route.trips_per_weekday == expected > 0

    for direction_id in (0, 1):
        stops, _ = hsl_main_pattern(tram_4["route_id"], str(direction_id))
        assert stored_pattern(session, route, direction_id) == stops

    _, shape_id = hsl_main_pattern(tram_4["route_id"], "0")
    shape = [row for row in hsl("shapes.txt") if row["shape_id"] == shape_id]
    start = min(shape, key=lambda row: int(row["shape_pt_sequence"]))
    path_lon, path_lat = to_shape(route.path).geoms[0].coords[0]
    distance_m = WGS84.inv(
        path_lon, path_lat, float(start["shape_pt_lon"]), float(start["shape_pt_lat"])
    )[2]
    assert distance_m < 50

    routes_at_stop = defaultdict(set)
    calls_at_stop = Counter()
    route_of_trip = {trip["trip_id"]: trip["route_id"] for trip in hsl("trips.txt")}
    for trip_id, count in departures.items():
        for stop_id in hsl_stops_of_trip()[trip_id]:
            routes_at_stop[stop_id].add(route_of_trip[trip_id])
            calls_at_stop[stop_id] += count
    interchange = max(routes_at_stop, key=lambda stop_id: (len(routes_at_stop[stop_id]), stop_id))
    stop = session.scalars(select(Stop).where(Stop.gtfs_stop_id == interchange)).one()
    assert stop.trips_per_weekday == calls_at_stop[interchange] > 0


# --- Small synthetic feeds ----------------------------------------------------------------------


def test_reimporting_a_feed_replaces_it_and_leaves_other_feeds_alone(session, tmp_path):
    demo_stops = [
        Stop(
            feed="demo",
            gtfs_stop_id=f"D{n}",
            name=f"Demo {n}",
            location=from_shape(Point(10 + n / 100, 45), srid=4326),
        )
        for n in range(2)
    ]
    session.add_all(demo_stops)
    session.commit()
    demo_before = [row for row in network(session)["stops"] if row[1] == "demo"]
    feed = zip_feed(tmp_path)

    first = import_gtfs(session, feed, "city")
    second = import_gtfs(session, feed, "city")
    assert first == second
    stops_by_feed = Counter(row[1] for row in network(session)["stops"])
    assert stops_by_feed == {"city": 3, "demo": 2}
    assert session.scalar(select(func.count(Route.id))) == 1
    assert session.scalar(select(func.count()).select_from(RouteStop)) == first.route_stops

    import_gtfs(session, feed, "city-copy")
    stops_by_feed = Counter(row[1] for row in network(session)["stops"])
    assert stops_by_feed == {"city": 3, "city-copy": 3, "demo": 2}
    assert [row for row in network(session)["stops"] if row[1] == "demo"] == demo_before


def test_a_folder_imports_like_the_zip(session, tmp_path):
    archive = zip_feed(tmp_path)
    folder = tmp_path / "extracted"
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(folder)

    from_zip = import_gtfs(session, archive, "from-zip")
    from_folder = import_gtfs(session, folder, "from-folder")
    assert from_folder.stops == from_zip.stops == 3
    assert (from_folder.routes, from_folder.route_stops) == (from_zip.routes, from_zip.route_stops)
    assert from_folder.service_date == from_zip.service_date
    rows = network(session)["stops"]
    assert sorted(row[2:] for row in rows if row[1] == "from-zip") == sorted(
        row[2:] for row in rows if row[1] == "from-folder"
    )


def test_without_shapes_a_route_is_drawn_through_its_stops(session, tmp_path):
    import_gtfs(session, zip_feed(tmp_path), "city")
    route = session.scalars(select(Route)).one()

    outbound, inbound = to_shape(route.path).geoms
    assert list(outbound.coords) == [STOP_LON_LAT[s] for s in ("C1", "MKT", "HRB")]
    assert list(inbound.coords) == [STOP_LON_LAT[s] for s in ("HRB", "MKT", "C1")]
    assert (route.colour, route.text_colour, route.short_name) == ("D1462F", "FFFFFF", "1")
    assert stored_pattern(session, route, 0) == ("C1", "MKT", "HRB")
    assert route.trips_per_weekday == 3


def test_frequency_windows_count_every_departure_and_choose_the_main_pattern(session, tmp_path):
    """SHORT runs twice a day and OUT once by the timetable, but OUT runs every 10 minutes."""
    trips = MINIMAL_FEED["trips.txt"] + [["R1", "WEEKDAYS", "SHORT-2", "0"]]
    stop_times = MINIMAL_FEED["stop_times.txt"] + [
        ["SHORT-2", "11:00:00", "11:00:00", "C1", "1"],
        ["SHORT-2", "11:04:00", "11:04:00", "MKT", "2"],
    ]
    frequencies = [
        ["trip_id", "start_time", "end_time", "headway_secs"],
        # 06:00, 06:10, … 06:50: six departures (07:00 is the end, not a departure).
        ["OUT", "06:00:00", "07:00:00", "600"],
        # 23:50 and 24:05 (after midnight, same service day): two departures.
        ["OUT", "23:50:00", "24:20:00", "900"],
    ]
    changes = {"trips.txt": trips, "stop_times.txt": stop_times, "frequencies.txt": frequencies}
    summary = import_gtfs(session, zip_feed(tmp_path, changes), "city")

    route = session.scalars(select(Route)).one()
    out_departures = 6 + 2
    assert route.trips_per_weekday == out_departures + 1 + 2  # OUT, BACK, SHORT and SHORT-2
    assert summary.trips_per_weekday == route.trips_per_weekday
    stops = {stop.gtfs_stop_id: stop for stop in session.scalars(select(Stop))}
    assert stops["HRB"].trips_per_weekday == out_departures + 1
    assert stops["MKT"].trips_per_weekday == out_departures + 1 + 2
    assert stored_pattern(session, route, 0) == ("C1", "MKT", "HRB")


def test_a_loop_route_lists_a_stop_it_calls_at_twice(session, tmp_path):
    stop_times = MINIMAL_FEED["stop_times.txt"] + [
        ["OUT", "08:12:00", "08:12:00", "MKT", "4"],
        ["OUT", "08:16:00", "08:16:00", "C1", "5"],
    ]
    import_gtfs(session, zip_feed(tmp_path, {"stop_times.txt": stop_times}), "city")

    route = session.scalars(select(Route)).one()
    assert stored_pattern(session, route, 0) == ("C1", "MKT", "HRB", "MKT", "C1")
    market = session.scalars(select(Stop).where(Stop.gtfs_stop_id == "MKT")).one()
    assert market.trips_per_weekday == 4  # OUT twice, BACK and SHORT once each


@pytest.mark.parametrize(
    ("calendar_dates", "expected"),
    [
        # Every weekday of January runs the same three trips: the earliest one represents them.
        (None, date(2024, 1, 1)),
        # New Year's Day is cancelled, so the next weekday is the earliest of the busiest.
        (
            [["service_id", "date", "exception_type"], ["WEEKDAYS", "20240101", "2"]],
            date(2024, 1, 2),
        ),
        # A service added on Wednesday 17th makes it the busiest weekday; removing the
        # Saturday service on a day it never runs changes nothing.
        (
            [
                ["service_id", "date", "exception_type"],
                ["EXTRA", "20240117", "1"],
                ["SATURDAYS", "20240117", "2"],
            ],
            date(2024, 1, 17),
        ),
    ],
)
def test_service_is_measured_on_the_busiest_weekday(session, tmp_path, calendar_dates, expected):
    """Five Saturday trips outnumber the three of each weekday, but only weekdays count."""
    calendar = MINIMAL_FEED["calendar.txt"] + [
        ["SATURDAYS", "0", "0", "0", "0", "0", "1", "0", "20240101", "20240131"],
        ["EXTRA", "0", "0", "0", "0", "0", "0", "0", "20240101", "20240131"],
    ]
    extra_trips = ["EXTRA-1"] + [f"SAT-{n}" for n in range(5)]
    trips = MINIMAL_FEED["trips.txt"] + [
        ["R1", trip_id.split("-")[0].replace("SAT", "SATURDAYS"), trip_id, "0"]
        for trip_id in extra_trips
    ]
    stop_times = MINIMAL_FEED["stop_times.txt"] + [
        [trip_id, "12:00:00", "12:00:00", stop_id, str(sequence)]
        for trip_id in extra_trips
        for sequence, stop_id in enumerate(("C1", "HRB"), start=1)
    ]
    changes = {"calendar.txt": calendar, "trips.txt": trips, "stop_times.txt": stop_times}
    if calendar_dates is not None:
        changes["calendar_dates.txt"] = calendar_dates

    summary = import_gtfs(session, zip_feed(tmp_path, changes), "city", today=DURING_THE_FEED)
    assert summary.service_date == expected
    assert summary.service_date.weekday() < 5
    assert not summary.expired
    assert summary.report.groups == []


def test_an_expired_feed_is_measured_on_the_busiest_weekday_of_its_last_four_weeks(
    session, tmp_path
):
    """EXTRA adds a trip on Tuesday 2 January and on Wednesday 24 January, the two busiest
    weekdays. While the feed runs, the earlier wins the tie; once it has ended, only its last
    four weeks of weekday service count (4 to 31 January: the Saturday service that runs on
    to March does not move them), and the 24th is the busiest there."""
    calendar = MINIMAL_FEED["calendar.txt"] + [
        ["SATURDAYS", "0", "0", "0", "0", "0", "1", "0", "20240101", "20240302"],
    ]
    calendar_dates = [
        ["service_id", "date", "exception_type"],
        ["EXTRA", "20240102", "1"],
        ["EXTRA", "20240124", "1"],
    ]
    trips = MINIMAL_FEED["trips.txt"] + [
        ["R1", "EXTRA", "EXTRA-1", "0"],
        ["R1", "SATURDAYS", "SAT-1", "0"],
    ]
    stop_times = MINIMAL_FEED["stop_times.txt"] + [
        [trip_id, "12:00:00", "12:00:00", stop_id, str(sequence)]
        for trip_id in ("EXTRA-1", "SAT-1")
        for sequence, stop_id in enumerate(("C1", "HRB"), start=1)
    ]
    changes = {
        "calendar.txt": calendar,
        "calendar_dates.txt": calendar_dates,
        "trips.txt": trips,
        "stop_times.txt": stop_times,
    }
    feed = zip_feed(tmp_path, changes)

    running = import_gtfs(session, feed, "city", today=DURING_THE_FEED)
    assert (running.service_date, running.trips_per_weekday) == (date(2024, 1, 2), 4)
    assert running.report.groups == []

    ended = import_gtfs(session, feed, "city", today=date(2024, 3, 3))
    assert (ended.service_date, ended.trips_per_weekday) == (date(2024, 1, 24), 4)
    assert (ended.service_start, ended.service_end, ended.expired) == (
        date(2024, 1, 1),
        date(2024, 3, 2),
        True,
    )
    (notice,) = ended.report.groups
    assert (notice.code, notice.severity.value) == ("feed_expired", "info")
    assert notice.examples[0].message == (
        "the calendar ended on Saturday 2024-03-02, before today: service is measured on "
        "Wednesday 2024-01-24, the busiest weekday of its last 4 weeks"
    )
    # The day before it ended, the feed was current and measured by the first rule.
    last_day = import_gtfs(session, feed, "city", today=date(2024, 3, 2))
    assert (last_day.service_date, last_day.expired) == (date(2024, 1, 2), False)


# --- Refusals ------------------------------------------------------------------------------------

CALLED = ", and trips call at this stop (stop_times.txt, row {})"
REFUSALS = {
    "zip without stops.txt": (
        {"stops.txt": None},
        "city.zip: stops.txt is missing "
        "(a GTFS feed needs stops.txt, routes.txt, trips.txt, stop_times.txt)",
        "missing_required_file",
    ),
    "stops.txt without a stop_lat column": (
        {"stops.txt": without_column(STOPS, "stop_lat")},
        "city.zip: stops.txt, field 'stop_lat': the column is missing",
        "missing_required_column",
    ),
    "latitude with a decimal comma": (
        {"stops.txt": with_cell(STOPS, 3, "stop_lat", "60,17")},
        "city.zip: stops.txt, row 3, field 'stop_lat': '60,17' is not a number" + CALLED.format(2),
        "stop_without_location",
    ),
    "latitude that lost its decimal point": (
        {"stops.txt": with_cell(STOPS, 4, "stop_lat", "601675")},
        "city.zip: stops.txt, row 4, field 'stop_lat': '601675' is not between -90 and 90"
        + CALLED.format(3),
        "stop_without_location",
    ),
    "latitude and longitude swapped": (
        {"stops.txt": with_cell(with_cell(STOPS, 5, "stop_lat", "124.95"), 5, "stop_lon", "60.1")},
        "city.zip: stops.txt, row 5, field 'stop_lat': '124.95' is not between -90 and 90 "
        "(latitude and longitude swapped?)" + CALLED.format(4),
        "stop_without_location",
    ),
    "latitude that is not a number at all": (
        {"stops.txt": with_cell(STOPS, 3, "stop_lat", "NaN")},
        "city.zip: stops.txt, row 3, field 'stop_lat': 'NaN' is not a finite number"
        + CALLED.format(2),
        "stop_without_location",
    ),
    "stop placed at 0, 0": (
        {"stops.txt": with_cell(with_cell(STOPS, 4, "stop_lat", "0"), 4, "stop_lon", "0.0")},
        "city.zip: stops.txt, row 4, field 'stop_lat': latitude 0, longitude 0 is a placeholder, "
        "not a place" + CALLED.format(3),
        "stop_without_location",
    ),
    "stop without coordinates": (
        {"stops.txt": with_cell(with_cell(STOPS, 5, "stop_lat", ""), 5, "stop_lon", "")},
        "city.zip: stops.txt, row 5, field 'stop_lat': is empty" + CALLED.format(4),
        "stop_without_location",
    ),
    "stop time at an unknown stop": (
        {"stop_times.txt": with_cell(MINIMAL_FEED["stop_times.txt"], 6, "stop_id", "NOWHERE")},
        "city.zip: stop_times.txt, row 6, field 'stop_id': 'NOWHERE' is not a stop_id in stops.txt",
        "foreign_key_violation",
    ),
    "stop time at a station rather than a platform": (
        {"stop_times.txt": with_cell(MINIMAL_FEED["stop_times.txt"], 2, "stop_id", "CENTRAL")},
        "city.zip: stop_times.txt, row 2, field 'stop_id': 'CENTRAL' is a station in stops.txt, "
        "not a stop",
        "location_with_unexpected_stop_time",
    ),
    "trip of an unknown route": (
        {"trips.txt": with_cell(MINIMAL_FEED["trips.txt"], 3, "route_id", "R9")},
        "city.zip: trips.txt, row 3, field 'route_id': 'R9' is not a route_id in routes.txt",
        "foreign_key_violation",
    ),
    "service defined twice, differently": (
        {
            "calendar.txt": MINIMAL_FEED["calendar.txt"]
            + [["WEEKDAYS", "1", "1", "1", "1", "1", "0", "0", "20240101", "20241231"]]
        },
        "city.zip: calendar.txt, row 3, field 'service_id': 'WEEKDAYS' is already in row 2 with "
        "different content (end_date: '20240131' there, '20241231' here)",
        "duplicate_key",
    ),
    "one stop of a trip given twice, at different stops": (
        {
            "stop_times.txt": MINIMAL_FEED["stop_times.txt"]
            + [["OUT", "08:09:00", "08:09:00", "MKT", "3"]]
        },
        "city.zip: stop_times.txt, row 10, field 'trip_id': 'OUT, 3' is already in row 4 with "
        "different content (stop_id: 'HRB' there, 'MKT' here)",
        "duplicate_key",
    ),
    "row shifted by an unquoted comma": (
        {
            "routes.txt": MINIMAL_FEED["routes.txt"]
            + [["R2", "2", "Harbour", "Market", "3", "d1462f"]]
        },
        "city.zip: routes.txt, row 3: has 6 values but the header names 5 columns "
        "(a value with an unquoted comma?)",
        "invalid_row_length",
    ),
    "feed whose only location is a station": (
        {"stops.txt": STOPS[:2]},
        "city.zip: stops.txt: no stops (no row has location_type empty or 0)",
        "empty_file",
    ),
    "feed without a calendar": (
        {"calendar.txt": None},
        "city.zip: calendar.txt or calendar_dates.txt is missing",
        "missing_calendar_and_calendar_date_files",
    ),
    "feed that runs only at weekends": (
        {
            "calendar.txt": [
                MINIMAL_FEED["calendar.txt"][0],
                ["WEEKDAYS", "0", "0", "0", "0", "0", "1", "1", "20240101", "20240131"],
            ]
        },
        "city.zip: no trip runs on a weekday (Monday to Friday) in calendar.txt or "
        "calendar_dates.txt",
        "no_service",
    ),
}


@pytest.mark.parametrize("changes, message, notice", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_broken_feed_is_refused_and_the_loaded_one_stays(
    session, tmp_path, changes, message, notice
):
    import_gtfs(session, zip_feed(tmp_path / "good"), "city")
    before = network(session)
    record_before = session.scalars(select(DatasetImport.id, DatasetImport.counts)).all()

    with pytest.raises(ImportFailed) as refusal:
        import_gtfs(session, zip_feed(tmp_path / "broken", changes), "city")

    assert str(refusal.value) == message
    assert refusal.value.notice == notice
    assert "\n" not in str(refusal.value)
    assert network(session) == before
    assert session.scalars(select(DatasetImport.id, DatasetImport.counts)).all() == record_before


def test_a_text_file_named_like_a_zip_is_refused(session, tmp_path):
    import_gtfs(session, zip_feed(tmp_path / "good"), "city")
    before = network(session)
    impostor = tmp_path / "feed.zip"
    impostor.write_text("stop_id,stop_name\n1,Not a zip\n", encoding="utf-8")

    with pytest.raises(ImportFailed, match=r"^feed\.zip: not a zip archive or a folder"):
        import_gtfs(session, impostor, "city")
    assert network(session) == before


# --- The command line -----------------------------------------------------------------------------


def test_operator_imports_a_feed_from_the_command_line(app, app_session, tmp_path):
    feed = zip_feed(tmp_path, name="City.zip")
    runner = app.test_cli_runner()

    named = runner.invoke(args=["import-gtfs", str(feed), "--feed", "x"])
    assert named.exit_code == 0, named.output
    assert named.stdout.splitlines()[:4] == [
        "Feed 'x' loaded: 3 stops, 1 route, 3 departures on Thursday 2024-01-04.",
        "Report:",
        "  info: feed_expired × 1",
        "      calendar.txt: the calendar ended on Wednesday 2024-01-31, before today: service "
        "is measured on Thursday 2024-01-04, the busiest weekday of its last 4 weeks",
    ]

    by_file_name = runner.invoke(args=["import-gtfs", str(feed)])
    assert by_file_name.exit_code == 0, by_file_name.output
    feeds = Counter(app_session.scalars(select(Stop.feed)))
    assert feeds == {"x": 3, "city": 3}


def test_the_command_line_names_the_problem_and_fails(app, tmp_path):
    broken = zip_feed(tmp_path, {"stops.txt": with_cell(STOPS, 3, "stop_lat", "60,17")})

    result = app.test_cli_runner().invoke(args=["import-gtfs", str(broken), "--feed", "x"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: city.zip: stops.txt, row 3, field 'stop_lat': '60,17' is not a number, "
        "and trips call at this stop (stop_times.txt, row 2)"
    )


def test_the_demo_city_feed_name_cannot_be_overwritten_by_an_import(session, tmp_path):
    seed_demo_city(session)
    before = network(session)
    with pytest.raises(ImportFailed, match="kept for the demo city"):
        import_gtfs(session, zip_feed(tmp_path), DEMO_FEED)
    assert network(session) == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"routes.txt": with_cell(MINIMAL_FEED["routes.txt"], 2, "route_type", "99999999999")},
            "routes.txt, row 2, field 'route_type': '99999999999' is too large",
        ),
        (
            {
                "frequencies.txt": [
                    ["trip_id", "start_time", "end_time", "headway_secs"],
                    ["OUT", "08:00:00", "9999999:00:00", "1"],
                ]
            },
            "frequencies.txt, row 2, field 'end_time': '9999999:00:00' is more than 240 hours",
        ),
    ],
)
def test_numbers_too_large_for_the_database_are_refused_before_writing(
    session, tmp_path, changes, message
):
    before = network(session)
    with pytest.raises(ImportFailed) as refusal:
        import_gtfs(session, zip_feed(tmp_path, changes), "city")
    assert message in str(refusal.value)
    assert network(session) == before


def test_a_corrupt_file_inside_the_zip_is_named(session, tmp_path):
    archive = zip_feed(tmp_path)
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as feed:
        member = feed.getinfo("stop_times.txt")
    # Flip bytes inside the stored data of one member, so its CRC no longer matches.
    start = member.header_offset + 30 + len(member.filename) + 5
    data[start : start + 8] = bytes(8)
    archive.write_bytes(bytes(data))
    before = network(session)
    with pytest.raises(ImportFailed, match="stop_times.txt.*cannot be read from the archive"):
        import_gtfs(session, archive, "city")
    assert network(session) == before
