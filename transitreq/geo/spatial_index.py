"""Clauses that make each backend answer "which rows are in this box" from its spatial index.

PostGIS uses its GiST index for the ``&&`` operator by itself. SpatiaLite never consults its
R*Tree implicitly: the query has to ask the ``SpatialIndex`` virtual table for row ids.
"""

from __future__ import annotations

from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import Integer, String, column, func, select, table
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from transitreq.geo.metric import BoundingBox
from transitreq.models import WGS84_SRID

_spatialite_index = table(
    "SpatialIndex",
    column("rowid", Integer),
    column("f_table_name", String),
    column("f_geometry_column", String),
    column("search_frame", Geometry),
)


def in_box(
    dialect_name: str, geometry_column: InstrumentedAttribute[Any], box: BoundingBox
) -> ColumnElement[bool]:
    """True for rows whose geometry's bounding box meets ``box``, found through the index."""
    if dialect_name == "postgresql":
        envelope = func.ST_MakeEnvelope(
            box.min_lon, box.min_lat, box.max_lon, box.max_lat, WGS84_SRID
        )
        return geometry_column.op("&&")(envelope)
    mapped_table = geometry_column.table
    row_ids = select(_spatialite_index.c.rowid).where(
        _spatialite_index.c.f_table_name == mapped_table.name,
        _spatialite_index.c.f_geometry_column == geometry_column.name,
        _spatialite_index.c.search_frame
        == func.BuildMbr(box.min_lon, box.min_lat, box.max_lon, box.max_lat, WGS84_SRID),
    )
    primary_key = next(iter(mapped_table.primary_key.columns))
    return primary_key.in_(row_ids)
