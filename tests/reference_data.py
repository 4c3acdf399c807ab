"""The shared Helsinki reference data, read independently of transitreq's own importers.

Tests compute expected answers from these readings with Shapely and pyproj, so a bug in an
importer or a query cannot agree with itself.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
import sqlean
from pyproj import Transformer
from shapely.geometry import Point

DATA_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "helsinki"
GTFS_ZIP = DATA_DIR / "GTFS.zip"
POPULATION_GRID = DATA_DIR / "population_grid_2020.gpkg"
POPULATION_POINTS = DATA_DIR / "population_points_2020.gpkg"
# Helsinki lies in UTM zone 35N.
UTM_35N = 32635
_to_utm = Transformer.from_crs("EPSG:4326", f"EPSG:{UTM_35N}", always_xy=True)


def to_utm(geometry):
    return shapely.transform(
        geometry, lambda xy: np.column_stack(_to_utm.transform(xy[:, 0], xy[:, 1]))
    )


@dataclass(frozen=True)
class Unit:
    geometry: shapely.Geometry  # WGS 84
    population: float


def _gpkg_geometry(blob: bytes) -> shapely.Geometry:
    """GeoPackage binary: 'GP', version, flags, srs_id, optional envelope, then WKB."""
    flags = blob[3]
    envelope_bytes = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(flags >> 1) & 0b111]
    return shapely.from_wkb(blob[8 + envelope_bytes :])


def read_units(path: Path) -> list[Unit]:
    layer = path.stem
    connection = sqlean.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = connection.execute(f'SELECT geom, population FROM "{layer}"').fetchall()
    finally:
        connection.close()
    return [Unit(_gpkg_geometry(blob), float(population)) for blob, population in rows]


@dataclass(frozen=True)
class ReferenceStop:
    stop_id: str
    name: str
    point: Point  # WGS 84


def read_stops() -> list[ReferenceStop]:
    with zipfile.ZipFile(GTFS_ZIP) as feed, feed.open("stops.txt") as raw:
        reader = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig"))
        return [
            ReferenceStop(
                row["stop_id"],
                row["stop_name"],
                Point(float(row["stop_lon"]), float(row["stop_lat"])),
            )
            for row in reader
            if row.get("location_type", "") in ("", "0")
        ]


def grid_extent() -> tuple[float, float, float, float]:
    return tuple(shapely.total_bounds([unit.geometry for unit in read_units(POPULATION_GRID)]))
