"""Planners weigh sites in São Paulo, south of the equator and west of Greenwich, checked the way
Helsinki is: every number against an independent computation in the test.

SPTrans's feed and the r5r hexgrid are imported as published, once per backend. The test reads
the same files itself (the CSV, and the GTFS stops, routes, trips, stop times and shapes),
projects them with pyproj to UTM zone 23S, and works out each site's population, the people
newly served and the modes already serving the rest, the nearest stops and the routes near it
with Shapely and NumPy; every evaluation must agree within 1 % (or one person where the count
is tiny), and the two backends with each other.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import shapely
from geoalchemy2.shape import from_shape, to_shape
from pyproj import CRS, Transformer
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, box
from sqlalchemy import select

from tests import databases
from tests.gtfs_feeds import SHARED_DATA, SPO_ZIP, feed_rows, spo_representative_weekday
from transitreq import migrate
from transitreq.config import default_settings
from transitreq.db import make_engine, make_sessionmaker
from transitreq.importers.gtfs import import_gtfs
from transitreq.importers.population import import_population
from transitreq.models import PopulationDataset, PopulationUnit, Route, ServiceArea, Stop
from transitreq.services.analysis.evaluation import evaluate_site

HEXGRID = SHARED_DATA / "sao_paulo" / "spo_hexgrid.csv"
HEXGRID_NAME = "spo-hexgrid"
FEED = "spo"
# WGS 84 / UTM zone 23S: São Paulo's longitudes, -48° to -42°, south of the equator.
UTM_23S = 32723
# 150 m as well as the defaults: the smaller the radius, the more people no stop reaches yet.
RADII_M = (150, 400, 800)
# No METRIC_SRID: each site is measured in its own UTM zone.
SETTINGS = default_settings(CATCHMENT_RADII_M=",".join(map(str, RADII_M))).evaluation
# Metro and rail stations serve people within 800 m (the default CATCHMENT_BY_ROUTE_TYPE).
STATION_REACH_M = 800
SITE_COUNT = 24
# A site whose catchment edge passes within this of a population point is not used: whether a
# point counts must not depend on how finely a circle is drawn as a polygon.
EDGE_MARGIN_M = 1.0

# Where the zone is valid, as pyproj knows it: 48° W to 42° W, south of the equator.
UTM_23S_AREA = CRS.from_epsg(UTM_23S).area_of_use
_to_utm = Transformer.from_crs("EPSG:4326", f"EPSG:{UTM_23S}", always_xy=True)
_from_utm = Transformer.from_crs(f"EPSG:{UTM_23S}", "EPSG:4326", always_xy=True)


def to_utm(geometry):
    return shapely.transform(
        geometry, lambda xy: np.column_stack(_to_utm.transform(xy[:, 0], xy[:, 1]))
    )


def _mode(route_type: int) -> str:
    """The GTFS reference's basic and extended codes for the modes this feed has."""
    if route_type == 1 or 400 <= route_type <= 404:
        return "metro"
    if route_type == 2 or 100 <= route_type <= 199:
        return "rail"
    if route_type == 3 or 200 <= route_type <= 299 or 700 <= route_type <= 799:
        return "bus"
    if route_type == 11 or 800 <= route_type <= 899:
        return "trolleybus"
    return "other"


# --- What the files say, read independently of the importers --------------------------------


@dataclass(frozen=True)
class Hexgrid:
    lon_lat: np.ndarray  # (n, 2) degrees
    xy: np.ndarray  # (n, 2) metres in UTM 23S
    population: np.ndarray
    jobs: np.ndarray
    schools: np.ndarray


def read_hexgrid(path: Path = HEXGRID) -> Hexgrid:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    lon_lat = np.array([(float(row["lon"]), float(row["lat"])) for row in rows])
    return Hexgrid(
        lon_lat=lon_lat,
        xy=np.column_stack(_to_utm.transform(lon_lat[:, 0], lon_lat[:, 1])),
        population=np.array([float(row["population"]) for row in rows]),
        jobs=np.array([float(row["jobs"]) for row in rows]),
        schools=np.array([float(row["schools"]) for row in rows]),
    )


@dataclass(frozen=True)
class Network:
    stop_ids: list[str]
    stop_xy: np.ndarray  # (m, 2) metres
    # The modes of the trips calling at each stop (stop_times.txt → trips.txt → routes.txt).
    stop_modes: list[frozenset[str]]
    # True where a metro or rail trip calls.
    station: np.ndarray
    route_lines: dict[str, MultiLineString]  # gtfs route_id → every trip's shape, in metres
    route_mode: dict[str, str]


def read_network() -> Network:
    stops = feed_rows(SPO_ZIP, "stops.txt")
    stop_ids = [row["stop_id"] for row in stops]
    lons = [float(row["stop_lon"]) for row in stops]
    lats = [float(row["stop_lat"]) for row in stops]
    route_mode = {
        row["route_id"]: _mode(int(row["route_type"])) for row in feed_rows(SPO_ZIP, "routes.txt")
    }
    trips = feed_rows(SPO_ZIP, "trips.txt")
    mode_of_trip = {trip["trip_id"]: route_mode[trip["route_id"]] for trip in trips}
    modes_at = defaultdict(set)
    for row in feed_rows(SPO_ZIP, "stop_times.txt"):
        modes_at[row["stop_id"]].add(mode_of_trip[row["trip_id"]])
    stop_modes = [frozenset(modes_at[stop_id]) for stop_id in stop_ids]
    points = defaultdict(list)
    for row in feed_rows(SPO_ZIP, "shapes.txt"):
        points[row["shape_id"]].append(
            (int(row["shape_pt_sequence"]), float(row["shape_pt_lon"]), float(row["shape_pt_lat"]))
        )
    lines = defaultdict(list)
    for trip in trips:
        ordered = sorted(points[trip["shape_id"]])
        lines[trip["route_id"]].append(LineString([(lon, lat) for _, lon, lat in ordered]))
    return Network(
        stop_ids=stop_ids,
        stop_xy=np.column_stack(_to_utm.transform(lons, lats)),
        stop_modes=stop_modes,
        station=np.array([bool(modes & {"metro", "rail"}) for modes in stop_modes]),
        route_lines={route_id: to_utm(MultiLineString(parts)) for route_id, parts in lines.items()},
        route_mode=route_mode,
    )


HEX = read_hexgrid()


def _distances_m(xy: np.ndarray, x: float, y: float) -> np.ndarray:
    return np.hypot(xy[:, 0] - x, xy[:, 1] - y)


def _clear_of_every_point(lon: float, lat: float) -> bool:
    x, y = _to_utm.transform(lon, lat)
    distances = _distances_m(HEX.xy, x, y)
    return all(np.abs(distances - radius).min() >= EDGE_MARGIN_M for radius in RADII_M)


def _sites() -> list[Point]:
    """Sites spread evenly over the hexgrid's extent by the R2 sequence (irrational steps, so no
    two share a row or a column and none sits on the hexagons' lattice), leaving out any whose
    catchment edge grazes a population point."""
    min_lon, min_lat = HEX.lon_lat.min(axis=0)
    max_lon, max_lat = HEX.lon_lat.max(axis=0)
    plastic = 1.324717957244746
    sites, n = [], 0
    while len(sites) < SITE_COUNT:
        n += 1
        fx = 0.05 + 0.9 * ((0.5 + n / plastic) % 1)
        fy = 0.05 + 0.9 * ((0.5 + n / plastic**2) % 1)
        lon, lat = min_lon + fx * (max_lon - min_lon), min_lat + fy * (max_lat - min_lat)
        if _clear_of_every_point(lon, lat):
            sites.append(Point(lon, lat))
    return sites


SITES = _sites()
SITE_IDS = [f"site{i}" for i in range(len(SITES))]


@dataclass(frozen=True)
class Expected:
    population: dict[int, float]
    newly_served: dict[int, float]
    # radius → mode → people within the radius already within reach of a stop of that mode.
    served_by: dict[int, dict[str, float]]
    nearest_m: list[float]
    # gtfs route_id → metres from the site, for routes within the largest radius.
    routes_m: dict[str, float]


def expected_at(site: Point, network: Network) -> Expected:
    x, y = _to_utm.transform(site.x, site.y)
    to_site = _distances_m(HEX.xy, x, y)
    to_stops = np.hypot(
        HEX.xy[:, None, 0] - network.stop_xy[None, :, 0],
        HEX.xy[:, None, 1] - network.stop_xy[None, :, 1],
    )
    population, newly, served_by = {}, {}, {}
    for radius in RADII_M:
        inside = to_site <= radius
        # A stop reaches the radius evaluated; a metro or rail station at least 800 m.
        reach = np.where(network.station, max(radius, STATION_REACH_M), radius)
        within_reach = to_stops <= reach[None, :]
        population[radius] = float(HEX.population[inside].sum())
        newly[radius] = float(HEX.population[inside & ~within_reach.any(axis=1)].sum())
        served_by[radius] = {}
        for mode in ("bus", "metro", "rail"):
            of_mode = np.array([mode in modes for modes in network.stop_modes])
            people = float(HEX.population[inside & within_reach[:, of_mode].any(axis=1)].sum())
            if people > 0:
                served_by[radius][mode] = people
    site_utm = Point(x, y)
    routes_m = {
        route_id: line.distance(site_utm)
        for route_id, line in network.route_lines.items()
        if line.distance(site_utm) <= max(RADII_M)
    }
    nearest = sorted(_distances_m(network.stop_xy, x, y))[:5]
    return Expected(population, newly, served_by, [float(d) for d in nearest], routes_m)


# --- The city loaded once per backend ---------------------------------------------------------


@dataclass
class Loaded:
    sessions: object
    feed_summary: object
    population_summary: object


def _load_sao_paulo(url: str) -> tuple[object, object]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    session = make_sessionmaker(engine)()
    (min_lon, min_lat), (max_lon, max_lat) = HEX.lon_lat.min(axis=0), HEX.lon_lat.max(axis=0)
    area = box(min_lon - 0.01, min_lat - 0.01, max_lon + 0.01, max_lat + 0.01)
    session.add(
        ServiceArea(name="São Paulo centro", boundary=from_shape(MultiPolygon([area]), 4326))
    )
    session.commit()
    feed_summary = import_gtfs(session, SPO_ZIP, FEED)
    population_summary = import_population(
        session,
        HEXGRID,
        name=HEXGRID_NAME,
        population_field="population",
        extra_fields=("jobs", "schools"),
    )
    session.close()
    engine.dispose()
    return feed_summary, population_summary


@pytest.fixture(scope="module")
def sao_paulo(tmp_path_factory):
    """One database per backend with São Paulo loaded; read-only for these tests."""
    postgis_url = databases.create_postgis_database()
    urls = {
        "spatialite": databases.spatialite_database(tmp_path_factory.mktemp("sao_paulo")),
        "postgis": postgis_url,
    }
    engines, loaded = [], {}
    for backend, url in urls.items():
        feed_summary, population_summary = _load_sao_paulo(url)
        engine = make_engine(url)
        engines.append(engine)
        loaded[backend] = Loaded(make_sessionmaker(engine), feed_summary, population_summary)
    yield loaded
    for engine in engines:
        engine.dispose()
    databases.drop_postgis_database(postgis_url)


@pytest.fixture(params=("spatialite", "postgis"))
def backend(request) -> str:
    return request.param


@pytest.fixture
def spo_session(sao_paulo, backend):
    session = sao_paulo[backend].sessions()
    yield session
    session.close()


@pytest.fixture(scope="module")
def evaluations(sao_paulo):
    """Each site evaluated once per backend (evaluating only reads), for every test to check."""
    sessions = {backend: loaded.sessions() for backend, loaded in sao_paulo.items()}
    done = {}

    def evaluation(backend: str, index: int):
        if (backend, index) not in done:
            done[backend, index] = evaluate_site(
                sessions[backend], SITES[index], SETTINGS, HEXGRID_NAME
            )
        return done[backend, index]

    yield evaluation
    for session in sessions.values():
        session.close()


@pytest.fixture(scope="module")
def network() -> Network:
    return read_network()


@pytest.fixture(scope="module")
def expected(network) -> list[Expected]:
    return [expected_at(site, network) for site in SITES]


def _close(actual: float, expected: float) -> bool:
    """Within 1 %, or within one (person, metre) where the expected value is tiny."""
    return abs(actual - expected) <= max(0.01 * abs(expected), 1.0)


def _gtfs_route_ids(session) -> dict[int, str]:
    return dict(session.execute(select(Route.id, Route.gtfs_route_id)).all())


# --- The imports ----------------------------------------------------------------------------


def test_the_feed_imports_as_published_measured_in_its_last_weeks(sao_paulo, backend):
    summary = sao_paulo[backend].feed_summary
    measured_on = spo_representative_weekday()
    assert (summary.expired, summary.service_date) == (True, measured_on)
    (notice,) = summary.report.groups
    assert (notice.severity.value, notice.code, notice.count) == ("info", "feed_expired", 1)
    assert f"{measured_on:%A} {measured_on.isoformat()}" in notice.examples[0].message
    assert summary.stops == len(feed_rows(SPO_ZIP, "stops.txt"))
    assert summary.routes == len(feed_rows(SPO_ZIP, "routes.txt"))


def test_every_hexagon_keeps_its_place_people_jobs_and_schools(spo_session, sao_paulo, backend):
    summary = sao_paulo[backend].population_summary
    assert (summary.geometry_kind, summary.units) == ("points", len(HEX.population))
    assert summary.total_population == pytest.approx(HEX.population.sum())
    dataset = spo_session.scalars(
        select(PopulationDataset).where(PopulationDataset.name == HEXGRID_NAME)
    ).one()
    assert dataset.extra_fields == ["jobs", "schools"]
    in_file = {
        (lon, lat): (people, jobs, schools)
        for (lon, lat), people, jobs, schools in zip(
            HEX.lon_lat.tolist(), HEX.population, HEX.jobs, HEX.schools, strict=True
        )
    }
    stored = {}
    for unit in spo_session.scalars(
        select(PopulationUnit).where(PopulationUnit.dataset_id == dataset.id)
    ):
        point = to_shape(unit.geom)
        stored[point.x, point.y] = (
            unit.population,
            unit.attributes["jobs"],
            unit.attributes["schools"],
        )
    # Every coordinate negative, and each read back as the very number in the file.
    assert stored == in_file
    assert all(lon < 0 and lat < 0 for lon, lat in stored)


# --- Each site against the independent computation --------------------------------------------


@pytest.mark.parametrize("index", range(SITE_COUNT), ids=SITE_IDS)
def test_population_and_newly_served_match_an_independent_computation(
    evaluations, expected, backend, index
):
    evaluation = evaluations(backend, index)
    site = SITES[index]
    assert UTM_23S_AREA.west <= site.x <= UTM_23S_AREA.east
    assert UTM_23S_AREA.south <= site.y <= UTM_23S_AREA.north
    # Measured in the site's own UTM zone: the southern one.
    assert evaluation.metric_srid == UTM_23S
    assert evaluation.placement_problem is None
    assert evaluation.population_dataset == HEXGRID_NAME
    assert [catchment.radius_m for catchment in evaluation.catchments] == list(RADII_M)
    for catchment in evaluation.catchments:
        radius = catchment.radius_m
        people = expected[index].population[radius]
        newly = expected[index].newly_served[radius]
        assert _close(catchment.population, people), (radius, catchment, people)
        assert _close(catchment.newly_served, newly), (radius, catchment, newly)
        by_mode = {served.mode: served.population for served in catchment.already_served_by}
        wanted = expected[index].served_by[radius]
        assert by_mode.keys() == wanted.keys(), (radius, by_mode, wanted)
        assert all(_close(by_mode[mode], wanted[mode]) for mode in wanted), (by_mode, wanted)


def test_some_sites_have_people_no_stop_reaches_yet(expected):
    """The comparison above is not vacuous: several sites would bring people within 400 m of a
    stop for the first time, one even within 150 m, while at most sites stations reaching 800 m
    already serve some of the people near them."""
    assert sum(e.newly_served[400] > 0 for e in expected) >= 5
    assert sum(e.newly_served[150] > 0 for e in expected) >= 1
    assert sum(0 < e.newly_served[400] < e.population[400] for e in expected) >= 3
    assert sum(e.newly_served[400] < e.population[400] for e in expected) > SITE_COUNT // 2


@pytest.mark.parametrize("index", range(SITE_COUNT), ids=SITE_IDS)
def test_nearest_stops_are_the_five_closest_by_metres(evaluations, expected, backend, index):
    evaluation = evaluations(backend, index)
    actual = [stop.distance_m for stop in evaluation.nearest_stops]
    assert len(actual) == 5
    assert all(_close(a, e) for a, e in zip(actual, expected[index].nearest_m, strict=True)), (
        actual,
        expected[index].nearest_m,
    )
    assert all(stop.lat < 0 and stop.lon < 0 for stop in evaluation.nearest_stops)


@pytest.mark.parametrize("index", range(SITE_COUNT), ids=SITE_IDS)
def test_routes_near_the_site_are_those_within_the_catchment(
    evaluations, expected, network, spo_session, backend, index
):
    evaluation = evaluations(backend, index)
    gtfs_id = _gtfs_route_ids(spo_session)
    actual = {gtfs_id[route.route_id]: route for route in evaluation.routes_in_catchment}
    wanted = expected[index].routes_m
    assert actual.keys() == wanted.keys()
    for route_id, route in actual.items():
        assert _close(route.distance_m, wanted[route_id]), (route_id, route, wanted[route_id])
        assert route.mode == network.route_mode[route_id]
    # Only buses could call at a new bus stop.
    assert {gtfs_id[route.route_id] for route in evaluation.routes_passing_by} == {
        route_id
        for route_id, metres in wanted.items()
        if metres <= SETTINGS.pass_by_m and network.route_mode[route_id] == "bus"
    }


def _on_a_bus_route_beside(network: Network, mode: str) -> tuple[Point, str, str]:
    """A point on a bus route's shape, inside the hexgrid's extent, where a line of ``mode``
    runs within 30 m: found by walking the bus shapes in 100 m steps, all from the feed."""
    (min_lon, min_lat), (max_lon, max_lat) = HEX.lon_lat.min(axis=0), HEX.lon_lat.max(axis=0)
    extent = to_utm(box(min_lon, min_lat, max_lon, max_lat))
    others = {r: line for r, line in network.route_lines.items() if network.route_mode[r] == mode}
    for bus_id in sorted(r for r, m in network.route_mode.items() if m == "bus"):
        for part in network.route_lines[bus_id].geoms:
            for along_m in range(50, int(part.length), 100):
                point = part.interpolate(along_m)
                beside = [r for r, line in sorted(others.items()) if line.distance(point) < 30]
                if beside and extent.contains(point):
                    lon, lat = _from_utm.transform(point.x, point.y)
                    return Point(lon, lat), bus_id, beside[0]
    raise AssertionError(f"no bus route runs beside a {mode} line in the hexgrid")


@pytest.mark.parametrize("mode", ["metro", "rail"])
def test_a_metro_or_rail_line_beside_a_bus_route_is_listed_but_cannot_call(
    spo_session, network, mode
):
    """On a bus route with a metro (or CPTM rail) line alongside, both are routes near the site,
    each with its own mode, but only the bus could call at a new bus stop."""
    site, bus_id, line_id = _on_a_bus_route_beside(network, mode)
    evaluation = evaluate_site(spo_session, site, SETTINGS, HEXGRID_NAME)
    gtfs_id = _gtfs_route_ids(spo_session)
    listed = {gtfs_id[route.route_id]: route for route in evaluation.routes_in_catchment}
    assert (listed[line_id].mode, listed[bus_id].mode) == (mode, "bus")
    assert listed[line_id].distance_m < 30
    assert listed[bus_id].distance_m < 1
    passing = {gtfs_id[route.route_id] for route in evaluation.routes_passing_by}
    assert bus_id in passing and line_id not in passing
    assert line_id not in {gtfs_id[spacing.route_id] for spacing in evaluation.spacing}


def test_both_backends_give_the_same_evaluation(evaluations):
    for index in range(SITE_COUNT):
        lite, gis = evaluations("spatialite", index), evaluations("postgis", index)
        assert lite.metric_srid == gis.metric_srid == UTM_23S
        for a, b in zip(lite.catchments, gis.catchments, strict=True):
            assert _close(a.population, b.population), (index, a, b)
            assert _close(a.newly_served, b.newly_served), (index, a, b)
            assert {s.mode: s.population for s in a.already_served_by}.keys() == {
                s.mode: s.population for s in b.already_served_by
            }.keys()
        assert [s.name for s in lite.nearest_stops] == [s.name for s in gis.nearest_stops]
        assert [r.name for r in lite.routes_in_catchment] == [
            r.name for r in gis.routes_in_catchment
        ]
        assert lite.score.total == pytest.approx(gis.score.total, rel=0.01, abs=0.1)


def test_stops_imported_are_the_feeds_stops_where_the_feed_puts_them(spo_session, network):
    stored = {
        stop.gtfs_stop_id: to_shape(stop.location)
        for stop in spo_session.scalars(select(Stop).where(Stop.feed == FEED))
    }
    in_file = {
        row["stop_id"]: (float(row["stop_lon"]), float(row["stop_lat"]))
        for row in feed_rows(SPO_ZIP, "stops.txt")
    }
    assert {stop_id: (p.x, p.y) for stop_id, p in stored.items()} == in_file
    assert stored.keys() == set(network.stop_ids)
