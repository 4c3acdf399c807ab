"""Benchmark: site evaluation on real Helsinki data and a generated city, on both backends.

For each backend and dataset, 200 random sites (seeded) are evaluated through the service
(`evaluate_site`, what the API calls), against two baselines measured on the same data in the
same run:

- **replayed**: the very same SQL statements the service ran, replayed through the bare driver
  (what SQLAlchemy and our Python add);
- **the floor** (issue 16): what the database needs at the least for the same answers: one
  indexed population sum per catchment radius (points within the radius, on the ellipsoid),
  one indexed nearest-stops lookup, and the service's own routes, spacing and demand
  statements replayed bare; the PostGIS population table clustered on its spatial index,
  parallel query off.

It also times the stored coverage's refresh after the generated city is loaded, and the
planners' coverage gap for the whole city (``coverage_gap_layer``).

    .venv/bin/python bench/evaluate_sites.py              # full scale: 1M points, ~25 minutes
    .venv/bin/python bench/evaluate_sites.py --points 100000 --stops 2000 --routes 100
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import astuple, dataclass, field
from pathlib import Path

from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, box
from sqlalchemy import event, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import city_generator  # noqa: E402
from tests import databases  # noqa: E402
from tests.reference_data import (  # noqa: E402
    GTFS_ZIP,
    POPULATION_GRID,
    grid_extent,
)
from transitreq import migrate  # noqa: E402
from transitreq.config import default_settings  # noqa: E402
from transitreq.db import make_engine, make_sessionmaker, unit_of_work  # noqa: E402
from transitreq.geo.metric import box_around  # noqa: E402
from transitreq.importers.gtfs import import_gtfs  # noqa: E402
from transitreq.importers.population import import_population  # noqa: E402
from transitreq.models import PopulationDataset, ServiceArea  # noqa: E402
from transitreq.services.analysis.coverage import refresh_coverage  # noqa: E402
from transitreq.services.analysis.evaluation import evaluate_site  # noqa: E402
from transitreq.services.analysis.layers import coverage_gap_layer  # noqa: E402

# The deployment defaults: catchments of 400 and 800 m, each site measured in its UTM zone.
SETTINGS = default_settings().evaluation
RESULTS_DIR = Path(__file__).resolve().parent / "results"
WARM_UP_SITES = 10


class StatementRecorder:
    """Keeps every SQL statement (with its parameters) an engine runs while recording."""

    def __init__(self, engine) -> None:
        self.recording = False
        self.statements: list[tuple[str, object]] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, parameters, _context, _executemany) -> None:
        if self.recording:
            self.statements.append((statement, parameters))


def _random_sites(bounds, count: int, seed: int):
    from shapely.geometry import Point

    rng = random.Random(seed)
    min_lon, min_lat, max_lon, max_lat = bounds
    return [
        Point(rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat)) for _ in range(count)
    ]


def _replay(raw_connection, statements) -> None:
    cursor = raw_connection.cursor()
    for statement, parameters in statements:
        cursor.execute(statement, parameters)
        cursor.fetchall()
    cursor.close()


# The floor's own statements, bare SQL for each driver (psycopg: %s; sqlite: ?).
_FLOOR_POPULATION = {
    "postgis": "SELECT coalesce(sum(population), 0) FROM population_units WHERE dataset_id = %s"
    " AND geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)"
    " AND ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s)",
    "spatialite": "SELECT coalesce(sum(population), 0) FROM population_units WHERE dataset_id = ?"
    " AND id IN (SELECT rowid FROM SpatialIndex WHERE f_table_name = 'population_units'"
    " AND f_geometry_column = 'geom' AND search_frame = BuildMbr(?, ?, ?, ?, 4326))"
    " AND PtDistWithin(geom, MakePoint(?, ?, 4326), ?, 0)",
}
_FLOOR_NEAREST = {
    "postgis": "SELECT id FROM stops ORDER BY location <-> ST_SetSRID(ST_MakePoint(%s, %s), 4326)"
    " LIMIT 5",
    "spatialite": "SELECT id FROM stops WHERE id IN (SELECT rowid FROM SpatialIndex"
    " WHERE f_table_name = 'stops' AND f_geometry_column = 'location'"
    " AND search_frame = BuildMbr(?, ?, ?, ?, 4326))"
    " ORDER BY ST_Distance(location, MakePoint(?, ?, 4326)) LIMIT 5",
}
# Statements of the evaluation that belong to the floor as they are: routes, spacing, demand.
_FLOOR_TABLES = ("routes", "route_stops", "stop_requests")
_NOT_FLOOR_TABLES = ("population_units", "coverage_parts", "coverage_states")


def _floor_statements(backend: str, site, dataset_id: int, recorded) -> list:
    """The floor for one site: the population sums, the nearest stops, and the recorded
    routes, spacing and demand statements."""
    statements = []
    for radius_m in SETTINGS.catchment_radii_m:
        box = box_around(site.x, site.y, radius_m)
        statements.append(
            (
                _FLOOR_POPULATION[backend],
                (dataset_id, *astuple(box), site.x, site.y, float(radius_m)),
            )
        )
    if backend == "postgis":
        statements.append((_FLOOR_NEAREST[backend], (site.x, site.y)))
    else:
        box = box_around(site.x, site.y, 1500)
        statements.append((_FLOOR_NEAREST[backend], (*astuple(box), site.x, site.y)))
    for statement, parameters in recorded:
        lowered = statement.lower()
        if any(f" {name}" in lowered for name in _FLOOR_TABLES) and not any(
            name in lowered for name in _NOT_FLOOR_TABLES
        ):
            statements.append((statement, parameters))
    return statements


@dataclass
class Timings:
    service_ms: list[float] = field(default_factory=list)
    replayed_ms: list[float] = field(default_factory=list)
    floor_ms: list[float] = field(default_factory=list)


def _timed(run) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def _measure(engine, backend: str, sites, dataset: str) -> Timings:
    """Milliseconds per site through the service, for its SQL replayed bare, and the floor."""
    recorder = StatementRecorder(engine)
    session = make_sessionmaker(engine)()
    dataset_id = session.scalar(
        select(PopulationDataset.id).where(PopulationDataset.name == dataset)
    )
    raw = engine.raw_connection()
    timings = Timings()
    for index, site in enumerate(sites):
        recorder.statements = []
        recorder.recording = True
        elapsed = _timed(lambda site=site: evaluate_site(session, site, SETTINGS, dataset))
        recorder.recording = False
        session.rollback()
        recorded = list(recorder.statements)
        replayed = _timed(lambda recorded=recorded: _replay(raw, recorded))
        raw.rollback()
        floor_statements = _floor_statements(backend, site, dataset_id, recorded)
        floor = _timed(lambda floor_statements=floor_statements: _replay(raw, floor_statements))
        raw.rollback()
        if index >= WARM_UP_SITES:
            timings.service_ms.append(elapsed)
            timings.replayed_ms.append(replayed)
            timings.floor_ms.append(floor)
    raw.close()
    session.close()
    return timings


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def _prepare(backend: str, scale: city_generator.CityScale) -> tuple[str, float]:
    RESULTS_DIR.mkdir(exist_ok=True)
    if backend == "spatialite":
        # A fresh file each run: one left by an interrupted run holds its service areas.
        for leftover in RESULTS_DIR.glob("bench.db*"):
            leftover.unlink()
        url = f"sqlite:///{RESULTS_DIR / 'bench.db'}"
    else:
        url = databases.create_postgis_database()
    engine = make_engine(url)
    migrate.upgrade(engine)
    session = make_sessionmaker(engine)()
    # Service areas as a deployment has them, so the placement check runs as it does live.
    for name, bounds in (("Helsinki", grid_extent()), ("Bench city", city_generator.city_bounds())):
        session.add(ServiceArea(name=name, boundary=from_shape(MultiPolygon([box(*bounds)]), 4326)))
    session.commit()
    print(f"[{backend}] loading Helsinki reference data …", flush=True)
    import_gtfs(session, GTFS_ZIP, "hsl")
    import_population(session, POPULATION_GRID, name="hsy-grid", population_field="population")
    session.close()
    print(f"[{backend}] generating and loading the city ({scale.points:,} points) …", flush=True)
    started = time.perf_counter()
    city_generator.load(engine, city_generator.generate(scale))
    print(f"[{backend}] loaded in {time.perf_counter() - started:.0f} s", flush=True)
    session = make_sessionmaker(engine)()
    started = time.perf_counter()
    with unit_of_work(session):
        refresh_coverage(session)
    refresh_s = time.perf_counter() - started
    session.close()
    print(f"[{backend}] coverage stored in {refresh_s:.1f} s", flush=True)
    if backend == "postgis":
        with engine.begin() as connection:
            # The floor's condition: the population table in the order of its spatial index.
            # After the refresh, which writes a new version of every row (and so undoes it).
            connection.execute(text("CLUSTER population_units USING idx_population_units_geom"))
            connection.execute(text("ANALYZE"))
    engine.dispose()
    return url, refresh_s


def _whole_city_gap(engine, dataset: str, runs: int = 5) -> tuple[float, float]:
    """Median seconds for the coverage gap of the whole generated city (no box: the dataset's
    whole extent), and its total."""
    session = make_sessionmaker(engine)()
    seconds, total = [], 0.0
    for _ in range(runs):
        started = time.perf_counter()
        layer = coverage_gap_layer(session, None, 400, SETTINGS, dataset)
        seconds.append(time.perf_counter() - started)
        total = layer.total_population
        session.rollback()
    session.close()
    return statistics.median(seconds), total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="postgis,spatialite")
    parser.add_argument("--sites", type=int, default=200)
    city_generator.add_scale_arguments(parser)
    args = parser.parse_args()
    scale = city_generator.scale_of(args)
    city = f"generated city ({scale.points:,} points)"
    workloads = {
        "Helsinki (HSY grid, HSL feed)": ("hsy-grid", grid_extent()),
        city: (city_generator.DATASET, city_generator.city_bounds()),
    }
    rows, extras = [], []
    for backend in args.backends.split(","):
        url, refresh_s = _prepare(backend, scale)
        engine = make_engine(url)
        for label, (dataset, bounds) in workloads.items():
            sites = _random_sites(bounds, args.sites + WARM_UP_SITES, args.seed)
            timings = _measure(engine, backend, sites, dataset)
            rows.append((backend, label, timings))
            print(
                f"[{backend}] {label}: median {statistics.median(timings.service_ms):.1f} ms",
                flush=True,
            )
        gap_s, gap_people = _whole_city_gap(engine, city_generator.DATASET)
        extras.append((backend, refresh_s, gap_s, gap_people))
        engine.dispose()
        if backend == "postgis":
            databases.drop_postgis_database(url)
    _print_tables(rows, extras, city)


def _print_tables(rows, extras, city: str) -> None:
    print()
    print(
        "| backend | data | evaluation median | p95 | replayed median | floor median | p95"
        " | ÷ replayed | ÷ floor |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for backend, label, timings in rows:
        median = statistics.median(timings.service_ms)
        replayed = statistics.median(timings.replayed_ms)
        floor = statistics.median(timings.floor_ms)
        print(
            f"| {backend} | {label} | {median:.1f} ms | {_p95(timings.service_ms):.1f} ms"
            f" | {replayed:.1f} ms | {floor:.1f} ms | {_p95(timings.floor_ms):.1f} ms"
            f" | {median / replayed:.2f} | {median / floor:.2f} |"
        )
    print()
    print(
        f"| backend | coverage refresh, both datasets | whole-city coverage gap ({city}) | people |"
    )
    print("|---|---:|---:|---:|")
    for backend, refresh_s, gap_s, people in extras:
        print(f"| {backend} | {refresh_s:.1f} s | {gap_s * 1000:.0f} ms | {people:,.0f} |")


if __name__ == "__main__":
    main()
