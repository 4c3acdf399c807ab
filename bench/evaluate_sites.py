"""Benchmark: site evaluation on real Helsinki data and a generated city, on both backends.

For each backend and dataset, 200 random sites (seeded) are evaluated through the service
(`evaluate_site`, what the API calls) and, as the floor, the very same SQL statements are
replayed through the bare database driver with no ORM or Python in between. Medians and p95
are printed, with the ratio of each median to its floor measured in the same run.

    .venv/bin/python bench/evaluate_sites.py              # full scale: 1M points, ~15 minutes
    .venv/bin/python bench/evaluate_sites.py --points 100000 --stops 2000 --routes 100
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, box
from sqlalchemy import event, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import city_generator  # noqa: E402
from tests import databases  # noqa: E402
from tests.reference_data import (  # noqa: E402
    GTFS_ZIP,
    POPULATION_GRID,
    grid_extent,
)
from transitreq import migrate  # noqa: E402
from transitreq.db import make_engine, make_sessionmaker  # noqa: E402
from transitreq.importers.gtfs import import_gtfs  # noqa: E402
from transitreq.importers.population import import_population  # noqa: E402
from transitreq.models import ServiceArea  # noqa: E402
from transitreq.services.evaluation import EvaluationSettings, evaluate_site  # noqa: E402

# The deployment defaults: catchments of 400 and 800 m, each site measured in its UTM zone.
SETTINGS = EvaluationSettings()
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


def _measure(engine, sites, dataset: str) -> tuple[list[float], list[float]]:
    """Milliseconds per site through the service, and for the same SQL replayed bare."""
    recorder = StatementRecorder(engine)
    session = make_sessionmaker(engine)()
    raw = engine.raw_connection()
    service_ms, floor_ms = [], []
    for index, site in enumerate(sites):
        recorder.statements = []
        recorder.recording = True
        started = time.perf_counter()
        evaluate_site(session, site, SETTINGS, dataset)
        elapsed = time.perf_counter() - started
        recorder.recording = False
        session.rollback()
        started = time.perf_counter()
        _replay(raw, recorder.statements)
        floor = time.perf_counter() - started
        raw.rollback()
        if index >= WARM_UP_SITES:
            service_ms.append(elapsed * 1000)
            floor_ms.append(floor * 1000)
    raw.close()
    session.close()
    return service_ms, floor_ms


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def _prepare(backend: str, scale: city_generator.CityScale) -> str:
    RESULTS_DIR.mkdir(exist_ok=True)
    if backend == "spatialite":
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
    with engine.begin() as connection:
        if backend == "postgis":
            connection.execute(text("ANALYZE"))
    print(f"[{backend}] loaded in {time.perf_counter() - started:.0f} s", flush=True)
    engine.dispose()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="postgis,spatialite")
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--stops", type=int, default=10_000)
    parser.add_argument("--routes", type=int, default=500)
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()
    scale = city_generator.CityScale(args.points, args.stops, args.routes, args.seed)
    workloads = {
        "Helsinki (HSY grid, HSL feed)": ("hsy-grid", grid_extent()),
        f"generated city ({scale.points:,} points)": (
            city_generator.DATASET,
            city_generator.city_bounds(),
        ),
    }
    rows = []
    for backend in args.backends.split(","):
        url = _prepare(backend, scale)
        engine = make_engine(url)
        for label, (dataset, bounds) in workloads.items():
            sites = _random_sites(bounds, args.sites + WARM_UP_SITES, args.seed)
            service_ms, floor_ms = _measure(engine, sites, dataset)
            rows.append(
                (
                    backend,
                    label,
                    statistics.median(service_ms),
                    _p95(service_ms),
                    statistics.median(floor_ms),
                    _p95(floor_ms),
                )
            )
            print(f"[{backend}] {label}: median {rows[-1][2]:.1f} ms", flush=True)
        engine.dispose()
        if backend == "postgis":
            databases.drop_postgis_database(url)
    print()
    print(
        "| backend | data | evaluation median | p95 | bare-SQL floor median | p95"
        " | median ÷ floor |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for backend, label, median, p95, floor_median, floor_p95 in rows:
        print(
            f"| {backend} | {label} | {median:.1f} ms | {p95:.1f} ms | {floor_median:.1f} ms"
            f" | {floor_p95:.1f} ms | {median / floor_median:.2f} |"
        )


if __name__ == "__main__":
    main()
