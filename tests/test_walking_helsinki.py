"""Walking catchments in central Helsinki, checked site by site against an independent
computation on the same OpenStreetMap extract.

The HSL feed, HSY's 250 m population grid (polygons, which the walking measure counts whole by
their centroid) and the extract's walkable streets are imported once per backend. The test
takes each cell's centroid in UTM itself, walks the extract with networkx
(``tests/osm_reference.py``) and expects every site's walking population and people newly
served within 1 %, on both databases. The extract covers only part of the grid, so the sites lie
inside the extract.
"""

from __future__ import annotations

from functools import cache

import pytest
from geoalchemy2.shape import from_shape
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, box

from tests import databases
from tests.osm_reference import (
    HELSINKI_OSM,
    Place,
    WalkingAnswer,
    read_extract,
    reference_walking,
    walk_network,
)
from tests.reference_data import (
    GTFS_ZIP,
    POPULATION_GRID,
    UTM_35N,
    read_stops,
    read_units,
    station_kinds,
    to_utm,
)
from transitreq import migrate
from transitreq.config import default_settings
from transitreq.db import make_engine, make_sessionmaker
from transitreq.importers.gtfs import import_gtfs
from transitreq.importers.osm import import_osm
from transitreq.importers.population import import_population
from transitreq.models import ServiceArea
from transitreq.services.analysis.evaluation import WALK, evaluate_site

GRID = "hsy-grid"
RADII_M = (400, 800)
SETTINGS = default_settings(CATCHMENT_RADII_M="400,800").evaluation
STATION_REACH_M = 800
SITE_COUNT = 10
CLOSEST_CALL_M = 0.5
_from_utm = Transformer.from_crs(f"EPSG:{UTM_35N}", "EPSG:4326", always_xy=True)


def _units() -> list[Place]:
    """Each cell at its centroid, taken in UTM metres and brought back to lon/lat."""
    units = []
    for unit in read_units(POPULATION_GRID):
        centroid = to_utm(unit.geometry).centroid
        units.append(Place(*_from_utm.transform(centroid.x, centroid.y), unit.population))
    return units


def _stops() -> list[Place]:
    stations = {stop_id for stop_id, kinds in station_kinds().items() if kinds}
    return [
        Place(stop.point.x, stop.point.y, station=stop.stop_id in stations) for stop in read_stops()
    ]


@cache
def reference_sites() -> list[tuple[Point, WalkingAnswer]]:
    """Sites spread over the extract by the R2 sequence, each with the reference's answer."""
    extract = read_extract(HELSINKI_OSM)
    lons = [lon for lon, _ in extract.location.values()]
    lats = [lat for _, lat in extract.location.values()]
    min_lon, max_lon, min_lat, max_lat = min(lons), max(lons), min(lats), max(lats)
    network, units, stops = walk_network(HELSINKI_OSM), _units(), _stops()
    plastic = 1.324717957244746
    found, n = [], 0
    while len(found) < SITE_COUNT:
        n += 1
        fx = 0.1 + 0.8 * ((0.5 + n / plastic) % 1)
        fy = 0.1 + 0.8 * ((0.5 + n / plastic**2) % 1)
        site = (min_lon + fx * (max_lon - min_lon), min_lat + fy * (max_lat - min_lat))
        answer = reference_walking(network, site, units, stops, RADII_M, STATION_REACH_M)
        reached = answer.site_linked and answer.population[800] > 0
        if reached and answer.closest_call_m >= CLOSEST_CALL_M:
            found.append((Point(*site), answer))
    return found


def _load(url: str) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    session = make_sessionmaker(engine)()
    area = MultiPolygon([box(24.8, 60.1, 25.1, 60.3)])
    session.add(ServiceArea(name="Helsinki centre", boundary=from_shape(area, 4326)))
    session.commit()
    import_gtfs(session, GTFS_ZIP, "hsl")
    import_population(session, POPULATION_GRID, name=GRID, population_field="population")
    import_osm(session, HELSINKI_OSM, "helsinki-centre")
    session.close()
    engine.dispose()


@pytest.fixture(scope="module")
def walking_helsinki(tmp_path_factory):
    with databases.loaded_on_each_backend(
        tmp_path_factory.mktemp("walk_hel"), lambda backend, url: _load(url)
    ) as sessionmakers:
        yield sessionmakers


def _close(actual: float, expected: float) -> bool:
    return abs(actual - expected) <= max(0.01 * abs(expected), 1.0)


@pytest.mark.parametrize("index", range(SITE_COUNT), ids=[f"site{i}" for i in range(SITE_COUNT)])
def test_walking_population_and_newly_served_match_networkx(walking_helsinki, backend, index):
    site, expected = reference_sites()[index]
    session = walking_helsinki[backend]()
    try:
        evaluation = evaluate_site(session, site, SETTINGS, GRID)
    finally:
        session.close()
    assert evaluation.street_network == "helsinki-centre"
    walking = {c.radius_m: c for c in evaluation.catchments if c.measure == WALK}
    for radius in RADII_M:
        catchment = walking[radius]
        assert _close(catchment.population, expected.population[radius]), (radius, catchment)
        assert _close(catchment.newly_served, expected.newly_served[radius]), (radius, catchment)


def test_the_comparison_is_not_vacuous():
    """Every site has people within an 800 m walk; central Helsinki is so full of stops that
    nearly all of them are served already, which the comparison must say too."""
    answers = [answer for _, answer in reference_sites()]
    assert all(answer.population[800] > 0 for answer in answers)
    assert sum(answer.population[400] > 0 for answer in answers) >= SITE_COUNT // 2
