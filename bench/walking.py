"""Benchmark: walking catchments at 800 m against the straight-line evaluation, and importing the
São Paulo OpenStreetMap extract, on both backends.

For each backend: SPTrans's feed and the r5r hexgrid are loaded, 100 random sites (seeded, 5
more first to warm caches) in the hexgrid's extent are evaluated with one 800 m catchment
through ``evaluate_site`` (what ``GET /api/evaluate`` calls) with no street network loaded, the
baseline; then the extract is imported (three times: a re-import replaces it, and each is timed)
and the same sites are evaluated again, now with the walking catchment beside the circle, its
walking area, and walking distances to the nearest stops. Medians and p95 are printed, with the
ratio of the walking evaluation's median to the baseline's.

    .venv/bin/python bench/walking.py
    .venv/bin/python bench/walking.py --backends spatialite --sites 30
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import time
from pathlib import Path

from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Point, box

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import databases  # noqa: E402
from tests.gtfs_feeds import SHARED_DATA, SPO_ZIP  # noqa: E402
from transitreq import migrate  # noqa: E402
from transitreq.config import default_settings  # noqa: E402
from transitreq.db import make_engine, make_sessionmaker  # noqa: E402
from transitreq.importers.gtfs import import_gtfs  # noqa: E402
from transitreq.importers.osm import import_osm  # noqa: E402
from transitreq.importers.population import import_population  # noqa: E402
from transitreq.models import ServiceArea  # noqa: E402
from transitreq.services.analysis.evaluation import WALK, evaluate_site  # noqa: E402

HEXGRID = SHARED_DATA / "sao_paulo" / "spo_hexgrid.csv"
EXTRACT = SHARED_DATA / "sao_paulo" / "spo_osm.pbf"
SETTINGS = default_settings(CATCHMENT_RADII_M="800", SCORE_RADIUS_M="800").evaluation
RESULTS_DIR = Path(__file__).resolve().parent / "results"
WARM_UP_SITES = 5
IMPORTS = 3


def _hexgrid_bounds() -> tuple[float, float, float, float]:
    with HEXGRID.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    lons, lats = [float(row["lon"]) for row in rows], [float(row["lat"]) for row in rows]
    return min(lons), min(lats), max(lons), max(lats)


def _sites(count: int, seed: int) -> list[Point]:
    """Random sites (seeded) in the hexgrid's extent."""
    rng = random.Random(seed)
    min_lon, min_lat, max_lon, max_lat = _hexgrid_bounds()
    return [
        Point(rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat)) for _ in range(count)
    ]


def _evaluate_all(session, sites: list[Point]) -> list[float]:
    """Milliseconds per site, the warm-up sites left out."""
    timings = []
    for index, site in enumerate(sites):
        started = time.perf_counter()
        evaluate_site(session, site, SETTINGS, "spo-hexgrid")
        if index >= WARM_UP_SITES:
            timings.append((time.perf_counter() - started) * 1000)
        session.rollback()
    return timings


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def _url(backend: str) -> str:
    if backend == "postgis":
        return databases.create_postgis_database()
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / "walking.db"
    path.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def run(backend: str, sites: list[Point]) -> dict[str, object]:
    url = _url(backend)
    engine = make_engine(url)
    migrate.upgrade(engine)
    session = make_sessionmaker(engine)()
    area = MultiPolygon([box(-46.75, -23.65, -46.55, -23.45)])
    session.add(ServiceArea(name="São Paulo", boundary=from_shape(area, 4326)))
    session.commit()
    import_gtfs(session, SPO_ZIP, "spo")
    import_population(session, HEXGRID, name="spo-hexgrid", population_field="population")
    print(f"[{backend}] straight-line evaluations …", flush=True)
    straight = _evaluate_all(session, sites)
    imports = []
    for _ in range(IMPORTS):
        started = time.perf_counter()
        import_osm(session, EXTRACT, "spo-streets")
        imports.append(time.perf_counter() - started)
    print(f"[{backend}] imports: {', '.join(f'{s:.1f} s' for s in imports)}", flush=True)
    print(f"[{backend}] walking evaluations …", flush=True)
    walking = _evaluate_all(session, sites)
    walked = evaluate_site(session, sites[-1], SETTINGS, "spo-hexgrid")
    assert any(catchment.measure == WALK for catchment in walked.catchments)
    session.close()
    engine.dispose()
    if backend == "postgis":
        databases.drop_postgis_database(url)
    return {"straight": straight, "walking": walking, "imports": imports}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="postgis,spatialite")
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args()
    sites = _sites(args.sites + WARM_UP_SITES, args.seed)
    results = {backend: run(backend, sites) for backend in args.backends.split(",")}
    print()
    print(
        "| backend | straight-line evaluation, 800 m: median | p95 | with the walk: median"
        " | p95 | walk ÷ straight line |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for backend, found in results.items():
        straight, walking = found["straight"], found["walking"]
        print(
            f"| {backend} | {statistics.median(straight):.1f} ms | {_p95(straight):.1f} ms"
            f" | {statistics.median(walking):.1f} ms | {_p95(walking):.1f} ms"
            f" | {statistics.median(walking) / statistics.median(straight):.2f} |"
        )
    print()
    print("| backend | importing spo_osm.pbf: median of 3 | slowest |")
    print("|---|---:|---:|")
    for backend, found in results.items():
        imports = found["imports"]
        print(f"| {backend} | {statistics.median(imports):.1f} s | {max(imports):.1f} s |")


if __name__ == "__main__":
    main()
