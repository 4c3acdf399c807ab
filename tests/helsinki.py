"""The Helsinki reference city loaded once per backend for the whole run, and what the tests
compare it with: fixtures (registered in conftest) and the settings they evaluate with."""

from __future__ import annotations

from dataclasses import replace

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, box

from tests import databases
from tests.reference_data import (
    GTFS_ZIP,
    POPULATION_GRID,
    POPULATION_POINTS,
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
from transitreq.importers.population import import_population
from transitreq.models import ServiceArea

GRID, POINTS = "hsy-grid", "hsy-points"
# Metro and rail stations serve people within 800 m (the default CATCHMENT_BY_ROUTE_TYPE).
STATION_REACH_M = 800
SETTINGS = default_settings(CATCHMENT_RADII_M="250,400", METRIC_SRID=UTM_35N).evaluation
# Every stop, station or not, serving the radius evaluated: central Helsinki is so full of
# metro and rail that with stations reaching 800 m nobody near these sites is newly served.
EVERY_STOP_ALIKE = replace(SETTINGS, modes=replace(SETTINGS.modes, catchment_m={}))
# The two ways of counting who is already served, and whether stations reach farther.
SETTINGS_AND_STATIONS = {
    "stations reach 800 m": (SETTINGS, True),
    "every stop alike": (EVERY_STOP_ALIKE, False),
}


def station_reach_m(stop, radius_m: float, stations: set[str]) -> float:
    """How far a reference stop serves people: the radius, or 800 m for a station."""
    return max(radius_m, STATION_REACH_M) if stop.stop_id in stations else radius_m


def _load(url: str) -> None:
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


@pytest.fixture(scope="session")
def helsinki(tmp_path_factory):
    """One database per backend with the Helsinki data loaded; read-only for the tests."""
    with databases.loaded_on_each_backend(
        tmp_path_factory.mktemp("helsinki"), lambda backend, url: _load(url)
    ) as sessionmakers:
        yield sessionmakers


@pytest.fixture(params=("spatialite", "postgis"))
def helsinki_session(request, helsinki):
    session = helsinki[request.param]()
    yield session
    session.close()


@pytest.fixture(scope="session")
def reference():
    """The reference files read independently of our importers, in UTM metres."""
    stations = station_kinds()
    return {
        GRID: [(to_utm(unit.geometry), unit.population) for unit in read_units(POPULATION_GRID)],
        POINTS: [
            (to_utm(unit.geometry), unit.population) for unit in read_units(POPULATION_POINTS)
        ],
        "stops": [(stop, to_utm(stop.point)) for stop in read_stops()],
        "stations": {stop_id for stop_id, kinds in stations.items() if kinds},
    }
