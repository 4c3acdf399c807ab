"""Modes in the analysis: the route types new stops serve and each mode's catchment, read from
settings the way a deployment writes them, and refused at start when they make no sense."""

from __future__ import annotations

import pytest

from transitreq import create_app
from transitreq.geo.modes import ModeRules, parse_catchments, parse_route_types
from transitreq.models.transit import transit_mode


@pytest.mark.parametrize(
    ("route_type", "mode"),
    [
        (3, "bus"),
        (704, "bus"),
        (11, "trolleybus"),
        (800, "trolleybus"),
        (0, "tram"),
        (900, "tram"),
        (1, "metro"),
        (401, "metro"),
        (2, "rail"),
        (109, "rail"),
        (4, "ferry"),
        (1000, "ferry"),
        (1700, "other"),
    ],
)
def test_basic_and_extended_route_types_name_their_mode(route_type, mode):
    assert transit_mode(route_type) == mode


def test_settings_name_modes_by_route_type():
    assert parse_route_types("3, 11", "NEW_STOP_ROUTE_TYPES") == {"bus", "trolleybus"}
    assert parse_route_types("700", "NEW_STOP_ROUTE_TYPES") == {"bus"}
    assert parse_catchments("1=800,109=1000", "CATCHMENT_BY_ROUTE_TYPE") == {
        "metro": 800,
        "rail": 1000,
    }
    assert parse_catchments("", "CATCHMENT_BY_ROUTE_TYPE") == {}


def test_a_stop_reaches_at_least_the_radius_evaluated_and_farther_when_its_mode_says():
    rules = ModeRules(frozenset({"bus"}), {"rail": 800})
    assert rules.reach_m("bus", 400) == 400
    assert rules.reach_m("rail", 400) == 800
    assert rules.reach_m("rail", 1000) == 1000
    assert rules.farthest_reach_m(400) == 800


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("NEW_STOP_ROUTE_TYPES", "bus", "'bus' is not a GTFS route_type"),
        ("NEW_STOP_ROUTE_TYPES", "", "names no route type"),
        ("NEW_STOP_ROUTE_TYPES", "1700", "'1700' is not a GTFS route_type"),
        ("CATCHMENT_BY_ROUTE_TYPE", "rail=800", "is not route_type=metres"),
        ("CATCHMENT_BY_ROUTE_TYPE", "2=0", "needs a GTFS route_type and 1–5000 m"),
    ],
)
def test_settings_that_make_no_sense_stop_the_app_at_start(tmp_path, setting, value, message):
    with pytest.raises(ValueError, match=f"{setting}: .*{message}|{setting} {message}"):
        create_app(
            {setting: value, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
            instance_path=str(tmp_path),
        )


def test_every_trip_gives_its_stops_their_modes_not_only_the_main_pattern(session, tmp_path):
    """A metro branch's station is a metro station though only the busiest pattern of each
    direction is kept as the route's stop sequence."""
    from sqlalchemy import select

    from tests.gtfs_feeds import MINIMAL_FEED, write_feed
    from transitreq.importers.gtfs import import_gtfs
    from transitreq.models import Route, RouteStop, Stop, StopMode

    routes = [*MINIMAL_FEED["routes.txt"], ["M1", "M1", "Metro", "1", "ff6319"]]
    trips = [
        *MINIMAL_FEED["trips.txt"],
        ["M1", "WEEKDAYS", "M-MAIN-1", "0"],
        ["M1", "WEEKDAYS", "M-MAIN-2", "0"],
        ["M1", "WEEKDAYS", "M-BRANCH", "0"],
    ]
    stop_times = [
        *MINIMAL_FEED["stop_times.txt"],
        ["M-MAIN-1", "07:00:00", "07:00:00", "C1", "1"],
        ["M-MAIN-1", "07:05:00", "07:05:00", "MKT", "2"],
        ["M-MAIN-2", "07:30:00", "07:30:00", "C1", "1"],
        ["M-MAIN-2", "07:35:00", "07:35:00", "MKT", "2"],
        ["M-BRANCH", "08:00:00", "08:00:00", "C1", "1"],
        ["M-BRANCH", "08:07:00", "08:07:00", "HRB", "2"],
    ]
    feed = write_feed(
        tmp_path / "feed",
        {"routes.txt": routes, "trips.txt": trips, "stop_times.txt": stop_times},
    )
    import_gtfs(session, feed, "city")
    modes = {
        name: sorted(session.scalars(select(StopMode.mode).where(StopMode.stop_id == stop_id)))
        for stop_id, name in session.execute(select(Stop.id, Stop.gtfs_stop_id))
    }
    assert modes == {"C1": ["bus", "metro"], "MKT": ["bus", "metro"], "HRB": ["bus", "metro"]}
    # The branch is not the metro's main pattern, whose stop sequence leaves Harbour out.
    metro_sequence = session.scalars(
        select(Stop.gtfs_stop_id)
        .join(RouteStop, RouteStop.stop_id == Stop.id)
        .join(Route, Route.id == RouteStop.route_id)
        .where(Route.gtfs_route_id == "M1")
        .order_by(RouteStop.sequence)
    ).all()
    assert metro_sequence == ["C1", "MKT"]
