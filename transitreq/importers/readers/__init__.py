"""Readers for population and boundary files: GeoPackage, GeoJSON and CSV.

Every reader gives the same thing, a :class:`Layer`: the names of the file's attribute columns and
its features as :class:`Record` tuples, each geometry already in WGS 84 longitude/latitude and
checked to lie within that range. A reader refuses what it cannot read (wrong format, unknown
CRS, broken geometry encoding) with :class:`~transitreq.errors.ImportFailed`; whether the content
suits a purpose (valid polygons, numeric counts) is for the importer to decide.

GDAL/Fiona are deliberately not used: they bundle their own SQLite, GEOS and PROJ, which would
clash in-process with SpatiaLite. A GeoPackage is a SQLite file, GeoJSON is JSON and a CSV is
text, so the standard library, Shapely and pyproj suffice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from shapely.geometry.base import BaseGeometry

from transitreq.errors import ImportFailed

# Features are decoded, reprojected and checked this many at a time (vectorised in Shapely).
CHUNK_FEATURES = 10_000

GEOPACKAGE_SUFFIXES = (".gpkg",)
GEOJSON_SUFFIXES = (".geojson", ".json")
CSV_SUFFIXES = (".csv",)


class Record(NamedTuple):
    """One feature: where it is in the file, its lon/lat geometry (None if absent), its values."""

    row: int
    geometry: BaseGeometry | None
    properties: dict[str, Any]


@dataclass
class Layer:
    """What a reader found: attribute column names and the features, read lazily in file order."""

    source: str
    fields: tuple[str, ...]
    # The column (or columns) that held the geometry, as error messages should name it.
    geometry_field: str
    # How many features there are, for progress reports (approximate for CSV).
    feature_count: int
    records: Iterator[Record]


def open_layer(
    path: Path,
    *,
    layer: str | None = None,
    lon_field: str = "lon",
    lat_field: str = "lat",
    source_crs: str | None = None,
) -> AbstractContextManager[Layer]:
    """Open ``path`` with the reader its extension names; use it as a context manager."""
    from transitreq.importers.readers.csv_table import open_csv
    from transitreq.importers.readers.geojson import open_geojson
    from transitreq.importers.readers.geopackage import open_geopackage

    require_file(path)
    suffix = path.suffix.lower()
    if layer is not None and suffix not in GEOPACKAGE_SUFFIXES:
        raise ImportFailed(path.name, "a layer can be chosen only in a GeoPackage", field="layer")
    if suffix in GEOPACKAGE_SUFFIXES:
        return open_geopackage(path, layer=layer, source_crs=source_crs)
    if suffix in GEOJSON_SUFFIXES:
        return open_geojson(path, source_crs=source_crs)
    if suffix in CSV_SUFFIXES:
        return open_csv(path, lon_field=lon_field, lat_field=lat_field, source_crs=source_crs)
    raise ImportFailed(
        path.name,
        f"unsupported file type {path.suffix or '(none)'!r}; "
        "expected .gpkg (GeoPackage), .geojson/.json (GeoJSON) or .csv",
    )


def require_file(path: Path) -> None:
    if not path.is_file():
        raise ImportFailed(path.name, f"no such file: {path}")
