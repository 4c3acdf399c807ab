"""Readers for population and boundary files: GeoPackage, GeoJSON, CSV, Shapefile, FlatGeobuf,
GeoParquet and GeoTIFF rasters.

Every reader gives the same thing, a :class:`Layer`: the names of the file's attribute columns and
its features as :class:`Record` tuples, each geometry already in WGS 84 longitude/latitude and
checked to lie within that range. A reader refuses what it cannot read (wrong format, unknown
CRS, broken geometry encoding) with :class:`~transitreq.errors.ImportFailed`; whether the content
suits a purpose (valid polygons, numeric counts) is for the importer to decide.

GDAL bundles its own SQLite, GEOS and PROJ, which clash in-process with SpatiaLite, so formats
that need it (Shapefile and FlatGeobuf through pyogrio, rasters through rasterio) are read in a
child process (``child_process.py``). A GeoPackage is a SQLite file, GeoJSON is JSON, a CSV is
text and GeoParquet is read by pyarrow, so those are read here with Shapely and pyproj.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from transitreq.errors import ImportFailed
from transitreq.importers.problems import problem

if TYPE_CHECKING:
    from transitreq.importers.report import ImportReport

# Features are decoded, reprojected and checked this many at a time (vectorised in Shapely).
CHUNK_FEATURES = 10_000

GEOPACKAGE_SUFFIXES = (".gpkg",)
GEOJSON_SUFFIXES = (".geojson", ".json")
CSV_SUFFIXES = (".csv",)
SHAPEFILE_SUFFIXES = (".shp", ".zip")
FLATGEOBUF_SUFFIXES = (".fgb",)
GEOPARQUET_SUFFIXES = (".parquet", ".geoparquet")
RASTER_SUFFIXES = (".tif", ".tiff")
# Files in which ``layer`` chooses something: a layer, a zipped Shapefile, a band.
_LAYER_SUFFIXES = (*GEOPACKAGE_SUFFIXES, ".zip", *RASTER_SUFFIXES)


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
    # How many features there are, for progress reports: approximate for CSV, cells for a
    # raster, -1 when a format cannot tell without reading them all.
    feature_count: int
    records: Iterator[Record]
    # Features the reader itself left out (a raster's empty cells), counted as records are read.
    skipped: int = 0


def open_layer(
    path: Path,
    *,
    report: ImportReport,
    layer: str | None = None,
    lon_field: str = "lon",
    lat_field: str = "lat",
    source_crs: str | None = None,
) -> AbstractContextManager[Layer]:
    """Open ``path`` with the reader its extension names; use it as a context manager.

    ``layer`` is a GeoPackage's layer, a zip's Shapefile or a raster's band number. Readers
    that leave features out themselves (a raster's empty cells) say so in ``report``.
    """
    from transitreq.importers.readers.csv_table import open_csv
    from transitreq.importers.readers.geojson import open_geojson
    from transitreq.importers.readers.geopackage import open_geopackage
    from transitreq.importers.readers.geoparquet import open_geoparquet
    from transitreq.importers.readers.ogr_vector import open_ogr_vector
    from transitreq.importers.readers.raster import open_raster

    require_file(path)
    suffix = path.suffix.lower()
    if layer is not None and suffix not in _LAYER_SUFFIXES:
        raise ImportFailed(path.name, problem("layer_not_choosable"), field="layer")
    if suffix in GEOPACKAGE_SUFFIXES:
        return open_geopackage(path, layer=layer, source_crs=source_crs)
    if suffix in GEOJSON_SUFFIXES:
        return open_geojson(path, source_crs=source_crs)
    if suffix in CSV_SUFFIXES:
        return open_csv(path, lon_field=lon_field, lat_field=lat_field, source_crs=source_crs)
    if suffix in SHAPEFILE_SUFFIXES + FLATGEOBUF_SUFFIXES:
        return open_ogr_vector(path, layer=layer, source_crs=source_crs)
    if suffix in GEOPARQUET_SUFFIXES:
        return open_geoparquet(path, source_crs=source_crs)
    if suffix in RASTER_SUFFIXES:
        return open_raster(path, report=report, band=layer, source_crs=source_crs)
    said = problem("unsupported_type", suffix=path.suffix) if path.suffix else problem("no_suffix")
    raise ImportFailed(path.name, said)


def require_file(path: Path) -> None:
    if not path.is_file():
        raise ImportFailed(path.name, problem("no_such_file", path=str(path)))


def geometries_from_wkb(
    payloads: Sequence[bytes | None], rows: Sequence[int], source: str, field: str
) -> np.ndarray:
    """Shapely geometries of WKB payloads (None stays None); refuses the first unreadable one."""
    geometries = shapely.from_wkb(payloads, on_invalid="ignore")
    for row, payload, geometry in zip(rows, payloads, geometries, strict=True):
        if payload is not None and geometry is None:
            raise ImportFailed(source, problem("unreadable_wkb"), row, field)
    return geometries
