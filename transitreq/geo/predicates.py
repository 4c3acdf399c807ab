"""Spatial predicates that mean the same on both backends.

PostGIS predicates return booleans; SpatiaLite's return 1, 0, or -1 on an invalid geometry, and
-1 would count as true in a WHERE clause, so on SpatiaLite we compare with 1 explicitly.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement


def intersects(dialect_name: str, geometry, other) -> ColumnElement[bool]:
    test = func.ST_Intersects(geometry, other)
    return test if dialect_name == "postgresql" else test == 1
