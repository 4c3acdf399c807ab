"""The one interface both databases answer behind: engine set-up and the SQL spellings that
differ between PostGIS and SpatiaLite.

In the manner of pygeoapi's providers, each database has one implementation
(``backends/postgis.py``, ``backends/spatialite.py``) chosen once from the engine
(``backend_of``); geometry code asks it for a clause instead of testing a dialect name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Table, func
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from transitreq.geo.metric import BoundingBox

# A geometry in SQL: a mapped geometry column or any expression built from one.
SqlGeometry = ColumnElement[Any]
WGS84_SRID = 4326


class Backend(ABC):
    """A database transitreq runs on."""

    #: SQLAlchemy's dialect name for it, the one place that name is looked at.
    dialect_name: str

    @abstractmethod
    def create_engine(self, url: str, extra_srids: tuple[int, ...]) -> Engine:
        """An engine whose every connection has the spatial functions ready."""

    @abstractmethod
    def upsert(self, table: Table) -> Any:
        """An INSERT that can take ``on_conflict_do_update`` and ``returning``."""

    @abstractmethod
    def copy_rows(
        self, connection: Connection, table: str, columns: Sequence[str], rows: Iterable[tuple]
    ) -> None:
        """Append many plain rows (numbers, text, None) to ``table`` the fastest way the
        database takes them, in the connection's transaction."""

    # --- the spatial index -------------------------------------------------------------------

    @abstractmethod
    def in_box(
        self, geometry_column: InstrumentedAttribute[Any], box: BoundingBox
    ) -> ColumnElement[bool]:
        """True for rows whose geometry's bounding box meets ``box``, found through the index."""

    def points_in_box(
        self, point_column: InstrumentedAttribute[Any], box: BoundingBox, share: float
    ) -> ColumnElement[bool]:
        """True for rows whose point lies in ``box``, which holds about ``share`` (0 to 1) of
        the table's points. PostgreSQL's planner weighs the index against a scan by itself,
        from its statistics; SpatiaLite's does not (below)."""
        return self.in_box(point_column, box)

    # --- spellings -------------------------------------------------------------------------

    @abstractmethod
    def envelope(self, box: BoundingBox) -> SqlGeometry:
        """The WGS 84 rectangle ``box``."""

    @abstractmethod
    def is_true(self, predicate: ColumnElement[Any]) -> ColumnElement[bool]:
        """A spatial predicate as a boolean."""

    def intersects(self, geometry: SqlGeometry, other: SqlGeometry) -> ColumnElement[bool]:
        return self.is_true(func.ST_Intersects(geometry, other))

    @abstractmethod
    def line_locate_point(self, line: SqlGeometry, point: SqlGeometry) -> ColumnElement[float]:
        """Fraction (0–1) along ``line`` of the point on it nearest to ``point``."""

    @abstractmethod
    def clipped_to_box(self, geometry: SqlGeometry, box: BoundingBox) -> SqlGeometry:
        """The part of a WGS 84 geometry inside ``box``."""

    @abstractmethod
    def bounds(self, geometry: SqlGeometry) -> tuple[ColumnElement[float], ...]:
        """min x, min y, max x, max y of a geometry's bounding box."""

    @abstractmethod
    def geodesic_distance_m(self, geometry: SqlGeometry, other: SqlGeometry) -> ColumnElement:
        """Metres on the WGS 84 ellipsoid between two SRID 4326 geometries."""

    @abstractmethod
    def starts_with(
        self, text_column: InstrumentedAttribute[str], prefix: str
    ) -> ColumnElement[bool]:
        """True for rows whose text starts with ``prefix`` (compared as code points, no
        wildcards), found through an ordinary index on the column."""

    @abstractmethod
    def contains_text(
        self, text_column: InstrumentedAttribute[str], escaped: str
    ) -> ColumnElement[bool]:
        """True for rows whose text contains ``escaped`` (a LIKE pattern body, with ``%``,
        ``_`` and ``\\`` escaped by a backslash), ignoring case as far as each database folds
        it."""

    @abstractmethod
    def floor_to_int(self, value: ColumnElement[float]) -> ColumnElement[int]:
        """``floor(value)`` as an integer, for values that are never negative."""
