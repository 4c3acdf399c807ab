"""PostgreSQL + PostGIS, the production database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import Connection, Engine, Integer, Table, cast, create_engine, func
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from transitreq.backends.base import WGS84_SRID, Backend, SqlGeometry
from transitreq.geo.metric import BoundingBox


class PostGIS(Backend):
    dialect_name = "postgresql"

    def create_engine(self, url: str, extra_srids: tuple[int, ...]) -> Engine:
        # Parallel workers start as fresh processes without PostGIS's PROJ and geometry caches,
        # so a transform-heavy query pays ~20 ms of set-up per worker: far more than parallelism
        # saves on the short, index-driven queries a web request makes. Every connection is
        # checked before use, so one the server dropped is replaced, not handed to a request.
        return create_engine(
            url,
            pool_pre_ping=True,
            connect_args={"options": "-c max_parallel_workers_per_gather=0"},
        )

    def upsert(self, table: Table) -> postgresql.Insert:
        return postgresql.insert(table)

    def copy_rows(
        self, connection: Connection, table: str, columns: Sequence[str], rows: Iterable[tuple]
    ) -> None:
        # COPY: one stream instead of a statement per row (about 30× faster for a million).
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def in_box(
        self, geometry_column: InstrumentedAttribute[Any], box: BoundingBox
    ) -> ColumnElement[bool]:
        # The GiST index answers && by itself.
        return geometry_column.op("&&")(self.envelope(box))

    def envelope(self, box: BoundingBox) -> SqlGeometry:
        return func.ST_MakeEnvelope(box.min_lon, box.min_lat, box.max_lon, box.max_lat, WGS84_SRID)

    def is_true(self, predicate: ColumnElement[Any]) -> ColumnElement[bool]:
        return predicate

    def line_locate_point(self, line: SqlGeometry, point: SqlGeometry) -> ColumnElement[float]:
        return func.ST_LineLocatePoint(line, point)

    def clipped_to_box(self, geometry: SqlGeometry, box: BoundingBox) -> SqlGeometry:
        return func.ST_ClipByBox2D(geometry, self.envelope(box))

    def bounds(self, geometry: SqlGeometry) -> tuple[ColumnElement[float], ...]:
        return tuple(
            accessor(geometry)
            for accessor in (func.ST_XMin, func.ST_YMin, func.ST_XMax, func.ST_YMax)
        )

    def geodesic_distance_m(self, geometry: SqlGeometry, other: SqlGeometry) -> ColumnElement:
        # Geography is measured on the spheroid.
        return func.ST_Distance(cast(geometry, Geography), cast(other, Geography))

    def starts_with(
        self, text_column: InstrumentedAttribute[str], prefix: str
    ) -> ColumnElement[bool]:
        # The range in byte order, with the operators of the text_pattern_ops index: unlike
        # LIKE 'q%', it stays an index range when psycopg prepares the statement and PostgreSQL
        # plans it once for any parameter. No character sorts after U+10FFFF.
        at_or_after = text_column.op("~>=~", is_comparison=True)(prefix)
        before_next = text_column.op("~<~", is_comparison=True)(prefix + "\U0010ffff")
        return at_or_after & before_next

    def contains_text(
        self, text_column: InstrumentedAttribute[str], escaped: str
    ) -> ColumnElement[bool]:
        # ILIKE folds every alphabet, and the trigram indexes (migration 0024) answer it.
        return text_column.ilike(f"%{escaped}%", escape="\\")

    def floor_to_int(self, value: ColumnElement[float]) -> ColumnElement[int]:
        return cast(func.floor(value), Integer)
