"""Keeping ``street_links`` in step: where each population unit and stop joins each network.

Links are computed when either side arrives, inside the transaction that writes it, so the
evaluation only reads them: a street network links every unit and stop inside its extent; a
population layer or a GTFS feed imported later links its own units or stops to every network
they fall in. A unit counts by its point, or by its polygon's centroid (step 5 of the walking
method: the walking measure counts a polygon whole or not at all, by where its centroid walks
to). Replaced units, stops and networks take their links with them (ON DELETE CASCADE).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import ColumnElement, func, insert, select
from sqlalchemy.orm import Session

from transitreq.backends import backend_of
from transitreq.geo.coverage import grown
from transitreq.geo.linking import MAX_LINK_M, Edges, link_points
from transitreq.geo.metric import BoundingBox
from transitreq.geo.streets import edges_in, network_reach, network_srid, networks_meeting
from transitreq.models import PopulationUnit, Stop, StreetLink, StreetNetwork

LINKING_STAGE = "Linking to the streets"
# Rows read and written per batch.
_BATCH = 20_000

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class LinkCounts:
    units: int = 0
    stops: int = 0


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    """Progress reports go nowhere unless a caller listens."""


def link_network(
    session: Session, network: StreetNetwork, progress: Progress | None = None
) -> LinkCounts:
    """Link every population unit and stop inside a newly written network's extent."""
    edges = edges_in(session, network)
    notify = progress or _no_progress
    units = _link_units(session, network, edges, None, notify)
    stops = _link_stops(session, network, edges, None)
    return LinkCounts(units, stops)


def link_population(session: Session, dataset_id: int) -> int:
    """Link a newly written population dataset's units to every network they fall in."""
    box = _extent_of(session, PopulationUnit.geom, PopulationUnit.dataset_id == dataset_id)
    if box is None:
        return 0
    return sum(
        _link_units(session, network, edges_in(session, network), dataset_id, _no_progress)
        for network in networks_meeting(session, grown(box, MAX_LINK_M))
    )


def link_feed(session: Session, feed: str) -> int:
    """Link a newly written feed's stops to every network they fall in."""
    return _link_new_stops(session, Stop.feed == feed)


def link_stop(session: Session, stop_id: int) -> int:
    """Link one newly written stop (a stop project gone into service) to every network it
    falls in."""
    return _link_new_stops(session, Stop.id == stop_id)


def _link_new_stops(session: Session, which: ColumnElement[bool]) -> int:
    box = _extent_of(session, Stop.location, which)
    if box is None:
        return 0
    return sum(
        _link_stops(session, network, edges_in(session, network), which)
        for network in networks_meeting(session, grown(box, MAX_LINK_M))
    )


def _extent_of(session: Session, column, condition) -> BoundingBox | None:
    """The lon/lat box around the rows meeting ``condition`` (None when there are none)."""
    min_x, min_y, max_x, max_y = backend_of(session).bounds(column)
    row = session.execute(
        select(func.min(min_x), func.min(min_y), func.max(max_x), func.max(max_y)).where(condition)
    ).one()
    if row[0] is None:
        return None
    return BoundingBox(*map(float, row))


def _link_units(
    session: Session,
    network: StreetNetwork,
    edges: Edges,
    dataset_id: int | None,
    notify: Progress,
) -> int:
    statement = select(PopulationUnit.id, func.ST_AsBinary(PopulationUnit.geom)).where(
        backend_of(session).in_box(PopulationUnit.geom, network_reach(network))
    )
    if dataset_id is not None:
        statement = statement.where(PopulationUnit.dataset_id == dataset_id)
    ids, lon, lat = [], [], []
    for rows in session.execute(statement.execution_options(yield_per=_BATCH)).partitions():
        shapes = shapely.from_wkb([bytes(blob) for _, blob in rows])
        # A point is itself; a polygon counts by its centroid.
        points = shapely.centroid(shapes)
        ids.append(np.array([unit_id for unit_id, _ in rows], dtype=np.int64))
        lon.append(shapely.get_x(points))
        lat.append(shapely.get_y(points))
        notify("Reading population units", sum(map(len, ids)), sum(map(len, ids)))
    if not ids:
        return 0
    return _write_links(
        session,
        network,
        edges,
        "population_unit_id",
        *map(np.concatenate, (ids, lon, lat)),
        notify,
    )


def _link_stops(
    session: Session, network: StreetNetwork, edges: Edges, which: ColumnElement[bool] | None
) -> int:
    statement = select(Stop.id, func.ST_X(Stop.location), func.ST_Y(Stop.location)).where(
        backend_of(session).in_box(Stop.location, network_reach(network))
    )
    if which is not None:
        statement = statement.where(which)
    rows = session.execute(statement).all()
    if not rows:
        return 0
    table = np.array(rows, dtype=float)
    return _write_links(
        session,
        network,
        edges,
        "stop_id",
        table[:, 0].astype(np.int64),
        table[:, 1],
        table[:, 2],
        _no_progress,
    )


def _write_links(
    session: Session,
    network: StreetNetwork,
    edges: Edges,
    column: str,
    ids: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    notify: Progress,
) -> int:
    links = link_points(edges, lon, lat, network_srid(network))
    linked = np.flatnonzero(links.linked)
    rows = [
        {
            "network_id": network.id,
            "edge_id": int(edges.ids[links.edge[index]]),
            column: int(ids[index]),
            "along_m": float(links.along_m[index]),
            "link_m": float(links.link_m[index]),
        }
        for index in linked
    ]
    for start in range(0, len(rows), _BATCH):
        session.execute(insert(StreetLink), rows[start : start + _BATCH])
        notify(LINKING_STAGE, min(start + _BATCH, len(rows)), len(rows))
    return len(rows)
