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
from geoalchemy2.shape import to_shape
from pyproj import Transformer
from shapely.geometry import Point, Polygon
from sqlalchemy import func, select

from transitreq.models import (
    PopulationDataset,
    PopulationUnit,
)

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


def _feed_rows(name: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(GTFS_ZIP) as feed, feed.open(name) as raw:
        return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig")))


def _station_kind(route_type: int) -> str | None:
    """Metro and rail by the GTFS reference's basic and extended codes; None for the rest."""
    if route_type == 1 or 400 <= route_type <= 404:
        return "metro"
    if route_type == 2 or 100 <= route_type <= 199:
        return "rail"
    return None


def station_kinds() -> dict[str, set[str]]:
    """Stop id → "metro"/"rail" for every stop a metro or rail trip calls at, from the files."""
    kind_of_route = {
        row["route_id"]: _station_kind(int(row["route_type"])) for row in _feed_rows("routes.txt")
    }
    kind_of_trip = {
        row["trip_id"]: kind_of_route[row["route_id"]] for row in _feed_rows("trips.txt")
    }
    kinds: dict[str, set[str]] = {}
    for row in _feed_rows("stop_times.txt"):
        kind = kind_of_trip.get(row["trip_id"])
        if kind:
            kinds.setdefault(row["stop_id"], set()).add(kind)
    return kinds


def grid_extent() -> tuple[float, float, float, float]:
    return tuple(shapely.total_bounds([unit.geometry for unit in read_units(POPULATION_GRID)]))


TO_ETRS_TM35FIN = Transformer.from_crs("EPSG:4326", "EPSG:3067", always_xy=True)


def spatialite_read(path: Path, sql: str) -> list[tuple]:
    """Rows of ``sql`` over a GeoPackage, with SpatiaLite loaded for ``GeomFromGPB``."""
    connection = sqlean.connect(f"file:{path}?mode=ro", uri=True)
    connection.enable_load_extension(True)
    connection.load_extension("mod_spatialite")
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def source_features(path: Path) -> list[tuple[float, shapely.Geometry]]:
    rows = spatialite_read(
        path, f"SELECT population, AsBinary(GeomFromGPB(geom)) FROM {path.stem} ORDER BY fid"
    )
    return [(float(population), shapely.from_wkb(wkb)) for population, wkb in rows]


def to_etrs_tm35fin(geometry):
    return shapely.transform(
        geometry, lambda xy: np.column_stack(TO_ETRS_TM35FIN.transform(xy[:, 0], xy[:, 1]))
    )


def helsinki_cells(count: int) -> list[tuple[float, Polygon]]:
    return source_features(POPULATION_GRID)[:count]


def dataset_named(session, name: str) -> PopulationDataset:
    session.expire_all()
    return session.scalars(select(PopulationDataset).where(PopulationDataset.name == name)).one()


def stored_units(session, name: str) -> list[PopulationUnit]:
    dataset = dataset_named(session, name)
    return list(
        session.scalars(
            select(PopulationUnit)
            .where(PopulationUnit.dataset_id == dataset.id)
            .order_by(PopulationUnit.id)
        )
    )


def nearest_unit(units: list[PopulationUnit], geometry) -> tuple[PopulationUnit, shapely.Geometry]:
    """The stored unit whose centroid is nearest to ``geometry``'s, with its Shapely shape."""
    shapes = [to_shape(unit.geom) for unit in units]
    index = min(range(len(shapes)), key=lambda i: shapes[i].centroid.distance(geometry.centroid))
    return units[index], shapes[index]


def database_state(session) -> tuple:
    """Every dataset row with its unit count and stored head count: proof nothing half-wrote."""
    session.expire_all()
    datasets = [
        (
            dataset.id,
            dataset.name,
            dataset.source,
            dataset.geometry_kind,
            dataset.unit_count,
            dataset.total_population,
            dataset.imported_at,
        )
        for dataset in session.scalars(select(PopulationDataset).order_by(PopulationDataset.id))
    ]
    units = session.execute(
        select(PopulationUnit.dataset_id, func.count(), func.sum(PopulationUnit.population))
        .group_by(PopulationUnit.dataset_id)
        .order_by(PopulationUnit.dataset_id)
    ).all()
    return datasets, [tuple(row) for row in units]
