"""Planners see how many people in São Paulo really live within a walk of a site, checked site by
site against an independent computation on the same OpenStreetMap extract.

SPTrans's feed, the r5r hexgrid and the extract's walkable streets are imported once per
backend, in opposite orders (on SpatiaLite the streets first, on PostGIS last), so both ways of
linking people and stops to the streets are exercised. The test reads the extract itself with
pyosmium, walks it with networkx (``tests/osm_reference.py``), and expects every site's
walking population and people newly served within 1 %, on both databases.
"""

from __future__ import annotations

from functools import cache

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Point, box

from tests import databases
from tests.gtfs_feeds import SPO_ZIP, feed_rows
from tests.osm_reference import SPO_OSM, Place, WalkingAnswer, reference_walking, walk_network
from tests.test_sao_paulo import HEX, read_network
from transitreq import migrate
from transitreq.config import default_settings
from transitreq.db import make_engine, make_sessionmaker
from transitreq.importers.gtfs import import_gtfs
from transitreq.importers.osm import import_osm
from transitreq.importers.population import import_population
from transitreq.models import ServiceArea
from transitreq.services.analysis.evaluation import STRAIGHT_LINE, WALK, evaluate_site

HEXGRID = "spo-hexgrid"
RADII_M = (400, 800)
SETTINGS = default_settings(CATCHMENT_RADII_M="400,800").evaluation
STATION_REACH_M = 800
SITE_COUNT = 20
# A site where some unit's walk ends within this of a radius or of a stop's reach is not used:
# which side of the line it falls must not hang on millimetres.
CLOSEST_CALL_M = 0.5


def _units() -> list[Place]:
    return [
        Place(lon, lat, float(people))
        for (lon, lat), people in zip(HEX.lon_lat.tolist(), HEX.population, strict=True)
    ]


def _stops() -> list[Place]:
    stations = read_network().station
    return [
        Place(float(row["stop_lon"]), float(row["stop_lat"]), station=bool(station))
        for row, station in zip(feed_rows(SPO_ZIP, "stops.txt"), stations, strict=True)
    ]


@cache
def reference_sites() -> list[tuple[Point, WalkingAnswer]]:
    """Sites spread over the hexgrid by the R2 sequence, each with the reference's answer;
    those the streets do not reach, with nobody within 800 m walk, or with a close call, are
    passed over."""
    network, units, stops = walk_network(SPO_OSM), _units(), _stops()
    (min_lon, min_lat), (max_lon, max_lat) = HEX.lon_lat.min(axis=0), HEX.lon_lat.max(axis=0)
    plastic = 1.324717957244746
    found, n = [], 0
    while len(found) < SITE_COUNT:
        n += 1
        fx = 0.05 + 0.9 * ((0.5 + n / plastic) % 1)
        fy = 0.05 + 0.9 * ((0.5 + n / plastic**2) % 1)
        site = (min_lon + fx * (max_lon - min_lon), min_lat + fy * (max_lat - min_lat))
        answer = reference_walking(network, site, units, stops, RADII_M, STATION_REACH_M)
        reached = answer.site_linked and answer.population[800] > 0
        if reached and answer.closest_call_m >= CLOSEST_CALL_M:
            found.append((Point(*site), answer))
    return found


HEX_CSV = SPO_ZIP.parent / "spo_hexgrid.csv"


def _load(url: str, streets_first: bool) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    session = make_sessionmaker(engine)()
    (min_lon, min_lat), (max_lon, max_lat) = HEX.lon_lat.min(axis=0), HEX.lon_lat.max(axis=0)
    area = box(min_lon - 0.01, min_lat - 0.01, max_lon + 0.01, max_lat + 0.01)
    session.add(ServiceArea(name="São Paulo", boundary=from_shape(MultiPolygon([area]), 4326)))
    session.commit()
    if streets_first:
        import_osm(session, SPO_OSM, "spo-streets")
    import_gtfs(session, SPO_ZIP, "spo")
    import_population(session, HEX_CSV, name=HEXGRID, population_field="population")
    if not streets_first:
        import_osm(session, SPO_OSM, "spo-streets")
    session.close()
    engine.dispose()


@pytest.fixture(scope="module")
def walking_sao_paulo(tmp_path_factory):
    # One backend gets the streets before the feed and the population, the other after: the
    # links must come out the same whichever is imported first.
    with databases.loaded_on_each_backend(
        tmp_path_factory.mktemp("walk_spo"),
        lambda backend, url: _load(url, streets_first=backend == "spatialite"),
    ) as sessionmakers:
        yield sessionmakers


@pytest.fixture(scope="module")
def evaluations(walking_sao_paulo):
    """Each site evaluated once per backend, for every test to check."""
    sessions = {backend: made() for backend, made in walking_sao_paulo.items()}
    done = {}

    def evaluation(backend: str, index: int):
        if (backend, index) not in done:
            site = reference_sites()[index][0]
            done[backend, index] = evaluate_site(sessions[backend], site, SETTINGS, HEXGRID)
        return done[backend, index]

    yield evaluation
    for session in sessions.values():
        session.close()


def _close(actual: float, expected: float) -> bool:
    """Within 1 %, or within one person where the count is tiny."""
    return abs(actual - expected) <= max(0.01 * abs(expected), 1.0)


def _measured(evaluation, measure: str) -> dict[int, object]:
    return {c.radius_m: c for c in evaluation.catchments if c.measure == measure}


@pytest.mark.parametrize("index", range(SITE_COUNT), ids=[f"site{i}" for i in range(SITE_COUNT)])
def test_walking_population_and_newly_served_match_networkx(evaluations, backend, index):
    evaluation = evaluations(backend, index)
    expected = reference_sites()[index][1]
    assert evaluation.street_network == "spo-streets"
    walking = _measured(evaluation, WALK)
    assert sorted(walking) == list(RADII_M)
    for radius in RADII_M:
        catchment = walking[radius]
        assert _close(catchment.population, expected.population[radius]), (radius, catchment)
        assert _close(catchment.newly_served, expected.newly_served[radius]), (radius, catchment)


def test_the_comparison_is_not_vacuous():
    """Most sites have people within an 800 m walk, several within 400 m, and some of them are
    people no stop reaches on foot yet."""
    answers = [answer for _, answer in reference_sites()]
    assert all(answer.population[800] > 0 for answer in answers)
    assert sum(answer.population[400] > 0 for answer in answers) >= SITE_COUNT // 2
    assert sum(answer.newly_served[800] > 0 for answer in answers) >= 3


def test_both_databases_give_the_same_walking_answer(evaluations):
    for index in range(SITE_COUNT):
        lite, gis = evaluations("spatialite", index), evaluations("postgis", index)
        for radius in RADII_M:
            a, b = _measured(lite, WALK)[radius], _measured(gis, WALK)[radius]
            assert a.population == pytest.approx(b.population, rel=1e-9)
            assert a.newly_served == pytest.approx(b.newly_served, rel=1e-9)


def test_nobody_counts_by_walking_who_is_not_within_the_circle(evaluations, backend):
    """People are points here, so a walk within the radius is a point within the circle: the
    walking population can only be smaller, and over all sites it is much smaller."""
    walked = circled = 0.0
    for index in range(SITE_COUNT):
        evaluation = evaluations(backend, index)
        circles, walks = _measured(evaluation, STRAIGHT_LINE), _measured(evaluation, WALK)
        for radius in RADII_M:
            assert walks[radius].population <= circles[radius].population + 1e-6
            walked += walks[radius].population
            circled += circles[radius].population
    assert walked < 0.9 * circled


def test_the_nearest_stops_say_how_far_they_are_on_foot(evaluations, backend):
    for index in range(SITE_COUNT):
        for stop in evaluations(backend, index).nearest_stops:
            if stop.walk_m is not None:
                # Never shorter than the straight line (UTM's scale is within 0.04 % here).
                assert stop.walk_m >= stop.distance_m * 0.999
    assert any(
        stop.walk_m is not None
        for index in range(SITE_COUNT)
        for stop in evaluations(backend, index).nearest_stops
    )
