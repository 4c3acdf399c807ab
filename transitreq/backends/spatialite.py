"""SQLite + SpatiaLite, the embedded default.

Python's own ``sqlite3`` on our machines is compiled without extension loading, so it cannot
load SpatiaLite; ``sqlean.py`` bundles a SQLite build that can, behind the same DB-API.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import pyproj
import pyproj.enums
import sqlean
from geoalchemy2 import Geometry
from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    String,
    Table,
    and_,
    cast,
    column,
    create_engine,
    event,
    func,
    select,
    table,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from transitreq.backends.base import WGS84_SRID, Backend, SqlGeometry
from transitreq.geo.metric import BoundingBox
from transitreq.geo.metric_crs import UTM_SRIDS

SPATIALITE_MODULE = "mod_spatialite"

# A site is measured in its own UTM zone. InitSpatialMetaData's WGS 84 mode registers all of
# them (``UTM_SRIDS``) but the last, 32760 (zone 60 south: Auckland, Wellington, Fiji), so the
# preparer adds whatever it left out.
# A box holding more than this share of a table's points is read by scanning coordinates
# (``points_in_box``), not through the R*Tree.
_SCAN_ABOVE_SHARE = 0.4

# SpatiaLite never consults its R*Tree implicitly: a query asks this virtual table for row ids.
_spatial_index = table(
    "SpatialIndex",
    column("rowid", Integer),
    column("f_table_name", String),
    column("f_geometry_column", String),
    column("search_frame", Geometry),
)


def _preparer(extra_srids: tuple[int, ...]):
    """A connect hook that loads SpatiaLite and makes sure its reference tables are ready.

    ``InitSpatialMetaData`` runs once per database file, in WGS84 mode: it registers SRID 4326
    and the UTM zones our metric calculations project into, without the slow full EPSG import;
    a zone it misses, and a configured metric CRS outside that set, are added from PROJ.
    """

    def prepare(dbapi_connection, _record) -> None:
        dbapi_connection.enable_load_extension(True)
        dbapi_connection.load_extension(SPATIALITE_MODULE)
        dbapi_connection.enable_load_extension(False)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        # Web requests and CLI imports may touch the file at once: wait rather than fail.
        cursor.execute("PRAGMA busy_timeout = 10000")
        if cursor.execute("SELECT CheckSpatialMetaData()").fetchone()[0] < 1:
            cursor.execute("SELECT InitSpatialMetaData(1, 'WGS84')")
        known = {row[0] for row in cursor.execute("SELECT srid FROM spatial_ref_sys")}
        missing = sorted(set(UTM_SRIDS + extra_srids) - known)
        for srid in missing:
            _insert_from_proj(cursor, srid)
        cursor.close()
        if missing:
            # The INSERTs opened a transaction (InsertEpsgSrid, a SELECT, did not): commit it,
            # or the pool's first rollback would take the rows away from this connection.
            dbapi_connection.commit()

    return prepare


def _insert_from_proj(cursor, srid: int) -> None:
    """Register an EPSG code from PROJ's database, which ``ST_Transform`` uses anyway.

    Not through SpatiaLite's ``InsertEpsgSrid``: its own table lacks some codes (zone 60 south
    is missing from it in SpatiaLite 5.0).
    """
    crs = pyproj.CRS.from_epsg(srid)
    with warnings.catch_warnings():
        # PROJ strings cannot say everything WKT does; srtext below holds the full definition.
        warnings.simplefilter("ignore", UserWarning)
        proj4 = crs.to_proj4()
    cursor.execute(
        # Another connection opening the file at the same moment may have added it first.
        "INSERT OR IGNORE INTO spatial_ref_sys"
        " (srid, auth_name, auth_srid, ref_sys_name, proj4text, srtext)"
        " VALUES (?, 'epsg', ?, ?, ?, ?)",
        (srid, srid, crs.name, proj4, crs.to_wkt(pyproj.enums.WktVersion.WKT1_GDAL)),
    )


class SpatiaLite(Backend):
    dialect_name = "sqlite"

    def create_engine(self, url: str, extra_srids: tuple[int, ...]) -> Engine:
        engine = create_engine(url, module=sqlean.dbapi2)
        event.listen(engine, "connect", _preparer(tuple(srid for srid in extra_srids if srid)))
        return engine

    def upsert(self, table: Table) -> sqlite.Insert:
        # SQLite 3.35+ writes INSERT … ON CONFLICT … DO UPDATE … RETURNING as PostgreSQL does.
        return sqlite.insert(table)

    def copy_rows(
        self, connection: Connection, table: str, columns: Sequence[str], rows: Iterable[tuple]
    ) -> None:
        # In-process: one prepared INSERT run for every row is as fast as SQLite goes.
        marks = ", ".join("?" for _ in columns)
        connection.exec_driver_sql(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", list(rows)
        )

    def in_box(
        self, geometry_column: InstrumentedAttribute[Any], box: BoundingBox
    ) -> ColumnElement[bool]:
        mapped_table = geometry_column.table
        row_ids = select(_spatial_index.c.rowid).where(
            _spatial_index.c.f_table_name == mapped_table.name,
            _spatial_index.c.f_geometry_column == geometry_column.name,
            _spatial_index.c.search_frame == self.envelope(box),
        )
        primary_key = next(iter(mapped_table.primary_key.columns))
        return primary_key.in_(row_ids)

    def points_in_box(
        self, point_column: InstrumentedAttribute[Any], box: BoundingBox, share: float
    ) -> ColumnElement[bool]:
        # SQLite asks the R*Tree whenever told to, and it hands back row ids one by one: for a
        # box holding most of 50,000 points that takes several times a scan of the coordinates.
        if share < _SCAN_ABOVE_SHARE:
            return self.in_box(point_column, box)
        lon, lat = func.ST_X(point_column), func.ST_Y(point_column)
        return and_(lon.between(box.min_lon, box.max_lon), lat.between(box.min_lat, box.max_lat))

    def envelope(self, box: BoundingBox) -> SqlGeometry:
        return func.BuildMbr(box.min_lon, box.min_lat, box.max_lon, box.max_lat, WGS84_SRID)

    def is_true(self, predicate: ColumnElement[Any]) -> ColumnElement[bool]:
        # SpatiaLite answers 1, 0 or -1 (error).
        return predicate == 1

    def line_locate_point(self, line: SqlGeometry, point: SqlGeometry) -> ColumnElement[float]:
        return func.ST_Line_Locate_Point(line, point)

    def clipped_to_box(self, geometry: SqlGeometry, box: BoundingBox) -> SqlGeometry:
        return func.ST_Intersection(geometry, self.envelope(box))

    def bounds(self, geometry: SqlGeometry) -> tuple[ColumnElement[float], ...]:
        return tuple(
            accessor(geometry)
            for accessor in (func.MbrMinX, func.MbrMinY, func.MbrMaxX, func.MbrMaxY)
        )

    def geodesic_distance_m(self, geometry: SqlGeometry, other: SqlGeometry) -> ColumnElement:
        # The three-argument ST_Distance with use_ellipsoid = 1 is the same geodesic computation
        # as PostGIS's geography: the two agree to the millimetre.
        return func.ST_Distance(geometry, other, 1)

    def starts_with(
        self, text_column: InstrumentedAttribute[str], prefix: str
    ) -> ColumnElement[bool]:
        # SQLite uses an index for LIKE only when the column folds case (NOCASE), which would
        # fold what we already folded; a range of the column's binary (code point) order is
        # answered by the plain index. No character sorts after U+10FFFF.
        return (text_column >= prefix) & (text_column < prefix + "\U0010ffff")

    def contains_text(
        self, text_column: InstrumentedAttribute[str], escaped: str
    ) -> ColumnElement[bool]:
        # SQLite's LIKE already ignores ASCII case, and its lower() folds nothing else, so the
        # lower(…) LIKE lower(…) that ILIKE becomes here would only cost a call per row.
        return text_column.like(f"%{escaped}%", escape="\\")

    def floor_to_int(self, value: ColumnElement[float]) -> ColumnElement[int]:
        # SQLite truncates towards zero when casting, which is floor for non-negative values.
        return cast(value, Integer)
