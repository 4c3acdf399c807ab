"""SpatiaLite, Shapely and pyproj each bring a GEOS and a PROJ; one process must survive all three.

SQLite loads mod_spatialite into the global symbol scope, so a wheel imported afterwards could
bind to the system's libraries and corrupt memory (seen as a crash at exit). This runs the
risky order in a fresh interpreter: open SpatiaLite first, then do Shapely and pyproj work.
GDAL's wheels (pyogrio, rasterio) crash outright in that order, so the importers read their
formats in a child process; the second test imports those formats after SpatiaLite is open.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import shapely
from shapely.geometry import box

from tests.population_files import FileWriter, write_geotiff, write_vector, zip_shapefile

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_spatialite_first_then_shapely_and_pyproj_work_and_exit_cleanly(tmp_path):
    script = textwrap.dedent(
        f"""
        from transitreq.db import make_engine, make_sessionmaker
        from transitreq import migrate
        engine = make_engine("sqlite:///{tmp_path / "order.db"}")
        migrate.upgrade(engine)
        from transitreq.importers.demo_city import seed_demo_city
        session = make_sessionmaker(engine)()
        print(seed_demo_city(session)["stops"])
        session.close()
        engine.dispose()
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.strip()) > 50


def test_spatialite_first_then_rasters_and_shapefiles_import_and_exit_cleanly(tmp_path):
    """The issue's crash: with a SpatiaLite connection open, rasterio opening a GeoTIFF (or
    pyogrio reading a GeoPackage) killed the process with SIGSEGV."""
    writer = FileWriter()
    try:
        raster = writer(
            write_geotiff,
            tmp_path / "people.tif",
            [[[1.0, 2.0], [3.0, 4.0]]],
            (100.0, 0.0, -500_000.0, 0.0, -100.0, 6_000_000.0),
            "ESRI:54009",
            None,
        )
        cells = [
            (shapely.to_wkb(box(24.9 + i / 100, 60.1, 24.905 + i / 100, 60.105)), {})
            for i in range(3)
        ]
        rows = [(wkb, {"population": float(i + 1)}) for i, (wkb, _) in enumerate(cells)]
        shapefile = writer(
            write_vector,
            tmp_path / "cells.shp",
            rows,
            {"population": "float64"},
            "EPSG:4326",
            "Polygon",
        )
        archive = writer(zip_shapefile, shapefile, tmp_path / "cells.zip")
    finally:
        writer.close()
    script = textwrap.dedent(
        f"""
        from transitreq import migrate
        from transitreq.db import make_engine, make_sessionmaker
        from transitreq.importers.population import import_population
        engine = make_engine("sqlite:///{tmp_path / "order.db"}")
        migrate.upgrade(engine)
        session = make_sessionmaker(engine)()
        for path in ("{raster}", "{archive}"):
            summary = import_population(session, path, name=path)
            print(summary.units, summary.total_population)
        session.close()
        engine.dispose()
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["4", "10.0", "3", "6.0"]
