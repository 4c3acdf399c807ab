"""Which unserved people each candidate site reaches on foot, for a whole area at once: the
walking counterpart of ``geo/unserved.py``, with the rules of ``geo/walk_catchment.py``.

A unit counts whole when its walk from the site is within the radius; it is *already served*
when some stop reaches it on foot, each stop walking as far as its modes do. The graph, units
and stops of the whole area are read once; who is already served comes from one search from
every stop together, and the walks between candidates and unserved units from one search per
unserved unit (walks are the same both ways), in batches whose distance rows are read only at
the candidates' edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from sqlalchemy.orm import Session

from transitreq.geo.linking import link_points
from transitreq.geo.metric import BoundingBox
from transitreq.geo.modes import ModeRules
from transitreq.geo.streets import edges_in, network_srid
from transitreq.geo.walk_catchment import (
    LinkedPoints,
    linked_points,
    modes_of,
    served_on_foot,
    stop_reach_m,
    stops_statement,
    units_statement,
)
from transitreq.geo.walking import Graph, graph_of
from transitreq.models import PopulationDataset, StreetNetwork

# Unserved units walked from in one search (each row of distances is the graph's size).
_BATCH = 64


@dataclass(frozen=True)
class WalkingCover:
    """``cover[c, u]``: candidate c reaches unserved unit u on foot within the radius;
    ``people[u]`` its population; ``linked[c]``: the candidate joins the streets at all."""

    cover: csr_matrix
    people: np.ndarray
    linked: np.ndarray


def walking_cover(
    session: Session,
    network: StreetNetwork,
    dataset: PopulationDataset,
    region: BoundingBox,
    search_region: BoundingBox,
    lon: np.ndarray,
    lat: np.ndarray,
    radius_m: float,
    rules: ModeRules,
) -> WalkingCover:
    """``region`` holds every unit within the radius of a candidate; ``search_region`` every
    stop and street a walk within radius plus the farthest reach can use."""
    graph = graph_of(edges_in(session, network, search_region))
    unit_rows = session.execute(units_statement(session, network.id, dataset.id, region)).all()
    units = linked_points(graph, [row[:3] for row in unit_rows])
    population = np.array([row[3] for row in unit_rows], dtype=float)
    stop_rows = session.execute(stops_statement(session, network.id, search_region)).all()
    stops = linked_points(graph, [row[:3] for row in stop_rows])
    reach = stop_reach_m(modes_of(session, [row[3] for row in stop_rows]), rules, radius_m, None)
    everyone = np.ones(len(population), dtype=bool)
    served = served_on_foot(graph, stops, units, everyone, reach)
    left = np.flatnonzero(~served & (population > 0) & (units.edge >= 0))
    links = link_points(graph.edges, lon, lat, network_srid(network))
    sites = LinkedPoints(links.edge, links.along_m, links.link_m)
    cover = _reach_matrix(graph, units, left, sites, radius_m)
    return WalkingCover(cover, population[left], links.edge >= 0)


def _reach_matrix(
    graph: Graph, units: LinkedPoints, left: np.ndarray, sites: LinkedPoints, radius_m: float
) -> csr_matrix:
    """(sites × unserved units): True where the walk between them is within ``radius_m``."""
    site_count = len(sites.edge)
    linked = np.flatnonzero(sites.edge >= 0)
    rows: list[np.ndarray] = []
    columns: list[np.ndarray] = []
    if len(left) == 0 or len(linked) == 0 or graph.node_count == 0:
        return csr_matrix((site_count, len(left)))
    edges = graph.edges
    low, high, metres = graph.links
    site_edge = sites.edge[linked]
    site_along = sites.along_m[linked]
    site_link = sites.link_m[linked]
    node_count = graph.node_count
    for start in range(0, len(left), _BATCH):
        batch = left[start : start + _BATCH]
        size = len(batch)
        edge = units.edge[batch]
        along = units.along_m[batch]
        begin = units.link_m[batch]
        sources = node_count + np.arange(size)
        extra_from = np.concatenate([sources, sources])
        extra_to = np.concatenate([graph.first[edge], graph.second[edge]])
        extra_m = np.concatenate([begin + along, begin + (edges.length_m[edge] - along)])
        matrix = csr_matrix(
            (
                np.concatenate([metres, extra_m]),
                (np.concatenate([low, extra_from]), np.concatenate([high, extra_to])),
            ),
            shape=(node_count + size, node_count + size),
        )
        # Sources reach one another only through the streets: no edge joins two extra nodes.
        distance = dijkstra(matrix, directed=False, indices=sources, limit=radius_m)
        via_first = distance[:, graph.first[site_edge]] + site_along
        via_second = distance[:, graph.second[site_edge]] + (edges.length_m[site_edge] - site_along)
        walked = np.minimum(via_first, via_second) + site_link
        # Both on one edge: straight along it, as walk_catchment's anchors do.
        same = edge[:, None] == site_edge[None, :]
        if same.any():
            direct = begin[:, None] + np.abs(along[:, None] - site_along[None, :]) + site_link
            walked = np.where(same, np.minimum(walked, direct), walked)
        unit_at, site_at = np.nonzero(walked <= radius_m)
        rows.append(linked[site_at])
        columns.append(start + unit_at)
    row = np.concatenate(rows)
    column = np.concatenate(columns)
    return csr_matrix((np.ones(len(row)), (row, column)), shape=(site_count, len(left)))
