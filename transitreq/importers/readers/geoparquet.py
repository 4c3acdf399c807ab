"""GeoParquet (1.0 and 1.1): Parquet tables whose ``geo`` metadata names a WKB geometry column.

Read with pyarrow in our own process: pyarrow bundles no GEOS, PROJ or SQLite, and reading a
file with a SpatiaLite connection open was tried and works, unlike GDAL (``child_process.py``).
GDAL's Parquet driver is not in the pyogrio wheel anyway. The file is read one batch of rows at
a time. Per the specification, a geometry column with no ``crs`` key is OGC:CRS84 (WGS 84
lon/lat) and one with ``"crs": null`` has an undefined CRS, which the operator must name. Only
WKB encoding is read (GeoArrow-native columns are refused by name). Rows are numbered from 1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow
import pyarrow.parquet as parquet
from pyproj import CRS
from pyproj.exceptions import CRSError

from transitreq.errors import ImportFailed
from transitreq.importers.problems import problem
from transitreq.importers.readers import CHUNK_FEATURES, Layer, Record, geometries_from_wkb
from transitreq.importers.readers.crs import Reprojection, choose_crs, declared_or_given

_DEFAULT_CRS = "OGC:CRS84"


@contextmanager
def open_geoparquet(path: Path, *, source_crs: str | None = None) -> Iterator[Layer]:
    """The rows of a GeoParquet file, its primary geometry column as the geometry."""
    source = path.name
    try:
        table = parquet.ParquetFile(path)
    except (pyarrow.ArrowException, OSError) as error:
        raise ImportFailed(source, problem("parquet_unreadable", error=str(error))) from None
    with table:
        geo = _geo_metadata(table.schema_arrow.metadata or {}, source)
        geometry_field = geo["primary_column"]
        column = geo["columns"].get(geometry_field) or {}
        if str(column.get("encoding", "")).upper() != "WKB":
            said = problem("parquet_not_wkb", encoding=str(column.get("encoding")))
            raise ImportFailed(source, said, field=geometry_field)
        crs = _column_crs(column, source_crs, source)
        fields = tuple(name for name in table.schema_arrow.names if name not in geo["columns"])
        yield Layer(
            source=source,
            fields=fields,
            geometry_field=geometry_field,
            feature_count=table.metadata.num_rows,
            records=_records(table, geometry_field, fields, Reprojection(crs, source)),
        )


def _geo_metadata(metadata: dict[bytes, bytes], source: str) -> dict[str, Any]:
    if b"geo" not in metadata:
        raise ImportFailed(source, problem("parquet_no_geo"))
    try:
        geo = json.loads(metadata[b"geo"])
        if geo["primary_column"] not in geo["columns"]:
            raise KeyError(geo["primary_column"])
    except (ValueError, KeyError, TypeError) as error:
        said = problem("parquet_bad_geo", error=repr(error))
        raise ImportFailed(source, said) from None
    return geo


def _column_crs(column: dict[str, Any], given: str | None, source: str) -> CRS:
    """The geometry column's CRS: PROJJSON (or any text pyproj reads), CRS84 when absent."""
    if "crs" not in column:
        return choose_crs(CRS.from_user_input(_DEFAULT_CRS), given, source)
    declared = column["crs"]
    if declared is None:
        return declared_or_given(None, given, source)
    try:
        crs = CRS.from_json_dict(declared) if isinstance(declared, dict) else CRS(declared)
    except CRSError:
        said = problem("unknown_crs", crs=repr(declared))
        raise ImportFailed(source, said, field="crs") from None
    return choose_crs(crs, given, source)


def _records(
    table: parquet.ParquetFile,
    geometry_field: str,
    fields: tuple[str, ...],
    reprojection: Reprojection,
) -> Iterator[Record]:
    first_row = 1
    for batch in table.iter_batches(batch_size=CHUNK_FEATURES, columns=[geometry_field, *fields]):
        rows = range(first_row, first_row + batch.num_rows)
        payloads = batch.column(geometry_field).to_pylist()
        geometries = geometries_from_wkb(payloads, rows, reprojection.source, geometry_field)
        geometries = reprojection.to_lon_lat(geometries, rows, geometry_field, geometry_field)
        columns = [batch.column(name).to_pylist() for name in fields]
        for index, (row, geometry) in enumerate(zip(rows, geometries, strict=True)):
            yield Record(row, geometry, {name: columns[i][index] for i, name in enumerate(fields)})
        first_row += batch.num_rows
