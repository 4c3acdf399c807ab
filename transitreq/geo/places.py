"""Where named places are: matching ``place_names`` rows nearest a point, which of them lie in a
service area, and the grouping of same-named points that stand together.

Names are matched on their stored normalised form (``models/places.py``) in two steps: names
*starting* with the query, through the index on that column, and only when those are too few,
names *containing* it, which reads the column through (a few thousand short strings at city
scale; see BENCHMARKS.md). Candidates are ordered by an equirectangular distance, plain
arithmetic on both databases and exact enough to rank places within a city.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pyproj import Geod
from shapely.geometry import Point
from sqlalchemy import ColumnElement, Select, case, func, literal, select
from sqlalchemy.orm import Session

from transitreq.backends import Backend, backend_of
from transitreq.models import PlaceKind, PlaceName, ServiceArea

_WGS84 = Geod(ellps="WGS84")


@dataclass(frozen=True)
class PlaceRow:
    """A ``place_names`` row as the search reads it."""

    id: int
    kind: PlaceKind
    name: str
    normalised_name: str
    lon: float
    lat: float


def _squared_offset(centre: Point | None) -> ColumnElement[float]:
    """How far a place lies from ``centre``, as a number that sorts like the distance (degrees
    of latitude, squared; longitude shrunk by the cosine of the centre's latitude)."""
    if centre is None:
        return literal(0.0)
    shrink = math.cos(math.radians(centre.y))
    east = (func.ST_X(PlaceName.location) - centre.x) * shrink
    north = func.ST_Y(PlaceName.location) - centre.y
    return east * east + north * north


def _rows(session: Session, statement: Select) -> list[PlaceRow]:
    return [
        PlaceRow(row.id, row.kind, row.name, row.normalised_name, float(row.lon), float(row.lat))
        for row in session.execute(statement)
    ]


def _columns() -> tuple[ColumnElement, ...]:
    return (
        PlaceName.id,
        PlaceName.kind,
        PlaceName.name,
        PlaceName.normalised_name,
        func.ST_X(PlaceName.location).label("lon"),
        func.ST_Y(PlaceName.location).label("lat"),
    )


def starting_with_statement(
    backend: Backend, prefix: str, centre: Point | None, limit: int
) -> Select:
    """Places whose normalised name starts with ``prefix``: the exact name first, then nearest
    ``centre``. Separate so tests can EXPLAIN it on each backend."""
    exact_first = case((PlaceName.normalised_name == prefix, 0), else_=1)
    return (
        select(*_columns())
        .where(backend.starts_with(PlaceName.normalised_name, prefix))
        .order_by(exact_first, _squared_offset(centre), PlaceName.name, PlaceName.id)
        .limit(limit)
    )


def places_starting_with(
    session: Session, prefix: str, centre: Point | None, limit: int
) -> list[PlaceRow]:
    """Up to ``limit`` places whose normalised name starts with ``prefix`` (already normalised),
    the exact name first, then those nearest ``centre``."""
    return _rows(session, starting_with_statement(backend_of(session), prefix, centre, limit))


def places_containing(
    session: Session, part: str, centre: Point | None, limit: int
) -> list[PlaceRow]:
    """Up to ``limit`` places whose normalised name holds ``part`` (already normalised) but
    does not start with it: those where ``part`` starts a word first ("consolacao" in "rua da
    consolacao"), then those nearest ``centre``. Reads every name: a few milliseconds for tens
    of thousands (BENCHMARKS.md)."""
    backend = backend_of(session)
    # Normalised text is letters, marks, numbers and single spaces (``normalise_name``): it holds
    # no LIKE wildcard or escape character, so the patterns need no escaping, and are built here
    # rather than in SQL so the database compares with one constant pattern.
    word_start_first = case((PlaceName.normalised_name.like(f"% {part}%"), 0), else_=1)
    statement = (
        select(*_columns())
        .where(PlaceName.normalised_name.like(f"%{part}%"))
        .where(~backend.starts_with(PlaceName.normalised_name, part))
        .order_by(word_start_first, _squared_offset(centre), PlaceName.name, PlaceName.id)
        .limit(limit)
    )
    return _rows(session, statement)


def ids_in_service_areas(session: Session, place_ids: Sequence[int]) -> set[int]:
    """Which of the places lie in some service area (boundary included)."""
    if not place_ids:
        return set()
    backend = backend_of(session)
    statement = (
        select(PlaceName.id)
        .join(ServiceArea, backend.intersects(ServiceArea.boundary, PlaceName.location))
        .where(PlaceName.id.in_(list(place_ids)))
        .distinct()
    )
    return set(session.scalars(statement))


def distance_m(a: Point, b: Point) -> float:
    """Metres between two WGS 84 points on the ellipsoid."""
    return _WGS84.inv(a.x, a.y, b.x, b.y)[2]


def group_nearby(points: Sequence[Point], within_m: float) -> list[list[int]]:
    """Indexes of ``points`` in groups, each point with every point within ``within_m`` of some
    point of its group (single linkage): the platforms around one square fall together, and
    two stops of one name at either end of a long street stay apart."""
    parents = list(range(len(points)))

    def root(index: int) -> int:
        while parents[index] != index:
            parents[index] = parents[parents[index]]
            index = parents[index]
        return index

    for first in range(len(points)):
        for second in range(first + 1, len(points)):
            if distance_m(points[first], points[second]) <= within_m:
                parents[root(first)] = root(second)
    groups: dict[int, list[int]] = {}
    for index in range(len(points)):
        groups.setdefault(root(index), []).append(index)
    return list(groups.values())
