"""Operators import real feeds as published: what can be repaired is repaired and reported, what
would make an answer wrong still refuses the feed, and every import leaves its record.

The stories come from the issue: a published feed refused whole because 115 rows of routes.txt
give ``route_text_color`` as ``0``, and others refused for identical duplicate rows in
calendar.txt, when with those cells blanked by hand every number came out right. Refusals are
tested with the rest of the importer (``test_gtfs_import.REFUSALS``).
"""

from __future__ import annotations

from datetime import date

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select

from tests.gtfs_feeds import (
    DURING_THE_FEED,
    MINIMAL_FEED,
    SPO_ZIP,
    STOPS,
    departures_on,
    feed_rows,
    loaded,
    spo_representative_weekday,
    with_cell,
    with_column,
    zip_feed,
)
from transitreq.importers.gtfs import import_gtfs
from transitreq.models import DatasetImport, DatasetKind, Route, RouteStop, Stop

ROUTES = MINIMAL_FEED["routes.txt"]
TRIPS = MINIMAL_FEED["trips.txt"]
STOP_TIMES = MINIMAL_FEED["stop_times.txt"]


def notices(summary) -> list[tuple]:
    """Each notice group as (severity, code, count, file, row, field) of its first example."""
    return [
        (
            g.severity.value,
            g.code,
            g.count,
            g.examples[0].file,
            g.examples[0].row,
            g.examples[0].field,
        )
        for g in summary.report.groups
    ]


# --- The two real feeds, as published -----------------------------------------------------------


def test_the_sao_paulo_feed_imports_as_published_measured_at_the_end_of_its_calendar(session):
    """Its calendar ran from 2008 to 1 May 2020. Measured on its first weekday, the feed would
    describe 1 January 2008; it is measured in its last four weeks instead, and says so."""
    summary = import_gtfs(session, SPO_ZIP, "spo")

    measured_on = spo_representative_weekday()
    # Every service runs every weekday, so the earliest weekday of the last four weeks.
    assert measured_on == date(2020, 4, 6)
    assert (summary.service_date, summary.expired) == (measured_on, True)
    assert summary.trips_per_weekday == sum(departures_on(SPO_ZIP, measured_on).values()) > 0
    assert summary.stops == len(feed_rows(SPO_ZIP, "stops.txt"))
    assert summary.routes == len(feed_rows(SPO_ZIP, "routes.txt"))
    assert set(session.scalars(select(Route.route_type))) == {1, 2, 3}  # metro, rail and bus

    # As published nothing needs repair: the report holds the one notice, and says which day.
    assert notices(summary) == [("info", "feed_expired", 1, "calendar.txt", None, None)]
    assert summary.report.groups[0].examples[0].message == (
        "the calendar ended on Friday 2020-05-01, before today: service is measured on "
        "Monday 2020-04-06, the busiest weekday of its last 4 weeks"
    )
    record = session.scalars(select(DatasetImport)).one()
    assert (record.service_start, record.service_end, record.measured_on) == (
        date(2008, 1, 1),
        date(2020, 5, 1),
        measured_on,
    )
    # South of the equator and west of Greenwich: the extent is all negative.
    lons = [float(row["stop_lon"]) for row in feed_rows(SPO_ZIP, "stops.txt")]
    lats = [float(row["stop_lat"]) for row in feed_rows(SPO_ZIP, "stops.txt")]
    assert (record.min_lon, record.min_lat, record.max_lon, record.max_lat) == (
        min(lons),
        min(lats),
        max(lons),
        max(lats),
    )
    assert record.max_lon < 0 and record.max_lat < 0


# --- Repairs ------------------------------------------------------------------------------------


def test_115_routes_whose_text_colour_is_0_import_with_one_warning_for_all(session, tmp_path):
    """The published feed of the issue: the colour is cosmetic, so the feed imports, the
    default text colour is stored, and the report counts the rows in one line."""
    header = ["route_id", "route_short_name", "route_long_name", "route_type"]
    routes = [header + ["route_color", "route_text_color"]] + [
        [f"R{n}", str(n), f"Line {n}", "3", "d1462f", "0"] for n in range(1, 116)
    ]
    summary = import_gtfs(
        session, zip_feed(tmp_path, {"routes.txt": routes}), "city", today=DURING_THE_FEED
    )

    assert notices(summary) == [
        ("warning", "invalid_color", 115, "routes.txt", 2, "route_text_color")
    ]
    (group,) = summary.report.groups
    assert [example.row for example in group.examples] == [2, 3, 4, 5, 6]
    assert summary.report.lines()[:2] == [
        "warning: invalid_color × 115",
        "    routes.txt, row 2, field 'route_text_color': is not a colour (six hex digits), "
        "so the default FFFFFF is used ('0')",
    ]
    colours = session.execute(select(Route.colour, Route.text_colour)).all()
    assert len(colours) == 115 and set(colours) == {("D1462F", "FFFFFF")}
    assert session.scalars(select(DatasetImport.report)).one() == summary.report.as_json()


FREQUENCIES = [
    ["trip_id", "start_time", "end_time", "headway_secs"],
    ["OUT", "06:00:00", "07:00:00", "600"],
]
DUPLICATED = {
    # SPTrans's feeds as published elsewhere list their 'USD' service twice, word for word.
    "calendar.txt": ("service_id", 2),
    "stops.txt": ("stop_id", 4),
    "routes.txt": ("route_id", 2),
    "trips.txt": ("trip_id", 3),
    "stop_times.txt": ("trip_id", 5),
    # A repeated frequency window would count its departures twice.
    "frequencies.txt": ("trip_id", 2),
}


@pytest.mark.parametrize("filename", DUPLICATED, ids=DUPLICATED)
def test_an_identical_duplicate_row_is_collapsed_and_reported(session, tmp_path, filename):
    key_column, copied_row = DUPLICATED[filename]
    clean = {"frequencies.txt": FREQUENCIES}
    rows = {**MINIMAL_FEED, **clean}[filename]
    duplicated = {**clean, filename: rows + [list(rows[copied_row - 1])]}

    import_gtfs(session, zip_feed(tmp_path / "clean", clean), "clean", today=DURING_THE_FEED)
    summary = import_gtfs(
        session, zip_feed(tmp_path / "copy", duplicated), "copy", today=DURING_THE_FEED
    )

    assert loaded(session, "copy") == loaded(session, "clean")
    # The copy is reported at its own row, after every row of the file.
    assert notices(summary) == [
        ("warning", "duplicate_row", 1, filename, len(rows) + 1, key_column)
    ]


SHAPES = [
    ["shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"],
    ["S1", "60.1710", "24.9410", "1"],
    ["S1", "60.1690", "24.9470", "2"],
    ["S1", "60.1660", "24.9540", "3"],
    ["S1", "60.1630", "24.9560", "4"],
]
LONG_NAME = " ".join(["Market Square"] * 20)


def stored_stop(session, stop_id: str) -> Stop | None:
    return session.scalars(select(Stop).where(Stop.gtfs_stop_id == stop_id)).one_or_none()


def the_route(session) -> Route:
    return session.scalars(select(Route)).one()


REPAIRS = {
    "colour written the CSS way": (
        {"routes.txt": with_cell(ROUTES, 2, "route_color", "#d1462f")},
        ("warning", "invalid_color", "routes.txt", 2, "route_color"),
        lambda session: the_route(session).colour == "D1462F",
    ),
    "location_type GTFS does not define": (
        {"stops.txt": with_cell(STOPS, 5, "location_type", "9")},
        ("warning", "unexpected_enum_value", "stops.txt", 5, "location_type"),
        lambda session: stored_stop(session, "HRB").trips_per_weekday == 2,
    ),
    "direction_id 2": (
        {"trips.txt": with_cell(TRIPS, 4, "direction_id", "2")},
        ("warning", "unexpected_enum_value", "trips.txt", 4, "direction_id"),
        lambda session: the_route(session).trips_per_weekday == 3,
    ),
    "wheelchair_boarding 7": (
        {"stops.txt": with_column(STOPS, "wheelchair_boarding", ["", "1", "7", ""])},
        ("warning", "unexpected_enum_value", "stops.txt", 4, "wheelchair_boarding"),
        lambda session: stored_stop(session, "MKT") is not None,
    ),
    "stop_url without http": (
        {"stops.txt": with_column(STOPS, "stop_url", ["", "www.hsl.fi/C1", "", ""])},
        ("warning", "invalid_url", "stops.txt", 3, "stop_url"),
        lambda session: stored_stop(session, "C1") is not None,
    ),
    "route_type GTFS does not define": (
        {"routes.txt": with_cell(ROUTES, 2, "route_type", "99")},
        ("warning", "unexpected_enum_value", "routes.txt", 2, "route_type"),
        lambda session: the_route(session).mode == "other",
    ),
    "stop without a name": (
        {"stops.txt": with_cell(STOPS, 4, "stop_name", "")},
        ("warning", "missing_required_field", "stops.txt", 4, "stop_name"),
        lambda session: stored_stop(session, "MKT").name == "H002",
    ),
    "route without a name": (
        {
            "routes.txt": with_cell(
                with_cell(ROUTES, 2, "route_short_name", ""), 2, "route_long_name", ""
            )
        },
        ("warning", "route_both_short_and_long_name_missing", "routes.txt", 2, "route_short_name"),
        lambda session: the_route(session).display_name == "R1",
    ),
    "stop name too long for its column": (
        {"stops.txt": with_cell(STOPS, 4, "stop_name", LONG_NAME)},
        ("warning", "value_too_long", "stops.txt", 4, "stop_name"),
        lambda session: stored_stop(session, "MKT").name == LONG_NAME[:199] + "…",
    ),
    "stop code too long for its column": (
        {"stops.txt": with_cell(STOPS, 4, "stop_code", "H" * 40)},
        ("warning", "value_too_long", "stops.txt", 4, "stop_code"),
        lambda session: stored_stop(session, "MKT").code is None,
    ),
    "value padded with spaces": (
        {"stops.txt": with_cell(STOPS, 4, "stop_id", " MKT ")},
        ("warning", "leading_or_trailing_whitespaces", "stops.txt", 4, "stop_id"),
        lambda session: stored_stop(session, "MKT").trips_per_weekday == 3,
    ),
    "blank line": (
        {"stops.txt": STOPS[:3] + [[]] + STOPS[3:]},
        ("warning", "empty_row", "stops.txt", 4, None),
        lambda session: stored_stop(session, "MKT") is not None,
    ),
    "row missing its last cell": (
        {"stops.txt": STOPS[:4] + [STOPS[4][:-1]]},
        ("warning", "invalid_row_length", "stops.txt", 5, None),
        lambda session: stored_stop(session, "HRB") is not None,
    ),
    "misspelt column": (
        {"routes.txt": with_column(ROUTES, "route_colour", ["00FF00"])},
        ("warning", "unknown_column", "routes.txt", 1, "route_colour"),
        lambda session: the_route(session).colour == "D1462F",
    ),
    "trip without stop times": (
        {"trips.txt": TRIPS + [["R1", "WEEKDAYS", "GHOST", "0"]]},
        ("warning", "unused_trip", "trips.txt", 5, "trip_id"),
        lambda session: the_route(session).trips_per_weekday == 3,
    ),
    "trip whose shape is not in shapes.txt": (
        {
            "shapes.txt": SHAPES,
            "trips.txt": with_column(TRIPS, "shape_id", ["S1", "S9", "S1"]),
        },
        ("warning", "foreign_key_violation", "trips.txt", 3, "shape_id"),
        # Outbound follows its four-point shape, inbound (S9) is drawn through its three stops.
        lambda session: (
            [len(line.coords) for line in to_shape(the_route(session).path).geoms] == [4, 3]
        ),
    ),
    "stop without coordinates that no trip calls at": (
        {"stops.txt": STOPS + [["LOST", "", "Lost property", "", "", ""]]},
        ("warning", "stop_without_location", "stops.txt", 6, "stop_lat"),
        lambda session: stored_stop(session, "LOST") is None,
    ),
    "file GTFS does not define": (
        {"notes.txt": [["note"], ["exported by hand"]]},
        ("info", "unknown_file", "notes.txt", None, None),
        lambda session: stored_stop(session, "MKT") is not None,
    ),
}


@pytest.mark.parametrize("changes, notice, repaired", REPAIRS.values(), ids=REPAIRS)
def test_a_defect_that_changes_no_answer_is_repaired_and_reported(
    session, tmp_path, changes, notice, repaired
):
    summary = import_gtfs(session, zip_feed(tmp_path, changes), "city", today=DURING_THE_FEED)

    severity, code, filename, row, field = notice
    assert notices(summary) == [(severity, code, 1, filename, row, field)]
    assert repaired(session)
    assert summary.stops == session.scalar(select(func.count(Stop.id))) >= 3


def test_blank_optional_cells_are_no_problem(session, tmp_path):
    routes = [
        ["route_id", "route_short_name", "route_long_name", "route_type", "route_color"]
        + ["route_text_color", "route_url"],
        ["R1", "", "Central – Harbour", "3", "", "", ""],
    ]
    stops = with_column(STOPS, "wheelchair_boarding", ["", "", "", ""])
    stops = with_cell(with_cell(stops, 4, "stop_code", ""), 5, "location_type", "")
    trips = with_column(TRIPS, "wheelchair_accessible", ["", "", ""])
    changes = {"routes.txt": routes, "stops.txt": stops, "trips.txt": trips}

    summary = import_gtfs(session, zip_feed(tmp_path, changes), "city", today=DURING_THE_FEED)

    assert notices(summary) == []
    route = the_route(session)
    assert (route.colour, route.text_colour, route.display_name) == (
        "1F6FD1",
        "FFFFFF",
        "Central – Harbour",
    )
    assert stored_stop(session, "MKT").code is None


# --- Strict imports, through the command line ---------------------------------------------------


def test_strict_refuses_a_feed_with_one_warning_and_accepts_a_clean_one(app, app_session, tmp_path):
    runner = app.test_cli_runner()
    cosmetic = zip_feed(
        tmp_path / "cosmetic",
        {"routes.txt": with_column(ROUTES, "route_text_color", ["0"])},
    )

    refused = runner.invoke(args=["import-gtfs", str(cosmetic), "--feed", "x", "--strict"])
    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines()[-1] == (
        "Error: city.zip: routes.txt, row 2, field 'route_text_color': is not a colour "
        "(six hex digits), so the default FFFFFF is used ('0') (strict: warnings refuse the import)"
    )
    assert app_session.scalar(select(func.count(Stop.id))) == 0
    assert app_session.scalar(select(func.count(DatasetImport.id))) == 0

    repaired = runner.invoke(args=["import-gtfs", str(cosmetic), "--feed", "x"])
    assert repaired.exit_code == 0, repaired.output
    assert "  warning: invalid_color × 1" in repaired.stdout.splitlines()

    # The minimal feed's calendar has ended: worth a notice, not a refusal.
    clean = runner.invoke(args=["import-gtfs", str(zip_feed(tmp_path / "clean")), "--strict"])
    assert clean.exit_code == 0, clean.output
    assert "  info: feed_expired × 1" in clean.stdout.splitlines()
    records = app_session.scalars(select(DatasetImport).order_by(DatasetImport.name)).all()
    assert [(r.name, r.strict) for r in records] == [("city", True), ("x", False)]


# --- The record each import leaves --------------------------------------------------------------


def test_the_import_record_says_what_was_loaded_and_what_was_repaired(session, tmp_path):
    changes = {"routes.txt": with_column(ROUTES, "route_text_color", ["0"])}
    summary = import_gtfs(session, zip_feed(tmp_path, changes), "city", today=DURING_THE_FEED)

    record = session.scalars(select(DatasetImport)).one()
    assert (record.kind, record.name, record.source, record.strict) == (
        DatasetKind.GTFS,
        "city",
        "city.zip",
        False,
    )
    assert record.counts == {
        "stops": session.scalar(select(func.count(Stop.id))),
        "routes": session.scalar(select(func.count(Route.id))),
        "trips": len(TRIPS) - 1,
        "route_stops": session.scalar(select(func.count()).select_from(RouteStop)),
        "trips_per_weekday": session.scalar(select(func.sum(Route.trips_per_weekday))),
    }
    points = [to_shape(location) for location in session.scalars(select(Stop.location))]
    assert (record.min_lon, record.min_lat, record.max_lon, record.max_lat) == (
        min(p.x for p in points),
        min(p.y for p in points),
        max(p.x for p in points),
        max(p.y for p in points),
    )
    assert (record.service_start, record.service_end, record.measured_on) == (
        date(2024, 1, 1),
        date(2024, 1, 31),
        summary.service_date,
    )
    assert record.report == summary.report.as_json()
    assert record.report[0]["code"] == "invalid_color"
    assert record.report[0]["examples"][0]["value"] == "0"


def test_reimporting_a_feed_replaces_its_record_and_no_other(session, tmp_path):
    cosmetic = zip_feed(
        tmp_path / "cosmetic", {"routes.txt": with_column(ROUTES, "route_text_color", ["0"])}
    )
    import_gtfs(session, cosmetic, "city", today=DURING_THE_FEED)
    import_gtfs(session, cosmetic, "other", today=DURING_THE_FEED)
    other_before = session.execute(
        select(DatasetImport.id, DatasetImport.imported_at).where(DatasetImport.name == "other")
    ).one()

    fixed = zip_feed(
        tmp_path / "fixed",
        {"stops.txt": STOPS[:4] + [STOPS[4]] + [["PIER", "", "Pier", "60.16", "24.96", ""]]},
    )
    import_gtfs(session, fixed, "city", today=DURING_THE_FEED)

    session.expire_all()
    records = {r.name: r for r in session.scalars(select(DatasetImport))}
    assert records.keys() == {"city", "other"}
    assert records["city"].report == []
    assert records["city"].counts["stops"] == 4
    assert (records["other"].id, records["other"].imported_at) == tuple(other_before)
    assert records["other"].report[0]["code"] == "invalid_color"
