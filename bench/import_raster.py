"""Benchmark: importing a 1,000 × 1,000 population raster (a million populated cells) on both
backends, with the time of each stage and the peak memory of the importing process.

Every cell holds people, the worst case: each becomes a polygon unit. The raster (WorldPop's
3-arc-second grid over Helsinki, float32, seeded values) is written by a process of its own,
as GDAL must not share a process with SpatiaLite.

    .venv/bin/python bench/import_raster.py               # ~5 minutes
    .venv/bin/python bench/import_raster.py --size 500
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import databases  # noqa: E402
from tests.population_files import FileWriter, write_geotiff  # noqa: E402
from transitreq import migrate  # noqa: E402
from transitreq.db import make_engine, make_sessionmaker  # noqa: E402
from transitreq.importers.population import import_population  # noqa: E402

ARC_SECONDS_3 = 1 / 1200


def _write_raster(path: Path, size: int) -> float:
    values = np.random.default_rng(7).uniform(0.5, 40.0, (size, size)).astype(np.float32)
    transform = (ARC_SECONDS_3, 0.0, 24.5, 0.0, -ARC_SECONDS_3, 60.4)
    writer = FileWriter()
    try:
        writer(write_geotiff, path, [values.tolist()], transform, "EPSG:4326", -99999.0)
    finally:
        writer.close()
    return float(values.astype(np.float64).sum())


def _import(url: str, raster: Path) -> dict[str, float]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    session = make_sessionmaker(engine)()
    stages: dict[str, float] = {}
    started = time.perf_counter()

    def progress(stage: str, _done: int, _total: int) -> None:
        stages[stage] = time.perf_counter() - started

    summary = import_population(session, raster, name="raster", progress=progress)
    total_s = time.perf_counter() - started
    session.close()
    engine.dispose()
    return {
        "units": summary.units,
        "people": summary.total_population,
        "reading and checking (s)": stages["validating"],
        "writing (s)": total_s - stages["validating"],
        "total (s)": total_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000, help="Cells per side.")
    size = parser.parse_args().size
    with tempfile.TemporaryDirectory() as directory:
        raster = Path(directory) / "people.tif"
        expected = _write_raster(raster, size)
        postgis_url = databases.create_postgis_database()
        try:
            for backend, url in (
                ("spatialite", databases.spatialite_database(Path(directory))),
                ("postgis", postgis_url),
            ):
                result = _import(url, raster)
                assert abs(result["people"] - expected) <= 1e-6 * expected, result
                shown = ", ".join(f"{key} {value:,.1f}" for key, value in result.items())
                print(f"{backend}: {size} × {size} cells: {shown}", flush=True)
        finally:
            databases.drop_postgis_database(postgis_url)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the importing process: {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    main()
