"""The stored coverage: computed once when stops, population or settings change, read by the
site evaluation and the coverage gap, refreshed by every trigger, and never trusted stale.

Each check sets the store's answer beside the answer measured afresh against the union of stop
circles (the method the store replaces, itself checked against Shapely + pyproj in
``test_site_evaluation.py`` and ``test_planner_layers.py``), within the tests' 1 %.
"""

from __future__ import annotations

import logging
import random
from dataclasses import replace

import pytest
from geoalchemy2.shape import from_shape
from pyproj import Geod
from shapely.geometry import Point
from sqlalchemy import func, select

from tests.factories import (
    CENTRAL_HELSINKI,
    RAILWAY_SQUARE,
    add_service_area,
    approve_request,
    log_in,
    offset,
    take_to_stage,
)
from tests.helsinki import GRID, POINTS, SETTINGS_AND_STATIONS
from tests.reference_data import GTFS_ZIP, POPULATION_POINTS, read_units
from transitreq.config import default_settings
from transitreq.geo import stored_gap
from transitreq.geo.metric import BoundingBox
from transitreq.importers.demo_city import seed_demo_city
from transitreq.importers.gtfs import import_gtfs
from transitreq.importers.population import import_population
from transitreq.models import (
    CoveragePart,
    CoverageState,
    PopulationDataset,
    PopulationUnit,
    Stop,
    StopMode,
)
from transitreq.services.analysis.coverage import refresh_coverage, unserved_population_units
from transitreq.services.analysis.evaluation import evaluate_site, stored_coverage_of
from transitreq.services.analysis.layers import coverage_gap_layer
from transitreq.services.context import SETTINGS_KEY

STALE = "transitreq.geo.stored_coverage"
_WGS84 = Geod(ellps="WGS84")


def _close(actual: float, expected: float) -> bool:
    return abs(actual - expected) <= max(0.01 * abs(expected), 1.0)


def _sites(count: int, seed: int) -> list[Point]:
    rng = random.Random(seed)
    min_lon, min_lat, max_lon, max_lat = CENTRAL_HELSINKI.bounds
    return [
        Point(rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat)) for _ in range(count)
    ]


def _figures(evaluation) -> list[tuple]:
    return [
        (
            item.radius_m,
            item.population,
            item.newly_served,
            {served.mode: served.population for served in item.already_served_by},
        )
        for item in evaluation.catchments
        if item.measure == "straight_line"
    ]


def _same_figures(stored, measured) -> None:
    for (radius, people, newly, by_mode), (radius_2, people_2, newly_2, by_mode_2) in zip(
        stored, measured, strict=True
    ):
        assert radius == radius_2
        assert _close(people, people_2), (radius, people, people_2)
        assert _close(newly, newly_2), (radius, newly, newly_2)
        assert by_mode.keys() == by_mode_2.keys(), (radius, by_mode, by_mode_2)
        for mode, served in by_mode.items():
            assert _close(served, by_mode_2[mode]), (radius, mode, served, by_mode_2[mode])


def _with_settings(session, evaluation_settings):
    """The session carries settings whose evaluation part is ``evaluation_settings``."""
    settings = default_settings()
    session.info[SETTINGS_KEY] = replace(settings, evaluation=evaluation_settings)
    return session


@pytest.mark.parametrize("rules", list(SETTINGS_AND_STATIONS))
@pytest.mark.parametrize("dataset", [GRID, POINTS])
def test_evaluation_from_the_store_matches_the_union_of_stop_circles(
    helsinki_session, dataset, rules, caplog
):
    settings, _stations_reach_farther = SETTINGS_AND_STATIONS[rules]
    session = _with_settings(helsinki_session, settings)
    sites = _sites(8, seed=16)
    try:
        # The shared database's store was computed with the default settings, so with these
        # it is stale: each site is measured afresh, and the log says why.
        with caplog.at_level(logging.WARNING, logger=STALE):
            measured = [_figures(evaluate_site(session, site, settings, dataset)) for site in sites]
        assert "computed with other settings" in caplog.text
        refresh_coverage(session)
        assert stored_coverage_of(session, _dataset(session, dataset), settings) is not None
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger=STALE):
            stored = [_figures(evaluate_site(session, site, settings, dataset)) for site in sites]
        assert caplog.text == ""
        # With stations reaching 800 m nobody near central sites is new to transit.
        if rules == "every stop alike" and dataset == GRID:
            assert any(newly > 0 for figures in stored for _, _, newly, _ in figures)
        assert any(by_mode for figures in stored for *_, by_mode in figures)
        for stored_figures, measured_figures in zip(stored, measured, strict=True):
            _same_figures(stored_figures, measured_figures)
    finally:
        session.rollback()


def _dataset(session, name: str) -> PopulationDataset:
    return session.scalar(select(PopulationDataset).where(PopulationDataset.name == name))


def test_a_stop_added_without_refresh_makes_the_store_stale_and_unused(helsinki_session, caplog):
    settings, _ = SETTINGS_AND_STATIONS["every stop alike"]
    session = _with_settings(helsinki_session, settings)
    try:
        refresh_coverage(session)
        site, before = next(
            (site, figures)
            for site in _sites(8, seed=16)
            if (figures := _figures(evaluate_site(session, site, settings, GRID)))[0][2] > 0
        )
        # A new stop right at the site: everyone within the radius is served by it now.
        session.add(Stop(feed="by-hand", gtfs_stop_id="x", name="New", location=_wkb(site)))
        session.flush()
        with caplog.at_level(logging.WARNING, logger=STALE):
            after = _figures(evaluate_site(session, site, settings, GRID))
        assert "computed for other stops" in caplog.text
        assert after[0][1] == pytest.approx(before[0][1])
        assert after[0][2] == pytest.approx(0.0, abs=1e-6)
        refresh_coverage(session, only_stale=True)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger=STALE):
            refreshed = _figures(evaluate_site(session, site, settings, GRID))
        assert caplog.text == ""
        assert refreshed[0][2] == pytest.approx(0.0, abs=1e-6)
    finally:
        session.rollback()


def _wkb(point: Point):
    return from_shape(point, srid=4326)


def _state(session, name: str) -> CoverageState | None:
    session.expire_all()
    dataset = _dataset(session, name)
    return session.get(CoverageState, dataset.id) if dataset else None


def test_population_and_gtfs_imports_store_the_distances_to_the_nearest_stop(session):
    import_population(session, POPULATION_POINTS, name="points", population_field="population")
    state = _state(session, "points")
    assert state is not None and state.stop_count == 0
    assert session.scalar(select(func.count(PopulationUnit.nearest_stop_m))) == 0

    import_gtfs(session, GTFS_ZIP, "hsl")
    state = _state(session, "points")
    assert state.stop_count == session.scalar(select(func.count(Stop.id)))
    settings = default_settings().evaluation
    assert stored_coverage_of(session, _dataset(session, "points"), settings) is not None
    # Each point's stored distance against the geodesic distance to the nearest stop.
    stops = session.execute(select(func.ST_X(Stop.location), func.ST_Y(Stop.location))).all()
    units = read_units(POPULATION_POINTS)
    stored = session.execute(
        select(func.ST_X(PopulationUnit.geom), func.ST_Y(PopulationUnit.geom), PopulationUnit)
        .order_by(PopulationUnit.id)
        .limit(40)
    ).all()
    assert len(units) >= 40
    for lon, lat, unit in stored:
        nearest_m = min(_WGS84.inv(lon, lat, x, y)[2] for x, y in stops)
        assert unit.nearest_stop_m == pytest.approx(nearest_m, rel=0.005, abs=0.5)
        assert unit.nearest_bus_m is not None and unit.nearest_bus_m >= unit.nearest_stop_m


def test_the_demo_city_is_loaded_with_its_coverage_stored(session, caplog):
    seed_demo_city(session, "en")
    dataset = session.scalar(select(PopulationDataset))
    settings = default_settings().evaluation
    assert stored_coverage_of(session, dataset, settings) is not None
    parts = session.scalar(
        select(func.count(CoveragePart.id)).where(CoveragePart.dataset_id == dataset.id)
    )
    assert parts > 0
    site = session.scalar(select(func.ST_AsText(Stop.location)).limit(1))
    with caplog.at_level(logging.WARNING, logger=STALE):
        evaluate_site(session, _point(site), settings)
    assert caplog.text == ""


def _point(wkt: str) -> Point:
    from shapely import wkt as shapely_wkt

    return shapely_wkt.loads(wkt)


@pytest.fixture
def planner(session):
    from tests.factories import add_user

    return add_user(session)


def test_a_project_going_into_service_refreshes_a_stale_store(session, planner):
    add_service_area(session)
    import_population(session, POPULATION_POINTS, name="points", population_field="population")
    session.add(Stop(feed="by-hand", gtfs_stop_id="x", name="New", location=_wkb(RAILWAY_SQUARE)))
    session.commit()
    settings = default_settings().evaluation
    assert stored_coverage_of(session, _dataset(session, "points"), settings, quiet=True) is None

    take_to_stage(session, approve_request(session, planner), planner, "in_service")

    assert stored_coverage_of(session, _dataset(session, "points"), settings) is not None
    # The stop added by hand, and the one the project opened.
    assert _state(session, "points").stop_count == 2


@pytest.mark.parametrize("edit", ["moved", "removed", "new mode", "renamed"])
def test_a_stop_edited_by_hand_makes_the_store_stale_unless_only_its_name_changed(session, edit):
    """The stops' revision (migration 0025) is raised by the database itself, so an edit that
    keeps the number of stops and the highest id (a stop moved, a mode added) is noticed too."""
    import_population(session, POPULATION_POINTS, name="points", population_field="population")
    session.add(Stop(feed="by-hand", gtfs_stop_id="x", name="Old", location=_wkb(RAILWAY_SQUARE)))
    session.add(Stop(feed="by-hand", gtfs_stop_id="y", name="Last", location=_wkb(RAILWAY_SQUARE)))
    session.commit()
    refresh_coverage(session)
    session.commit()
    settings = default_settings().evaluation
    dataset = _dataset(session, "points")
    assert stored_coverage_of(session, dataset, settings) is not None
    first = session.scalar(select(Stop).where(Stop.gtfs_stop_id == "x"))
    if edit == "moved":
        first.location = _wkb(offset(RAILWAY_SQUARE, 90, 400))
    elif edit == "removed":
        session.delete(first)
    elif edit == "new mode":
        session.add(StopMode(stop_id=first.id, mode="tram"))
    else:
        first.name = "New name"
    session.commit()
    fresh = stored_coverage_of(session, dataset, settings, quiet=True)
    assert (fresh is not None) is (edit == "renamed")


def test_flask_refresh_coverage_brings_a_stale_store_up_to_date(app, app_session):
    import_population(app_session, POPULATION_POINTS, name="points", population_field="population")
    app_session.add(
        Stop(feed="by-hand", gtfs_stop_id="x", name="New", location=_wkb(RAILWAY_SQUARE))
    )
    app_session.commit()
    runner = app.test_cli_runner()

    result = runner.invoke(args=["refresh-coverage", "--stale-only"])

    assert result.exit_code == 0, result.output
    assert "points" in result.output
    assert _state(app_session, "points").stop_count == 1
    again = runner.invoke(args=["refresh-coverage", "--stale-only"])
    assert "for 0 population dataset(s)" in again.output


# Central Helsinki is served almost everywhere within 400 m: shorter walks make real gaps
# (points answer any radius from their distances; polygons the radii stored).
@pytest.mark.parametrize(("dataset", "radius_m"), [(GRID, 250), (POINTS, 100)])
def test_the_coverage_gap_of_any_box_comes_from_the_store(
    helsinki_session, dataset, radius_m, monkeypatch
):
    settings, _ = SETTINGS_AND_STATIONS["every stop alike"]
    session = _with_settings(helsinki_session, settings)
    view = BoundingBox(24.93, 60.160, 24.96, 60.175)
    try:
        measured = coverage_gap_layer(session, view, radius_m, settings, dataset)
        refresh_coverage(session)
        stored = coverage_gap_layer(session, view, radius_m, settings, dataset)
        assert stored.total_population > 0
        # What stop suggestions read: the same people, unit by unit, with their distances.
        units = unserved_population_units(session, _dataset(session, dataset), view, radius_m)
        unserved = sum(unit.population for unit in units)
        if dataset == POINTS:
            assert unserved == pytest.approx(stored.total_population)
        else:  # each whole part, where the layer cuts parts at the box's edge
            assert unserved >= stored.total_population - 1e-6
        assert all(unit.nearest_stop_m > radius_m for unit in units if dataset == POINTS)
        assert _close(stored.total_population, measured.total_population)
        assert stored.cell_side_m is None
        # A box over the whole region (far wider than the 5 km measured afresh) answers too,
        # summed into grid cells when there are more parts than the map draws.
        monkeypatch.setattr(stored_gap, "MAX_POINT_FEATURES", 5)
        monkeypatch.setattr(stored_gap, "MAX_POLYGON_FEATURES", 5)
        region = BoundingBox(23.0, 59.5, 27.0, 61.0)
        wide = coverage_gap_layer(session, region, radius_m, settings, dataset)
        whole = coverage_gap_layer(session, None, radius_m, settings, dataset)
        assert wide.cell_side_m is not None and {p.kind for p in wide.parts} == {"cell"}
        assert whole.total_population == pytest.approx(sum(part.population for part in whole.parts))
        assert whole.total_population >= stored.total_population
    finally:
        session.rollback()


@pytest.fixture
def city_with_people(app_session):
    add_service_area(app_session)
    import_gtfs(app_session, GTFS_ZIP, "hsl")
    import_population(
        app_session, POPULATION_POINTS, name="=HYPERLINK(1)", population_field="population"
    )
    return app_session


def test_planners_get_the_whole_city_gap_with_its_total_as_json_and_csv(
    client, app_session, city_with_people
):
    log_in(client, app_session)
    # Within 100 m: at 400 m every one of central Helsinki's points is served.
    whole = client.get("/api/planner/layers/coverage-gap?radius_m=100")
    world = client.get("/api/planner/layers/coverage-gap?bbox=-179,-89,179,89&radius_m=100")

    assert whole.status_code == 200 and world.status_code == 200
    body = whole.get_json()
    assert body["type"] == "FeatureCollection"
    total = body["properties"]["total_population"]
    assert total > 0 and total == body["total_population"]
    assert total == pytest.approx(sum(f["properties"]["population"] for f in body["features"]))
    assert body["properties"]["radius_m"] == 100
    assert world.get_json()["properties"]["total_population"] == pytest.approx(total)

    csv = client.get("/planning/exports/coverage-gap.csv?radius_m=100")
    assert csv.status_code == 200
    assert csv.headers["Content-Type"].startswith("text/csv")
    lines = csv.get_data(as_text=True).lstrip("\ufeff").strip().split("\r\n")
    assert lines[0].startswith('"dataset","radius_m","kind"')
    assert lines[-1].startswith('"\'=HYPERLINK(1)","100","total"')
    assert float(lines[-1].split(",")[5].strip('"')) == pytest.approx(total, abs=0.1)
    assert len(lines) == len(body["features"]) + 2


def test_a_stale_store_answers_small_boxes_afresh_and_refuses_the_whole_city(
    client, app_session, city_with_people
):
    log_in(client, app_session)
    app_session.add(Stop(feed="by-hand", gtfs_stop_id="x", name="New", location=_wkb(Point(0, 0))))
    app_session.commit()

    small = client.get("/api/planner/layers/coverage-gap?bbox=24.93,60.16,24.95,60.17")
    whole = client.get("/api/planner/layers/coverage-gap")

    assert small.status_code == 200
    assert whole.status_code == 503
    assert whole.get_json()["error"]["code"] == "coverage_not_stored"
