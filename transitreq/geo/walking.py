"""Walking distance along the street network: steps 2 and 4 of the walking method (README).

Edges are walked both ways and weighted by their geodesic length. A walk starts at one or
more *anchors*: linked points (an edge, metres along it, and metres already walked to get
there, the link's length included). The walking distance to another linked point is the
anchor's start plus the shortest network distance between the two linked points plus the
other point's link; a walk enters an edge at the linked point, so two points on the same edge
also reach each other along it directly.

**The engine, and why it is one library on both databases.** The graph is read through the
spatial index (the edges in a box that surely holds every path within the distance asked
about) and searched with SciPy's compiled Dijkstra (``scipy.sparse.csgraph``), for PostGIS and
SpatiaLite alike. pgRouting on PostGIS and SpatiaLite's VirtualRouting were the alternative:
two engines, each with its own way of splitting an edge at a linked point and its own
floating-point order of sums, would have to be proved to agree within 1 % site after site, and
pgRouting is one more extension every PostgreSQL host must install, while SpatiaLite's routing
needs a network table rebuilt for each import. With one engine, the databases only store and
find the rows: the same rows give the same answer, by construction.

Several anchors walking with different allowances (a metro station reaching 800 m beside a bus
stop reaching 400 m) become one search: each anchor starts ``allowance_max - allowance``
metres late, and a point is within its anchor's allowance exactly when its distance is within
``allowance_max``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from transitreq.geo.linking import Edges


@dataclass(frozen=True)
class Graph:
    """The edges read for one question, with their nodes numbered 0…n-1, and the undirected
    links between nodes once each (the shortest of parallel edges), ready for every search."""

    edges: Edges
    first: np.ndarray  # node number of each edge's first node
    second: np.ndarray
    node_count: int
    # (lower node, higher node, metres) of each distinct pair of nodes an edge joins.
    links: tuple[np.ndarray, np.ndarray, np.ndarray]


def graph_of(edges: Edges) -> Graph:
    nodes, numbered = np.unique(
        np.concatenate([edges.first_node, edges.second_node]), return_inverse=True
    )
    count = len(edges)
    first, second = numbered[:count], numbered[count:]
    return Graph(edges, first, second, len(nodes), _shortest_links(first, second, edges.length_m))


def _shortest_links(
    rows: np.ndarray, columns: np.ndarray, metres: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each unordered pair once, with the shortest of its parallel edges' lengths (a sparse
    matrix would add parallel edges up)."""
    low, high = np.minimum(rows, columns), np.maximum(rows, columns)
    order = np.lexsort((metres, high, low))
    low, high, metres = low[order], high[order], metres[order]
    first_of_pair = np.ones(len(low), dtype=bool)
    first_of_pair[1:] = (low[1:] != low[:-1]) | (high[1:] != high[:-1])
    return low[first_of_pair], high[first_of_pair], metres[first_of_pair]


@dataclass(frozen=True)
class Anchors:
    """Where walks start: edge numbers in the graph, metres along them, metres walked so far."""

    edge: np.ndarray
    along_m: np.ndarray
    start_m: np.ndarray

    def __len__(self) -> int:
        return len(self.edge)


@dataclass(frozen=True)
class Reach:
    """Metres from the nearest anchor to each node (inf beyond the limit), and the anchors
    themselves, which reach points on their own edges directly."""

    node_m: np.ndarray
    anchors: Anchors


def walk_from(graph: Graph, anchors: Anchors, limit_m: float) -> Reach:
    """Shortest walks from the anchors to every node within ``limit_m``."""
    node_count = graph.node_count
    if len(anchors) == 0 or node_count == 0:
        return Reach(np.full(node_count, np.inf), anchors)
    edges = graph.edges
    # One extra node stands for every anchor: walking to an edge's ends from a linked point.
    source = node_count
    lengths = edges.length_m[anchors.edge]
    starts = np.concatenate([graph.first[anchors.edge], graph.second[anchors.edge]])
    metres = np.concatenate(
        [anchors.start_m + anchors.along_m, anchors.start_m + (lengths - anchors.along_m)]
    )
    # From the extra node, each node once, by its shortest start.
    order = np.lexsort((metres, starts))
    starts, metres = starts[order], metres[order]
    first_of_node = np.ones(len(starts), dtype=bool)
    first_of_node[1:] = starts[1:] != starts[:-1]
    low, high, lengths_m = graph.links
    matrix = csr_matrix(
        (
            np.concatenate([lengths_m, metres[first_of_node]]),
            (
                np.concatenate([low, np.full(first_of_node.sum(), source)]),
                np.concatenate([high, starts[first_of_node]]),
            ),
        ),
        shape=(node_count + 1, node_count + 1),
    )
    distances = dijkstra(matrix, directed=False, indices=source, limit=limit_m)
    return Reach(distances[:node_count], anchors)


def walked_m(graph: Graph, reach: Reach, edge: np.ndarray, along_m: np.ndarray) -> np.ndarray:
    """Metres from the nearest anchor to linked points (edge numbers, -1 for an edge not in the
    graph, and metres along), their own links not included."""
    edges = graph.edges
    result = np.full(len(edge), np.inf)
    known = edge >= 0
    on = edge[known]
    via_first = reach.node_m[graph.first[on]] + along_m[known]
    via_second = reach.node_m[graph.second[on]] + (edges.length_m[on] - along_m[known])
    result[known] = np.minimum(via_first, via_second)
    anchors = reach.anchors
    for anchor in np.flatnonzero(np.isin(anchors.edge, edge)):
        same = edge == anchors.edge[anchor]
        direct = anchors.start_m[anchor] + np.abs(along_m[same] - anchors.along_m[anchor])
        result[same] = np.minimum(result[same], direct)
    return result
