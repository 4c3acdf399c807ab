"""Reading the walkable street network back: which network covers a site, and its edges in a
box, found through the spatial index."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from shapely.geometry import Point
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from transitreq.backends import backend_of
from transitreq.geo.bound_site import bound_box, box_values
from transitreq.geo.coverage import grown
from transitreq.geo.linking import MAX_LINK_M, Edges, linking_srid
from transitreq.geo.metric import BoundingBox, box_around
from transitreq.models import StreetEdge, StreetNetwork


def network_extent(network: StreetNetwork) -> BoundingBox:
    return BoundingBox(network.min_lon, network.min_lat, network.max_lon, network.max_lat)


def network_reach(network: StreetNetwork) -> BoundingBox:
    """The box holding every point that can link to the network: its extent, grown by the
    longest link."""
    return grown(network_extent(network), MAX_LINK_M)


def network_srid(network: StreetNetwork) -> int:
    """The CRS the network's links are found in (``geo/linking.py``)."""
    lat, lon = network_extent(network).centre_lat_lon
    return linking_srid(lon, lat)


def covering_network(session: Session, site: Point) -> StreetNetwork | None:
    """The latest imported network whose reach (extent and longest link) holds the site."""
    near = box_around(site.x, site.y, MAX_LINK_M)
    for network in networks_meeting(session, near):
        reach = network_reach(network)
        if reach.min_lon <= site.x <= reach.max_lon and reach.min_lat <= site.y <= reach.max_lat:
            return network
    return None


@lru_cache(maxsize=1)
def _networks_meeting_statement() -> Select:
    box = bound_box()
    return (
        select(StreetNetwork)
        .where(
            StreetNetwork.min_lon <= box.max_lon,
            StreetNetwork.max_lon >= box.min_lon,
            StreetNetwork.min_lat <= box.max_lat,
            StreetNetwork.max_lat >= box.min_lat,
        )
        .order_by(StreetNetwork.imported_at.desc(), StreetNetwork.id.desc())
    )


def networks_meeting(session: Session, box: BoundingBox) -> list[StreetNetwork]:
    """Every network whose extent meets ``box``, the latest imported first."""
    return list(session.scalars(_networks_meeting_statement(), box_values(box)))


def edges_statement(
    session: Session, network: StreetNetwork, box: BoundingBox | None = None
) -> Select:
    """The network's edges (those meeting ``box``, through the spatial index, when given) in id
    order: id, node ids, length and the two ends' coordinates."""
    statement = (
        select(
            StreetEdge.id,
            StreetEdge.first_node,
            StreetEdge.second_node,
            StreetEdge.length_m,
            StreetEdge.first_lon,
            StreetEdge.first_lat,
            StreetEdge.second_lon,
            StreetEdge.second_lat,
        )
        .where(StreetEdge.network_id == network.id)
        .order_by(StreetEdge.id)
    )
    if box is not None:
        statement = statement.where(backend_of(session).in_box(StreetEdge.geom, box))
    return statement


def edges_in(session: Session, network: StreetNetwork, box: BoundingBox | None = None) -> Edges:
    """The network's edges as arrays (``edges_statement``); the rows go straight from the
    driver's cursor into NumPy, as an evaluation reads thousands of them."""
    statement = edges_statement(session, network, box)
    result = session.connection().execute(statement)
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    table = np.array(rows, dtype=float).reshape(-1, 8)
    ids = table[:, :3].astype(np.int64)
    return Edges(
        ids=ids[:, 0],
        first_node=ids[:, 1],
        second_node=ids[:, 2],
        coords=table[:, 4:8].reshape(-1, 2, 2),
        length_m=table[:, 3],
    )
