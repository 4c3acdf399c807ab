"""Planners weigh a site: every number checked against Shapely + pyproj on real Helsinki data.

The HSL feed and the HSY population grid and points are imported once per backend; each site's
evaluation is compared with an independent computation in the test, and the two backends with
each other, within 1 %.
"""

from __future__ import annotations

import pytest
import shapely
from geoalchemy2.shape import from_shape, to_shape
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, Point, box
from sqlalchemy import select

from tests import databases
from tests.databases import assert_uses_spatial_index
from tests.reference_data import (
    GTFS_ZIP,
    POPULATION_GRID,
    POPULATION_POINTS,
    UTM_35N,
    grid_extent,
    read_stops,
    read_units,
    to_utm,
)
from tests.test_gtfs_import import hsl, hsl_main_pattern, hsl_route
from transitreq import migrate
from transitreq.db import make_engine, make_sessionmaker
from transitreq.geo.catchment import catchment_circle, population_statement
from transitreq.importers.gtfs import import_gtfs
from transitreq.importers.population import import_population
from transitreq.models import PopulationDataset, Route, ServiceArea, Stop
from transitreq.services.evaluation import EvaluationSettings, evaluate_site

POINTS_KIND = "points"
RADII_M = (250, 400)
SETTINGS = EvaluationSettings(catchment_radii_m=RADII_M, metric_srid=UTM_35N)
GRID, POINTS = "hsy-grid", "hsy-points"


def _sites() -> list[Point]:
    """Six sites spread over the grid's extent, off any grid line."""
    min_lon, min_lat, max_lon, max_lat = grid_extent()
    fractions = [(0.21, 0.33), (0.5, 0.5), (0.77, 0.41), (0.33, 0.81), (0.64, 0.18), (0.9, 0.9)]
    return [
        Point(min_lon + fx * (max_lon - min_lon), min_lat + fy * (max_lat - min_lat))
        for fx, fy in fractions
    ]


SITES = _sites()


def _load_helsinki(url: str) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    session = make_sessionmaker(engine)()
    session.add(
        ServiceArea(
            name="Helsinki centre",
            boundary=from_shape(MultiPolygon([box(24.8, 60.1, 25.1, 60.3)]), 4326),
        )
    )
    session.commit()
    import_gtfs(session, GTFS_ZIP, "hsl")
    import_population(session, POPULATION_GRID, name=GRID, population_field="population")
    import_population(session, POPULATION_POINTS, name=POINTS, population_field="population")
    session.close()
    engine.dispose()


@pytest.fixture(scope="module")
def helsinki(tmp_path_factory):
    """One database per backend with the Helsinki data loaded; read-only for these tests."""
    postgis_url = databases.create_postgis_database()
    urls = {
        "spatialite": databases.spatialite_database(tmp_path_factory.mktemp("helsinki")),
        "postgis": postgis_url,
    }
    engines = {}
    for backend, url in urls.items():
        _load_helsinki(url)
        engines[backend] = make_engine(url)
    yield {backend: make_sessionmaker(engine) for backend, engine in engines.items()}
    for engine in engines.values():
        engine.dispose()
    databases.drop_postgis_database(postgis_url)


@pytest.fixture(params=("spatialite", "postgis"))
def helsinki_session(request, helsinki):
    session = helsinki[request.param]()
    yield session
    session.close()


@pytest.fixture(scope="module")
def reference():
    stops = read_stops()
    return {
        GRID: [(to_utm(unit.geometry), unit.population) for unit in read_units(POPULATION_GRID)],
        POINTS: [
            (to_utm(unit.geometry), unit.population) for unit in read_units(POPULATION_POINTS)
        ],
        "stops": [(stop, to_utm(stop.point)) for stop in stops],
    }


def _close(actual: float, expected: float) -> bool:
    """Within 1 %, or within one person where the expected count is tiny."""
    return abs(actual - expected) <= max(0.01 * abs(expected), 1.0)


def _expected_population(units, region, kind: str) -> float:
    if kind == POINTS_KIND:
        return sum(people for point, people in units if region.covers(point))
    return sum(
        people * polygon.intersection(region).area / polygon.area for polygon, people in units
    )


def _uncovered(site_utm, radius_m: float, stops) -> shapely.Geometry:
    catchment = site_utm.buffer(radius_m, quad_segs=64)
    near = [utm for _, utm in stops if utm.distance(site_utm) <= 2 * radius_m]
    covered = shapely.union_all([stop.buffer(radius_m, quad_segs=64) for stop in near])
    return catchment.difference(covered)


@pytest.mark.parametrize("dataset_name", [GRID, POINTS])
@pytest.mark.parametrize("site", SITES, ids=[f"site{i}" for i in range(len(SITES))])
def test_population_served_and_newly_served_match_an_independent_computation(
    helsinki_session, reference, dataset_name, site
):
    evaluation = evaluate_site(helsinki_session, site, SETTINGS, dataset_name)
    site_utm = to_utm(site)
    units = reference[dataset_name]
    kind = POINTS_KIND if dataset_name == POINTS else "polygons"
    for catchment in evaluation.catchments:
        circle = site_utm.buffer(catchment.radius_m, quad_segs=64)
        expected = _expected_population(units, circle, kind)
        expected_new = _expected_population(
            units, _uncovered(site_utm, catchment.radius_m, reference["stops"]), kind
        )
        assert _close(catchment.population, expected), (catchment, expected)
        assert _close(catchment.newly_served, expected_new), (catchment, expected_new)
        assert catchment.newly_served <= catchment.population + 1e-6


def test_some_site_has_people_not_yet_served_within_250_m(helsinki_session):
    """The data's own fact: ~6 % live beyond 200 m of a stop, so 250 m gaps exist somewhere."""
    newly = [
        evaluate_site(helsinki_session, site, SETTINGS, GRID).catchments[0].newly_served
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
    assert {route.route_id for route in evaluation.routes_passing_by} == {
        key for key, metres in expected.items() if metres <= SETTINGS.pass_by_m
    }


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
    evaluation = evaluate_site(helsinki_session, site, SETTINGS, GRID)
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
    dialect = helsinki_session.get_bind().dialect
    dataset = helsinki_session.scalars(
        select(PopulationDataset).where(PopulationDataset.name == GRID)
    ).one()
    site = SITES[1]
    statement = population_statement(
        dialect.name, dataset, catchment_circle(site, 400, UTM_35N), site, 400, UTM_35N
    )
    assert_uses_spatial_index(helsinki_session, statement, "idx_population_units_geom")


def test_stops_imported_are_the_feeds_stops(helsinki_session, reference):
    assert len(helsinki_session.scalars(select(Stop.id)).all()) == len(reference["stops"])
