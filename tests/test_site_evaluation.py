"""Planners weigh a site: every number checked against Shapely + pyproj on real Helsinki data.

The HSL feed and the HSY population grid and points are imported once per backend; each site's
evaluation is compared with an independent computation in the test, and the two backends with
each other, within 1 %.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
import shapely
from geoalchemy2.shape import to_shape
from pyproj import Transformer
from shapely.geometry import LineString, Point
from sqlalchemy import select

from tests.databases import assert_uses_spatial_index
from tests.gtfs_feeds import hsl, hsl_main_pattern, hsl_route
from tests.helsinki import (
    EVERY_STOP_ALIKE,
    GRID,
    POINTS,
    SETTINGS,
    SETTINGS_AND_STATIONS,
    station_reach_m,
)
from tests.reference_data import (
    UTM_35N,
    grid_extent,
    to_utm,
)
from transitreq.backends import backend_of
from transitreq.geo.catchment import (
    catchment_circle,
    latest_dataset_near_statement,
    population_statement,
)
from transitreq.geo.modes import ModeRules
from transitreq.geo.nearby import demand_statement
from transitreq.geo.network import (
    SPACING_SEARCH_M,
    routes_within_statement,
    spacing_statement,
    stops_within_statement,
    stops_within_values,
)
from transitreq.geo.service_areas import area_containing_statement
from transitreq.models import PopulationDataset, Route, RouteStop, Stop
from transitreq.services.analysis.evaluation import evaluate_site
from transitreq.services.requests.rules import OPEN

POINTS_KIND = "points"
RADII_M = (250, 400)


def _sites() -> list[Point]:
    """Six sites spread over the grid's extent, off any grid line."""
    min_lon, min_lat, max_lon, max_lat = grid_extent()
    fractions = [(0.21, 0.33), (0.5, 0.5), (0.77, 0.41), (0.33, 0.81), (0.64, 0.18), (0.9, 0.9)]
    return [
        Point(min_lon + fx * (max_lon - min_lon), min_lat + fy * (max_lat - min_lat))
        for fx, fy in fractions
    ]


SITES = _sites()


def _close(actual: float, expected: float) -> bool:
    """Within 1 %, or within one person where the expected count is tiny."""
    return abs(actual - expected) <= max(0.01 * abs(expected), 1.0)


def _expected_population(units, region, kind: str) -> float:
    if kind == POINTS_KIND:
        return sum(people for point, people in units if region.covers(point))
    return sum(
        people * polygon.intersection(region).area / polygon.area for polygon, people in units
    )


def _uncovered(site_utm, radius_m: float, stops, stations: set[str]) -> shapely.Geometry:
    """The catchment less what existing stops serve: each stop its radius, a metro or rail
    station at least 800 m."""
    catchment = site_utm.buffer(radius_m, quad_segs=64)
    circles = [
        utm.buffer(station_reach_m(stop, radius_m, stations), quad_segs=64)
        for stop, utm in stops
        if utm.distance(site_utm) <= radius_m + station_reach_m(stop, radius_m, stations)
    ]
    return catchment.difference(shapely.union_all(circles))


@pytest.mark.parametrize("rules", list(SETTINGS_AND_STATIONS))
@pytest.mark.parametrize("dataset_name", [GRID, POINTS])
@pytest.mark.parametrize("site", SITES, ids=[f"site{i}" for i in range(len(SITES))])
def test_population_served_and_newly_served_match_an_independent_computation(
    helsinki_session, reference, dataset_name, site, rules
):
    settings, stations_reach_farther = SETTINGS_AND_STATIONS[rules]
    stations = reference["stations"] if stations_reach_farther else set()
    evaluation = evaluate_site(helsinki_session, site, settings, dataset_name)
    site_utm = to_utm(site)
    units = reference[dataset_name]
    kind = POINTS_KIND if dataset_name == POINTS else "polygons"
    for catchment in evaluation.catchments:
        circle = site_utm.buffer(catchment.radius_m, quad_segs=64)
        expected = _expected_population(units, circle, kind)
        expected_new = _expected_population(
            units,
            _uncovered(site_utm, catchment.radius_m, reference["stops"], stations),
            kind,
        )
        assert _close(catchment.population, expected), (catchment, expected)
        assert _close(catchment.newly_served, expected_new), (catchment, expected_new)
        assert catchment.newly_served <= catchment.population + 1e-6


def test_some_site_has_people_not_yet_served_within_250_m(helsinki_session):
    """The data's own fact: ~6 % live beyond 200 m of a stop, so 250 m gaps exist somewhere."""
    newly = [
        evaluate_site(helsinki_session, site, EVERY_STOP_ALIKE, GRID).catchments[0].newly_served
        for site in SITES
    ]
    assert max(newly) > 1


@pytest.mark.parametrize("site", SITES, ids=[f"site{i}" for i in range(len(SITES))])
def test_nearest_stops_are_the_five_closest_by_metres(helsinki_session, reference, site):
    evaluation = evaluate_site(helsinki_session, site, SETTINGS, GRID)
    site_utm = to_utm(site)
    expected = sorted(utm.distance(site_utm) for _, utm in reference["stops"])[:5]
    actual = [stop.distance_m for stop in evaluation.nearest_stops]
    assert len(actual) == 5
    assert all(_close(a, e) for a, e in zip(actual, expected, strict=True)), (actual, expected)
    assert all(stop.routes for stop in evaluation.nearest_stops)
    assert all(stop.trips_per_weekday > 0 for stop in evaluation.nearest_stops)


@pytest.mark.parametrize("site", SITES, ids=[f"site{i}" for i in range(len(SITES))])
def test_routes_near_the_site_are_those_within_the_catchment(helsinki_session, site):
    evaluation = evaluate_site(helsinki_session, site, SETTINGS, GRID)
    site_utm = to_utm(site)
    expected = {}
    for route in helsinki_session.scalars(select(Route).where(Route.path.is_not(None))):
        distance_m = to_utm(to_shape(route.path)).distance(site_utm)
        if distance_m <= max(RADII_M):
            expected[route.id] = distance_m
    actual = {route.route_id: route.distance_m for route in evaluation.routes_in_catchment}
    assert actual.keys() == expected.keys()
    assert all(abs(actual[key] - expected[key]) <= 0.5 for key in expected)
    buses = set(
        helsinki_session.scalars(
            select(Route.id).where((Route.route_type == 3) | Route.route_type.between(700, 799))
        )
    )
    # Only buses could call at a new bus stop: trams, metro and trains passing by do not count.
    assert {route.route_id for route in evaluation.routes_passing_by} == {
        key for key, metres in expected.items() if metres <= SETTINGS.pass_by_m and key in buses
    }


def test_a_train_or_tram_passing_by_is_listed_but_cannot_call_at_a_bus_stop(helsinki_session):
    """Pins trains counting as bus routes: a rail line beside a site was a route that "could
    call with no detour", and its stop spacing was measured along the rail."""
    rail = helsinki_session.scalars(
        select(Route).where(Route.route_type.between(100, 199), Route.path.is_not(None))
    ).first()
    line = to_shape(rail.path).geoms[0]
    site = line.interpolate(0.5, normalized=True)
    evaluation = evaluate_site(helsinki_session, Point(site.x, site.y), SETTINGS, GRID)
    listed = {route.route_id: route for route in evaluation.routes_in_catchment}
    assert listed[rail.id].mode == "rail" and listed[rail.id].distance_m < 1
    assert rail.id not in {route.route_id for route in evaluation.routes_passing_by}
    assert rail.id not in {spacing.route_id for spacing in evaluation.spacing}
    assert all(route.mode in ("bus", "trolleybus") for route in evaluation.routes_passing_by)


def test_people_already_served_are_told_apart_by_the_mode_serving_them(helsinki_session):
    """On a metro station, the people already served within 400 m are served by the metro
    (its 800 m reach covers the whole catchment); buses serve some of them too."""
    stations = helsinki_session.scalars(
        select(Stop)
        .join(RouteStop, RouteStop.stop_id == Stop.id)
        .join(Route, Route.id == RouteStop.route_id)
        .where(Route.route_type == 1)
        .order_by(Stop.id)
    )
    catchment = next(
        found
        for station in stations
        if (
            found := evaluate_site(
                helsinki_session, to_shape(station.location), SETTINGS, GRID
            ).catchments[-1]
        ).population
    )
    by_mode = {served.mode: served.population for served in catchment.already_served_by}
    assert by_mode["metro"] == pytest.approx(catchment.population, rel=0.001)
    assert catchment.newly_served == pytest.approx(0, abs=0.5)
    assert 0 < by_mode.get("bus", 0) <= catchment.population + 1e-6


def _site_between_stops_from_the_feed(direction_id: str) -> tuple[Point, str, float, float]:
    """A point on tram 4's main shape in one direction, 40 % of the way between two of its
    consecutive stops, with the expected distances along the shape: all from the feed's files."""
    route = hsl_route("4", "0")
    stops, shape_id = hsl_main_pattern(route["route_id"], direction_id)
    shape_rows = sorted(
        (row for row in hsl("shapes.txt") if row["shape_id"] == shape_id),
        key=lambda row: int(row["shape_pt_sequence"]),
    )
    line = to_utm(
        LineString([(float(r["shape_pt_lon"]), float(r["shape_pt_lat"])) for r in shape_rows])
    )
    location = {
        row["stop_id"]: Point(float(row["stop_lon"]), float(row["stop_lat"]))
        for row in hsl("stops.txt")
    }
    along = [line.project(to_utm(location[stop_id])) for stop_id in stops]
    gaps = [
        (after - before, before, after)
        for before, after in zip(along, along[1:], strict=False)
        if after - before > 350
    ]
    _, before_m, after_m = gaps[len(gaps) // 2]
    site_utm = line.interpolate(before_m + 0.4 * (after_m - before_m))
    lon, lat = Transformer.from_crs(UTM_35N, 4326, always_xy=True).transform(site_utm.x, site_utm.y)
    return (
        Point(lon, lat),
        route["route_id"],
        0.4 * (after_m - before_m),
        0.6 * (after_m - before_m),
    )


@pytest.mark.parametrize("direction_id", ["0", "1"])
def test_stop_spacing_is_measured_along_the_route_in_its_own_direction(
    helsinki_session, direction_id
):
    site, gtfs_route_id, previous_m, next_m = _site_between_stops_from_the_feed(direction_id)
    # A city whose new stops serve trams as well as buses: tram 4 can call at the site.
    with_trams = replace(
        SETTINGS, modes=ModeRules(frozenset({"bus", "trolleybus", "tram"}), {"metro": 800})
    )
    evaluation = evaluate_site(helsinki_session, site, with_trams, GRID)
    route_id = helsinki_session.scalars(
        select(Route.id).where(Route.gtfs_route_id == gtfs_route_id)
    ).one()
    (spacing,) = [
        item
        for item in evaluation.spacing
        if item.route_id == route_id and item.direction_id == int(direction_id)
    ]
    assert spacing.previous_m == pytest.approx(previous_m, rel=0.01)
    assert spacing.next_m == pytest.approx(next_m, rel=0.01)
    if min(previous_m, next_m) < SETTINGS.min_stop_spacing_m:
        assert evaluation.too_close_to_a_stop


def test_both_backends_give_the_same_evaluation(helsinki):
    sessions = {backend: factory() for backend, factory in helsinki.items()}
    try:
        for site in SITES:
            lite, gis = (
                evaluate_site(sessions[b], site, SETTINGS, GRID) for b in ("spatialite", "postgis")
            )
            for a, b in zip(lite.catchments, gis.catchments, strict=True):
                assert _close(a.population, b.population)
                assert _close(a.newly_served, b.newly_served)
            assert [s.name for s in lite.nearest_stops] == [s.name for s in gis.nearest_stops]
            assert [r.route_id for r in lite.routes_in_catchment] == [
                r.route_id for r in gis.routes_in_catchment
            ]
            assert lite.score.total == pytest.approx(gis.score.total, rel=0.01, abs=0.1)
    finally:
        for session in sessions.values():
            session.close()


def test_population_query_uses_the_spatial_index(helsinki_session):
    dataset = helsinki_session.scalars(
        select(PopulationDataset).where(PopulationDataset.name == GRID)
    ).one()
    site = SITES[1]
    statement = population_statement(
        backend_of(helsinki_session),
        dataset,
        catchment_circle(site, 400, UTM_35N),
        site,
        400,
        UTM_35N,
    )
    assert_uses_spatial_index(helsinki_session, statement, "idx_population_units_geom")


# Each statement an evaluation runs through a box, built once with bound parameters, and the
# index that must answer it on PostGIS (SpatiaLite: its R*Tree).
_BOXED_STATEMENTS = {
    "nearest stops": (stops_within_statement, "idx_stops_location", 500),
    "routes nearby": (routes_within_statement, "idx_routes_path", 800),
    "stop spacing": (spacing_statement, "idx_stops_location", SPACING_SEARCH_M),
    "demand": (demand_statement, "idx_stop_requests_location", 300),
    "population dataset": (latest_dataset_near_statement, "idx_population_units_geom", 800),
    "service area": (area_containing_statement, "idx_service_areas_boundary", 0),
}


@pytest.mark.parametrize("name", sorted(_BOXED_STATEMENTS))
def test_statements_built_once_use_the_spatial_index(helsinki_session, name):
    build, index, radius_m = _BOXED_STATEMENTS[name]
    values = {
        **stops_within_values(SITES[1], radius_m, UTM_35N, limit=5),
        "statuses": list(OPEN),
        "route_ids": [1, 2],
    }
    assert_uses_spatial_index(helsinki_session, build(backend_of(helsinki_session)), index, values)


def test_stops_imported_are_the_feeds_stops(helsinki_session, reference):
    assert len(helsinki_session.scalars(select(Stop.id)).all()) == len(reference["stops"])
