"""Points counted per cell of a grid that depends on the map's zoom: a city of 50,000 requests
answers with a few hundred bubbles, each with its count, instead of 50,000 markers.

The grid is anchored at (-180, -90), so a cell's numbers never depend on the box asked for: the
same zoom gives the same cells however the map is panned, and two neighbouring views agree on
every cell they share. A cell is ``CELL_PX`` screen pixels wide at that zoom (a Web Mercator tile
is 256 pixels across 360 degrees at zoom 0, twice as many at each zoom) and about as tall on the
screen: its height in degrees of latitude is its width times the cosine of the latitude, taken
in 5-degree steps so that panning north or south does not redraw every bubble.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from transitreq.backends import backend_of
from transitreq.geo.metric import BoundingBox

# A cell is this many screen pixels wide: about a bubble and a half, so bubbles rarely overlap.
CELL_PX = 64
TILE_PX = 256
LATITUDE_STEP_DEGREES = 5


@dataclass(frozen=True)
class Cluster:
    """The points of one cell: how many, their mean position (where the bubble is drawn), the
    box they span (what a click zooms to), and the id of the point when it is alone."""

    count: int
    lon: float
    lat: float
    bounds: BoundingBox
    only_id: int | None


@dataclass(frozen=True)
class GridCell:
    """A cell's size in degrees at a zoom, in a box."""

    width_deg: float
    height_deg: float


def degrees_per_pixel(zoom: int) -> float:
    """Degrees of longitude one screen pixel spans at ``zoom`` (Web Mercator, 256-pixel tiles)."""
    return 360.0 / (TILE_PX * 2**zoom)


def grid_cell(zoom: int, box: BoundingBox) -> GridCell:
    """The cell of the grid at ``zoom`` for a view of ``box``."""
    width_deg = CELL_PX * degrees_per_pixel(zoom)
    middle_lat = (box.min_lat + box.max_lat) / 2
    stepped_lat = min(round(abs(middle_lat) / LATITUDE_STEP_DEGREES) * LATITUDE_STEP_DEGREES, 85)
    return GridCell(width_deg, width_deg * math.cos(math.radians(stepped_lat)))


def point_in_box(
    session: Session, location: InstrumentedAttribute[Any], box: BoundingBox
) -> ColumnElement[bool]:
    """True for rows whose point lies in ``box``: candidates from the spatial index, then the
    coordinates themselves, since SpatiaLite's index keeps boxes in single precision and lets
    through points a few centimetres outside (a count must not depend on the backend)."""
    lon, lat = func.ST_X(location), func.ST_Y(location)
    return and_(
        backend_of(session).in_box(location, box),
        lon.between(box.min_lon, box.max_lon),
        lat.between(box.min_lat, box.max_lat),
    )


def clusters_in_box(
    session: Session,
    location: InstrumentedAttribute[Any],
    row_id: InstrumentedAttribute[int],
    box: BoundingBox,
    zoom: int,
    where: Sequence[ColumnElement[bool]] = (),
) -> list[Cluster]:
    """The rows whose point is in ``box``, counted per grid cell at ``zoom``, in one grouped
    query; the counts add up to the rows in the box."""
    backend = backend_of(session)
    cell = grid_cell(zoom, box)
    lon, lat = func.ST_X(location), func.ST_Y(location)
    # Offset from the grid's corner, so the cell numbers are never negative.
    column = backend.floor_to_int((lon + 180.0) / cell.width_deg).label("column")
    row = backend.floor_to_int((lat + 90.0) / cell.height_deg).label("row")
    statement = (
        select(
            func.count(),
            func.avg(lon),
            func.avg(lat),
            func.min(lon),
            func.min(lat),
            func.max(lon),
            func.max(lat),
            func.min(row_id),
        )
        .where(point_in_box(session, location, box), *where)
        .group_by(column, row)
    )
    return [
        Cluster(
            count=int(count),
            lon=float(mean_lon),
            lat=float(mean_lat),
            bounds=BoundingBox(float(west), float(south), float(east), float(north)),
            only_id=int(first_id) if count == 1 else None,
        )
        for count, mean_lon, mean_lat, west, south, east, north, first_id in session.execute(
            statement
        )
    ]
