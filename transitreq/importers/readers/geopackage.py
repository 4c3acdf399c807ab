"""GeoPackage feature layers, read straight from the SQLite file.

A GeoPackage (OGC 12-128r18) is a SQLite database: ``gpkg_contents`` lists the layers,
``gpkg_geometry_columns`` names each layer's geometry column and SRS, ``gpkg_spatial_ref_sys``
defines the SRS, and each geometry is a small GeoPackage header followed by standard WKB.
Rows are numbered by the layer's feature id (``fid``), which desktop GIS shows in its attribute
table, so an operator can find the row a message names.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlean
from pyproj import CRS
from pyproj.exceptions import CRSError

from transitreq.errors import ImportFailed
from transitreq.importers.problems import problem
from transitreq.importers.readers import CHUNK_FEATURES, Layer, Record, geometries_from_wkb
from transitreq.importers.readers.crs import Reprojection, choose_crs

_MAGIC = b"GP"
_HEADER_BYTES = 8
# Flags bits 1-3: which envelope follows the header, and its size in bytes.
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
_EXTENDED_TYPE_FLAG = 0b0010_0000
# srs_id -1 and 0 are the "undefined Cartesian/geographic" systems every GeoPackage carries.
_UNDEFINED_SRS_IDS = (-1, 0)


@dataclass(frozen=True)
class _FeatureTable:
    name: str
    geometry_column: str
    srs_id: int


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


@contextmanager
def open_geopackage(
    path: Path, *, layer: str | None = None, source_crs: str | None = None
) -> Iterator[Layer]:
    """The chosen (or only) feature layer of a GeoPackage, opened read-only."""
    source = path.name
    connection = sqlean.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        _require_geopackage(connection, source)
        table = _feature_table(connection, source, layer)
        crs = _layer_crs(connection, source, table.srs_id, source_crs)
        fid, fields = _columns(connection, table)
        count_sql = f"SELECT count(*) FROM {_quoted(table.name)}"
        yield Layer(
            source=source,
            fields=fields,
            geometry_field=table.geometry_column,
            feature_count=connection.execute(count_sql).fetchone()[0],
            records=_records(connection, table, fid, fields, Reprojection(crs, source)),
        )
    except sqlean.DatabaseError as error:
        raise ImportFailed(source, problem("gpkg_unreadable", error=str(error))) from None
    finally:
        connection.close()


def _require_geopackage(connection, source: str) -> None:
    """Refuse a SQLite file that is not a GeoPackage (reading a non-SQLite file raises here)."""
    tables = {
        name
        for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    missing = {"gpkg_contents", "gpkg_geometry_columns", "gpkg_spatial_ref_sys"} - tables
    if missing:
        raise ImportFailed(source, problem("gpkg_lacks", tables=sorted(missing)))


def _feature_table(connection, source: str, layer: str | None) -> _FeatureTable:
    """The layer asked for, or the only feature layer; a choice is needed when there are more."""
    tables = [
        _FeatureTable(*row)
        for row in connection.execute(
            "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents AS c "
            "JOIN gpkg_geometry_columns AS g ON g.table_name = c.table_name "
            "WHERE c.data_type = 'features' ORDER BY c.table_name"
        )
    ]
    names = [table.name for table in tables]
    if layer is not None:
        chosen = [table for table in tables if table.name == layer]
        if not chosen:
            said = (
                problem("gpkg_no_layer", layer=layer, layers=names)
                if names
                else problem("gpkg_no_layer_none", layer=layer)
            )
            raise ImportFailed(source, said, field="layer")
        return chosen[0]
    if not tables:
        raise ImportFailed(source, problem("gpkg_no_feature_layer"))
    if len(tables) > 1:
        said = problem("gpkg_several_layers", layers=names)
        raise ImportFailed(source, said, field="layer")
    return tables[0]


def _layer_crs(connection, source: str, srs_id: int, source_crs: str | None) -> CRS:
    """The layer's CRS; for a layer whose SRS is "undefined", only the operator can name it."""
    if srs_id in _UNDEFINED_SRS_IDS:
        if source_crs is None:
            raise ImportFailed(source, problem("gpkg_srs_undefined"), field="crs")
        return choose_crs(None, source_crs, source)
    return choose_crs(_declared_crs(connection, source, srs_id), source_crs, source)


def _declared_crs(connection, source: str, srs_id: int) -> CRS:
    """The SRS ``srs_id`` of ``gpkg_spatial_ref_sys``: by EPSG code, else by its WKT."""
    row = connection.execute(
        "SELECT organization, organization_coordsys_id, definition "
        "FROM gpkg_spatial_ref_sys WHERE srs_id = ?",
        (srs_id,),
    ).fetchone()
    if row is None:
        raise ImportFailed(source, problem("gpkg_srs_missing", srs_id=srs_id))
    organization, code, definition = row
    try:
        if str(organization).upper() == "EPSG":
            return CRS.from_epsg(code)
        return CRS.from_wkt(definition)
    except CRSError:
        said = problem("unknown_crs_code", crs=f"{organization}:{code}")
        raise ImportFailed(source, said, field="crs") from None


def _columns(connection, table: _FeatureTable) -> tuple[str, tuple[str, ...]]:
    """The feature-id column and the attribute columns (neither id nor geometry)."""
    info = connection.execute(f"PRAGMA table_info({_quoted(table.name)})").fetchall()
    fid = next((row[1] for row in info if row[5] == 1), "rowid")
    fields = tuple(row[1] for row in info if row[1] not in (fid, table.geometry_column))
    return fid, fields


def _records(
    connection, table: _FeatureTable, fid: str, fields: tuple[str, ...], reprojection: Reprojection
) -> Iterator[Record]:
    columns = ", ".join(_quoted(name) for name in (fid, table.geometry_column, *fields))
    cursor = connection.execute(
        f"SELECT {columns} FROM {_quoted(table.name)} ORDER BY {_quoted(fid)}"
    )
    field = table.geometry_column
    while rows := cursor.fetchmany(CHUNK_FEATURES):
        row_numbers = [row[0] for row in rows]
        payloads = [wkb_of(row[1], reprojection.source, row[0], field) for row in rows]
        geometries = geometries_from_wkb(payloads, row_numbers, reprojection.source, field)
        geometries = reprojection.to_lon_lat(geometries, row_numbers, field, field)
        for row, geometry in zip(rows, geometries, strict=True):
            yield Record(row[0], geometry, dict(zip(fields, row[2:], strict=True)))


def wkb_of(blob: bytes | None, source: str, row: int, field: str) -> bytes | None:
    """The standard WKB inside a GeoPackage geometry blob (None for a NULL geometry).

    Header: "GP", version, flags (bit 0 byte order, bits 1-3 envelope, bit 4 empty, bit 5
    extended type), int32 srs_id, then the envelope. The srs_id repeats the layer's and is not
    needed; an empty geometry is still encoded in the WKB, which Shapely reads as empty.
    """
    if blob is None:
        return None
    if not isinstance(blob, bytes) or len(blob) < _HEADER_BYTES or blob[:2] != _MAGIC:
        raise ImportFailed(source, problem("gpkg_not_geometry"), row, field)
    flags = blob[3]
    if flags & _EXTENDED_TYPE_FLAG:
        raise ImportFailed(source, problem("gpkg_extended_geometry"), row, field)
    envelope_bytes = _ENVELOPE_BYTES.get((flags >> 1) & 0b111)
    if envelope_bytes is None:
        raise ImportFailed(source, problem("gpkg_bad_envelope"), row, field)
    return blob[_HEADER_BYTES + envelope_bytes :]
