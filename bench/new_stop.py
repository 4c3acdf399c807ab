"""Benchmark: the stored coverage taking in one new stop (a stop project going into service).

Loads what ``bench/evaluate_sites.py`` loads (the Helsinki grid and HSL feed, and the generated
city of ``--points`` population points), stores the coverage, then for ``--sites`` random sites
in the generated city (seeded) adds a bus stop there and times, each in a transaction rolled
back afterwards:

- **taken in**: ``take_in_new_stop``, what ``enter_service`` runs: only the units the stop can
  change are read and written;
- **whole refresh** (the baseline, on the first ``--whole`` sites): ``refresh_coverage`` of
  every dataset, what going into service cost before.

    .venv/bin/python bench/new_stop.py                      # 1,000,000 points, both backends
    .venv/bin/python bench/new_stop.py --points 100000 --stops 2000 --routes 100
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from geoalchemy2.shape import from_shape

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import city_generator  # noqa: E402
from bench.evaluate_sites import _prepare, _random_sites  # noqa: E402
from tests import databases  # noqa: E402
from transitreq.db import make_engine, make_sessionmaker  # noqa: E402
from transitreq.models import Stop, StopMode  # noqa: E402
from transitreq.services.analysis.coverage import (  # noqa: E402
    refresh_coverage,
    take_in_new_stop,
    up_to_date_datasets,
)


def _timed_addition(session, site, number: int, whole: bool) -> tuple[float, list[str]]:
    """Seconds to bring the stores up to date after a bus stop at ``site``; rolled back."""
    try:
        up_to_date = up_to_date_datasets(session)
        stop = Stop(
            feed="bench",
            gtfs_stop_id=f"new-{number}",
            name="New stop",
            location=from_shape(site, srid=4326),
            modes=[StopMode(mode="bus")],
        )
        session.add(stop)
        session.flush()
        started = time.perf_counter()
        refreshed = (
            refresh_coverage(session) if whole else take_in_new_stop(session, stop.id, up_to_date)
        )
        return time.perf_counter() - started, refreshed
    finally:
        session.rollback()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="postgis,spatialite")
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--whole", type=int, default=3)
    city_generator.add_scale_arguments(parser)
    args = parser.parse_args()
    scale = city_generator.scale_of(args)
    rows = []
    for backend in args.backends.split(","):
        url, _ = _prepare(backend, scale)
        engine = make_engine(url)
        session = make_sessionmaker(engine)()
        sites = _random_sites(city_generator.city_bounds(), args.sites, args.seed)
        taken_in, whole = [], []
        for number, site in enumerate(sites):
            seconds, refreshed = _timed_addition(session, site, number, whole=False)
            assert refreshed == [], f"refreshed whole: {refreshed}"
            taken_in.append(seconds)
        for number, site in enumerate(sites[: args.whole]):
            whole.append(_timed_addition(session, site, number, whole=True)[0])
        session.close()
        engine.dispose()
        if backend == "postgis":
            databases.drop_postgis_database(url)
        rows.append((backend, taken_in, whole))
        print(
            f"[{backend}] taken in: median {statistics.median(taken_in) * 1000:.0f} ms; "
            f"whole refresh: median {statistics.median(whole):.1f} s",
            flush=True,
        )
    print()
    print(
        f"| backend | new stop taken in, median of {args.sites} (max) "
        f"| whole refresh, median of {args.whole} | ratio |"
    )
    print("|---|---:|---:|---:|")
    for backend, taken_in, whole in rows:
        median = statistics.median(taken_in)
        print(
            f"| {backend} | {median * 1000:.0f} ms ({max(taken_in) * 1000:.0f} ms) "
            f"| {statistics.median(whole):.1f} s | {statistics.median(whole) / median:.0f}× |"
        )


if __name__ == "__main__":
    main()
