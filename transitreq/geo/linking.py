"""Where a point joins the street network: step 3 of the walking method (README).

A site, a stop or a population unit (its point, or its polygon's centroid) is linked to the
nearest point on the nearest walkable edge, and the link's length counts in every walking
distance to or from it. Nothing farther than ``MAX_LINK_M`` from every edge is linked: it is not
reachable on foot through the network.

The nearest edge is found in Python with Shapely, not in SQL: the same function links units and
stops at import time and a site at evaluation time, on both databases, so a site and a unit at
the same spot always join the same edge at the same point. Candidates come from an STRtree over
the edges in the network's UTM zone (scale within 0.1 % of the ellipsoid, which can only reorder
edges whose distances differ by less than that); the link's length is then measured on the
ellipsoid, and the distance along the edge is the edge's geodesic length times the fraction
along it. Edges are straight two-point segments, so that fraction is the same in any CRS.
Equidistant edges are told apart by their id, so every caller picks the same one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Geod, Transformer

from transitreq.geo.metric_crs import transformer, utm_srid

# Beyond this distance from every walkable edge a point is not reachable on foot.
MAX_LINK_M = 100.0
# Projected (UTM) metres are within 0.1 % of the ellipsoid's: search a little wider, then keep
# links whose geodesic length is within MAX_LINK_M.
_SEARCH_M = MAX_LINK_M * 1.002 + 0.5
_WGS84 = Geod(ellps="WGS84")


@dataclass(frozen=True)
class Edges:
    """Street edges as arrays, in one order: database ids, the OpenStreetMap ids of their two
    nodes, their ends in lon/lat (``coords[i] = [[lon1, lat1], [lon2, lat2]]``) and their
    geodesic lengths in metres."""

    ids: np.ndarray
    first_node: np.ndarray
    second_node: np.ndarray
    coords: np.ndarray
    length_m: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, mask: np.ndarray) -> Edges:
        return Edges(
            self.ids[mask],
            self.first_node[mask],
            self.second_node[mask],
            self.coords[mask],
            self.length_m[mask],
        )


@dataclass(frozen=True)
class Links:
    """Each point's link: the index of its edge in ``Edges`` (-1 when none is within
    MAX_LINK_M), metres along that edge from its first node, and the link's length."""

    edge: np.ndarray
    along_m: np.ndarray
    link_m: np.ndarray

    @property
    def linked(self) -> np.ndarray:
        return self.edge >= 0


def linking_srid(lon: float, lat: float) -> int:
    """The CRS a network's links are found in: the UTM zone of the middle of its extent."""
    return utm_srid(lon, lat)


def _projected(transformer: Transformer, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    x, y = transformer.transform(lon, lat)
    return np.column_stack([x, y])


def link_points(edges: Edges, lon: np.ndarray, lat: np.ndarray, srid: int) -> Links:
    """Link each point (lon/lat arrays) to the nearest point on the nearest of ``edges``."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    count = len(lon)
    edge = np.full(count, -1, dtype=np.int64)
    along_m = np.zeros(count)
    link_m = np.full(count, np.inf)
    if count == 0 or len(edges) == 0:
        return Links(edge, along_m, link_m)
    to_metric = transformer(4326, srid)
    ends = edges.coords.reshape(-1, 2)
    lines = shapely.linestrings(_projected(to_metric, ends[:, 0], ends[:, 1]).reshape(-1, 2, 2))
    points = shapely.points(_projected(to_metric, lon, lat))
    pairs, distances = shapely.STRtree(lines).query_nearest(
        points, max_distance=_SEARCH_M, return_distance=True, all_matches=True
    )
    if pairs.shape[1] == 0:
        return Links(edge, along_m, link_m)
    # Per point: the nearest edge, the lowest id among equally near ones.
    order = np.lexsort((edges.ids[pairs[1]], distances, pairs[0]))
    point_index, first_of_point = np.unique(pairs[0][order], return_index=True)
    chosen = pairs[1][order][first_of_point]
    fraction = shapely.line_locate_point(lines[chosen], points[point_index], normalized=True)
    fraction = np.clip(np.nan_to_num(fraction, nan=0.0), 0.0, 1.0)
    start, end = edges.coords[chosen, 0], edges.coords[chosen, 1]
    joined = start + fraction[:, None] * (end - start)
    _, _, metres = _WGS84.inv(lon[point_index], lat[point_index], joined[:, 0], joined[:, 1])
    within = np.asarray(metres) <= MAX_LINK_M
    kept = point_index[within]
    edge[kept] = chosen[within]
    along_m[kept] = (fraction * edges.length_m[chosen])[within]
    link_m[kept] = np.asarray(metres)[within]
    return Links(edge, along_m, link_m)
