"""Benchmark: suggested stops (K = 20 by default) for the generated city, São Paulo and
Helsinki, on each backend.

Each city is asked its question through ``suggest`` (what ``GET /api/planner/suggestions`` and
``flask suggest-stops`` call when no stored run answers) limited to the city's box: first greedy
only, the baseline, then with HiGHS as well (the full answer). Each is run ``--repeats`` times
after one warm-up; medians are printed with the people newly served, the method, the gap and
the ratio of the full answer's median to the greedy one's. Finally the stored run is asked for
again, as a repeated API call would (``stored_or_new``).

    .venv/bin/python bench/suggestions.py                                  # 1,000,000 points
    .venv/bin/python bench/suggestions.py --points 100000 --stops 2000 --routes 100 \\
        --backends spatialite
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, box
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import city_generator  # noqa: E402
from tests import databases  # noqa: E402
from tests.gtfs_feeds import SHARED_DATA, SPO_ZIP  # noqa: E402
from tests.reference_data import GTFS_ZIP, POPULATION_GRID, grid_extent  # noqa: E402
from transitreq import migrate  # noqa: E402
from transitreq.config import default_settings  # noqa: E402
from transitreq.db import make_engine, make_sessionmaker  # noqa: E402
from transitreq.geo.metric import BoundingBox  # noqa: E402
from transitreq.importers.gtfs import import_gtfs  # noqa: E402
from transitreq.importers.population import import_population  # noqa: E402
from transitreq.models import ServiceArea  # noqa: E402
from transitreq.services.analysis.suggestions import (  # noqa: E402
    SuggestionQuery,
    stored_or_new,
    suggest,
)

SETTINGS = default_settings().evaluation
HEXGRID = SHARED_DATA / "sao_paulo" / "spo_hexgrid.csv"
SAO_PAULO = (-46.83, -23.80, -46.36, -23.36)
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _prepare(backend: str, scale: city_generator.CityScale) -> str:
    RESULTS_DIR.mkdir(exist_ok=True)
    if backend == "spatialite":
        path = RESULTS_DIR / "suggestions.db"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        url = databases.create_postgis_database()
    engine = make_engine(url)
    migrate.upgrade(engine)
    session = make_sessionmaker(engine)()
    for name, bounds in (
        ("Helsinki", grid_extent()),
        ("São Paulo", SAO_PAULO),
        ("Bench city", city_generator.city_bounds()),
    ):
        session.add(ServiceArea(name=name, boundary=from_shape(MultiPolygon([box(*bounds)]), 4326)))
    session.commit()
    print(f"[{backend}] loading Helsinki and São Paulo …", flush=True)
    import_gtfs(session, GTFS_ZIP, "hsl")
    import_population(session, POPULATION_GRID, name="hsy-grid", population_field="population")
    import_gtfs(session, SPO_ZIP, "spo")
    import_population(session, HEXGRID, name="spo-hexgrid", population_field="population")
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


def _timed(session, query: SuggestionQuery, exact_too: bool, repeats: int):
    seconds, answer = [], None
    for attempt in range(repeats + 1):
        started = time.perf_counter()
        answer = suggest(session, query, SETTINGS, exact_too=exact_too)
        if attempt:
            seconds.append(time.perf_counter() - started)
        session.rollback()
    return statistics.median(seconds), answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="postgis")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    city_generator.add_scale_arguments(parser)
    args = parser.parse_args()
    scale = city_generator.scale_of(args)
    cities = {
        f"generated city ({args.points:,} points)": city_generator.city_bounds(),
        "São Paulo (hexgrid)": SAO_PAULO,
        "Helsinki (250 m grid)": grid_extent(),
    }
    for backend in args.backends.split(","):
        url = _prepare(backend, scale)
        engine = make_engine(url)
        session = make_sessionmaker(engine)()
        try:
            for name, bounds in cities.items():
                query = SuggestionQuery(count=args.count, box=BoundingBox(*bounds))
                greedy_s, greedy = _timed(session, query, False, args.repeats)
                full_s, full = _timed(session, query, True, args.repeats)
                stored_or_new(session, query, SETTINGS)
                started = time.perf_counter()
                _, reused = stored_or_new(session, query, SETTINGS)
                stored_ms = (time.perf_counter() - started) * 1000
                print(
                    f"[{backend}] {name}: K={args.count}, {full.candidate_count:,} candidates, "
                    f"{full.measure}\n"
                    f"    greedy only  median {greedy_s:6.2f} s  newly served "
                    f"{greedy.newly_served:10.1f}\n"
                    f"    full answer  median {full_s:6.2f} s  newly served "
                    f"{full.newly_served:10.1f}  method {full.method}, gap "
                    f"{full.gap * 100:.3f} %  (× {full_s / greedy_s:.2f} the greedy time)\n"
                    f"    stored run asked again: {stored_ms:.0f} ms (reused: {reused})",
                    flush=True,
                )
        finally:
            session.close()
            engine.dispose()
            if backend == "postgis":
                databases.drop_postgis_database(url)


if __name__ == "__main__":
    main()
