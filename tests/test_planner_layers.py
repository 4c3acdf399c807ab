"""The planners' population and coverage-gap layers, checked on real Helsinki data against an
independent Shapely + pyproj computation (within 1 %), on both backends."""

from __future__ import annotations

from dataclasses import replace

import pytest
import shapely
from shapely.geometry import box
from sqlalchemy import text

from tests.databases import assert_uses_spatial_index
from tests.factories import RAILWAY_SQUARE, add_service_area, file_request, log_in, offset
from tests.helsinki import GRID, POINTS, SETTINGS_AND_STATIONS, station_reach_m
from tests.reference_data import UTM_35N, grid_extent, to_utm
from transitreq.config import default_settings
from transitreq.geo import coverage
from transitreq.geo.metric import BoundingBox, box_around
from transitreq.services.analysis.layers import coverage_gap_layer, population_layer
from transitreq.services.analysis.queue import QueueQuery, queue_statement

SETTINGS = default_settings(METRIC_SRID=UTM_35N).evaluation
# Central Helsinki is served almost everywhere within 400 m, so smaller radii make real gaps.
RADII_M = (100, 150, 400)


def _boxes() -> list[BoundingBox]:
    """Three boxes of about 2 × 1.5 km spread over the grid's extent, off any grid line."""
    min_lon, min_lat, max_lon, max_lat = grid_extent()
    boxes = []
    for fx, fy in ((0.23, 0.31), (0.47, 0.52), (0.61, 0.17)):
        lon = min_lon + fx * (max_lon - min_lon)
        lat = min_lat + fy * (max_lat - min_lat)
        boxes.append(BoundingBox(float(lon), float(lat), float(lon) + 0.036, float(lat) + 0.0135))
    return boxes


BOXES = _boxes()


def _close(actual: float, expected: float) -> bool:
    return abs(actual - expected) <= max(0.01 * abs(expected), 1.0)


def _covered(view_utm, stops, radius_m: float, stations: set[str]):
    """What existing stops serve: each stop the radius, a metro or rail station at least 800 m."""
    circles = []
    for stop, utm in stops:
        reach_m = station_reach_m(stop, radius_m, stations)
        if utm.distance(view_utm) <= reach_m:
            circles.append(utm.buffer(reach_m, quad_segs=64))
    return shapely.union_all(circles)


def _expected_gap(
    units, stops, view: BoundingBox, kind: str, radius_m: float, stations: set[str]
) -> float:
    view_wgs84 = box(view.min_lon, view.min_lat, view.max_lon, view.max_lat)
    covered = _covered(to_utm(view_wgs84), stops, radius_m, stations)
    total = 0.0
    for unit_wgs84, unit_utm, people in units:
        if not unit_wgs84.intersects(view_wgs84):
            continue
        if kind == POINTS:
            total += people if not covered.covers(unit_utm) else 0.0
            continue
        inside_utm = to_utm(unit_wgs84.intersection(view_wgs84))
        total += people * inside_utm.difference(covered).area / unit_utm.area
    return total


@pytest.fixture(scope="module")
def units_both_ways():
    from tests.reference_data import POPULATION_GRID, POPULATION_POINTS, read_units

    return {
        name: [(unit.geometry, to_utm(unit.geometry), unit.population) for unit in read_units(path)]
        for name, path in ((GRID, POPULATION_GRID), (POINTS, POPULATION_POINTS))
    }


@pytest.mark.parametrize("rules", list(SETTINGS_AND_STATIONS))
@pytest.mark.parametrize("radius_m", RADII_M)
@pytest.mark.parametrize("dataset", [GRID, POINTS])
@pytest.mark.parametrize("view", BOXES, ids=["box0", "box1", "box2"])
def test_coverage_gap_population_matches_an_independent_computation(
    helsinki_session, reference, units_both_ways, dataset, view, radius_m, rules
):
    evaluation_settings, stations_reach_farther = SETTINGS_AND_STATIONS[rules]
    settings = replace(SETTINGS, modes=evaluation_settings.modes)
    stations = reference["stations"] if stations_reach_farther else set()
    layer = coverage_gap_layer(helsinki_session, view, radius_m, settings, dataset)
    assert layer.dataset == dataset
    expected = _expected_gap(
        units_both_ways[dataset], reference["stops"], view, dataset, radius_m, stations
    )
    actual = sum(part.population for part in layer.parts)
    assert _close(actual, expected), (actual, expected)
    everyone = sum(
        part.population
        for part in population_layer(helsinki_session, view, SETTINGS, dataset).parts
    )
    assert actual <= everyone + 1e-6


def test_density_layer_gives_each_unit_with_people_per_km2(helsinki_session, units_both_ways):
    view = BOXES[1]
    layer = population_layer(helsinki_session, view, SETTINGS, GRID)
    view_wgs84 = box(view.min_lon, view.min_lat, view.max_lon, view.max_lat)
    expected = [
        (people, unit_utm.area / 1e6)
        for unit_wgs84, unit_utm, people in units_both_ways[GRID]
        if unit_wgs84.intersects(view_wgs84)
    ]
    assert len(layer.parts) == len(expected)
    assert _close(sum(part.population for part in layer.parts), sum(p for p, _ in expected))
    for part in layer.parts:
        assert part.kind == "polygon"
        assert part.people_per_km2 == pytest.approx(part.population / part.area_km2)
    assert sorted(round(part.area_km2, 3) for part in layer.parts) == pytest.approx(
        sorted(round(area, 3) for _, area in expected), abs=0.002
    )


def test_many_points_are_summed_into_grid_cells(helsinki_session, monkeypatch):
    view = BOXES[1]
    one_by_one = population_layer(helsinki_session, view, SETTINGS, POINTS).parts
    monkeypatch.setattr(coverage, "MAX_POINT_FEATURES", 1)
    cells = population_layer(helsinki_session, view, SETTINGS, POINTS).parts
    assert len(one_by_one) > 1
    assert {part.kind for part in cells} == {"cell"}
    assert sum(part.population for part in cells) == pytest.approx(
        sum(part.population for part in one_by_one)
    )
    for part in one_by_one:
        assert any(cell.geometry.covers(part.geometry) for cell in cells)


def test_queue_query_uses_the_spatial_index(helsinki_session):
    view = BOXES[0]
    statement = queue_statement(helsinki_session, QueueQuery(box=view))
    assert_uses_spatial_index(helsinki_session, statement, "idx_stop_requests_location")


def _plan(session, statement) -> str:
    dialect = session.get_bind().dialect
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    explain = "EXPLAIN" if dialect.name == "postgresql" else "EXPLAIN QUERY PLAN"
    return "\n".join(str(row[-1]) for row in session.execute(text(f"{explain} {sql}")))


def test_a_city_wide_view_is_not_asked_of_spatialites_index(session):
    """SQLite hands back an R*Tree's row ids one by one: for a view holding most of the city it
    scans coordinates instead. PostgreSQL's planner chooses by itself, so it is always offered
    the index; a street's view goes through the index on both."""
    city = box(24.90, 60.15, 24.98, 60.19)
    add_service_area(session, city, "City")
    file_request(session, point=RAILWAY_SQUARE)
    most_of_it = BoundingBox(24.905, 60.152, 24.979, 60.189)
    street = box_around(RAILWAY_SQUARE.x, RAILWAY_SQUARE.y, 200)
    wide = _plan(session, queue_statement(session, QueueQuery(box=most_of_it)))
    narrow = _plan(session, queue_statement(session, QueueQuery(box=street)))
    if session.get_bind().dialect.name == "postgresql":
        assert "&&" in wide and "&&" in narrow
    else:
        assert "SpatialIndex" not in wide, wide
        assert "SpatialIndex" in narrow, narrow
    found = session.execute(queue_statement(session, QueueQuery(box=most_of_it))).all()
    assert [row.id for row in found] == [session.scalar(text("SELECT max(id) FROM stop_requests"))]
    session.rollback()


def test_text_search_reads_the_trigram_indexes_on_postgis(helsinki_session):
    """A word anywhere in the title, description or landmark (``ILIKE '%…%'``): PostgreSQL
    answers it from migration 0024's trigram indexes; SQLite, which has none, scans."""
    statement = queue_statement(helsinki_session, QueueQuery(text="library"))
    dialect = helsinki_session.get_bind().dialect
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if dialect.name == "postgresql":
        # The fixture's few requests are cheaper to read in date order: forbid that, as a
        # real city's 50,000 would.
        helsinki_session.execute(text("SET LOCAL enable_seqscan = off"))
        helsinki_session.execute(text("SET LOCAL enable_indexscan = off"))
        plan = "\n".join(row[0] for row in helsinki_session.execute(text(f"EXPLAIN {sql}")))
        for column in ("title", "description", "landmark"):
            assert f"ix_stop_requests_{column}_trigrams" in plan, plan
    else:
        steps = [row[-1] for row in helsinki_session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
        assert any(step.startswith("SCAN stop_requests") for step in steps), steps
    helsinki_session.rollback()


@pytest.fixture
def planner(client, app_session):
    return log_in(client, app_session)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/planner/layers/coverage-gap?bbox=24.80,60.10,24.99,60.25&measure=walk", "bbox"),
        ("/api/planner/layers/coverage-gap?bbox=24.93,60.16,24.95,60.17&radius_m=0", "radius_m"),
        ("/api/planner/layers/population?bbox=24.50,60.00,25.20,60.40", "bbox"),
    ],
)
def test_layers_refuse_unbounded_questions(client, planner, path, field):
    response = client.get(path)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field


def test_layers_answer_empty_without_population_data(client, planner, app_session):
    add_service_area(app_session)
    file_request(app_session, point=offset(RAILWAY_SQUARE, 0, 100))
    for path in ("population", "coverage-gap"):
        response = client.get(f"/api/planner/layers/{path}?bbox=24.93,60.165,24.95,60.175")
        assert response.status_code == 200
        body = response.get_json()
        body.pop("properties", None)
        assert body == {
            "type": "FeatureCollection",
            "features": [],
            "dataset": None,
            "total_population": 0,
        }


def test_the_coverage_gap_answers_any_box_and_the_whole_city(client, planner):
    """Issue 16: the gap is read from the stored coverage, so no box is too large for it."""
    for query in ("bbox=-179,-89,179,89", "bbox=24.50,60.00,25.20,60.40", ""):
        response = client.get(f"/api/planner/layers/coverage-gap?{query}")
        assert response.status_code == 200, query
        assert response.get_json()["properties"]["total_population"] == 0
