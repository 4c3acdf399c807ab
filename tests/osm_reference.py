"""The two real OpenStreetMap extracts read independently of transitreq's importer.

The walkable rule is written out again here from the method's own words (README, step 1), the
file is read with pyosmium's handler interface (the importer uses its file processor), and the
edges are measured with pyproj's geodesic: so the importer's filter, reading and lengths are each
checked against code they share nothing with but the libraries.

Walking is computed here too, with networkx's Dijkstra (the app uses SciPy's), by the method's
words: each point linked to the nearest point on the nearest edge in the plane tangent to the
ellipsoid at the point (the app uses an STRtree in UTM), and whether a unit is served found by
searching from the unit to the stops (the app searches from all the stops at once).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import networkx as nx
import numpy as np
import osmium
from pyproj import Geod

from tests.gtfs_feeds import SHARED_DATA

SPO_OSM = SHARED_DATA / "sao_paulo" / "spo_osm.pbf"
HELSINKI_OSM = SHARED_DATA / "helsinki" / "helsinki_centre.osm.pbf"
_WGS84 = Geod(ellps="WGS84")

# Step 1: "highway in footway, path, pedestrian, steps, living_street, residential, service,
# unclassified, track, cycleway, tertiary(_link), secondary(_link), primary(_link), trunk(_link),
# road, crossing, corridor, bridleway", and motorway with foot=yes.
_LISTED = {
    *("footway", "path", "pedestrian", "steps", "living_street", "residential", "service"),
    *("unclassified", "track", "cycleway", "tertiary", "tertiary_link", "secondary"),
    *("secondary_link", "primary", "primary_link", "trunk", "trunk_link", "road", "crossing"),
    *("corridor", "bridleway"),
}


def walkable(tags: dict[str, str]) -> bool:
    highway, foot = tags.get("highway"), tags.get("foot")
    if highway == "motorway":
        listed = foot == "yes"
    elif highway in ("trunk", "trunk_link"):
        listed = foot in ("yes", "designated")
    else:
        listed = highway in _LISTED
    if not listed or highway in ("construction", "proposed", "platform"):
        return False
    if foot == "no" or tags.get("area") == "yes":
        return False
    private = tags.get("access") in ("no", "private")
    return not (private and foot not in ("yes", "designated", "permissive"))


@dataclass
class Extract:
    """Every walkable way's edges: (node, node, metres), and where each node is."""

    ways: int = 0
    highway_ways: int = 0
    location: dict[int, tuple[float, float]] = field(default_factory=dict)
    edges: list[tuple[int, int, float]] = field(default_factory=list)


class _Ways(osmium.SimpleHandler):
    def __init__(self, extract: Extract) -> None:
        super().__init__()
        self.extract = extract

    def way(self, way) -> None:
        tags = dict(way.tags)
        if "highway" not in tags:
            return
        self.extract.highway_ways += 1
        if not walkable(tags):
            return
        self.extract.ways += 1
        # An edge joins two consecutive nodes of the way, both in the extract.
        nodes = [
            (node.ref, node.lon, node.lat) if node.location.valid() else None for node in way.nodes
        ]
        for first, second in zip(nodes, nodes[1:], strict=False):
            if first is None or second is None or first[0] == second[0]:
                continue
            (a, lon_a, lat_a), (b, lon_b, lat_b) = first, second
            self.extract.location[a] = (lon_a, lat_a)
            self.extract.location[b] = (lon_b, lat_b)
            metres = _WGS84.inv(lon_a, lat_a, lon_b, lat_b)[2]
            self.extract.edges.append((a, b, metres))


@cache
def read_extract(path: Path) -> Extract:
    extract = Extract()
    _Ways(extract).apply_file(str(path), locations=True)
    return extract


# --- Walking, the method's steps 2 to 6, with networkx ----------------------------------------

MAX_LINK_M = 100.0


@dataclass(frozen=True)
class Link:
    """A point's nearest point on the nearest edge: the edge's nodes and length, metres along
    it from its first node, and the link's own length."""

    first: int
    second: int
    edge_m: float
    along_m: float
    link_m: float


@dataclass
class WalkNetwork:
    graph: nx.Graph
    edges: list[tuple[int, int, float]]
    # (lon1, lat1, lon2, lat2) of each edge, in the file's order.
    ends: np.ndarray
    links: dict[tuple[float, float], Link | None] = field(default_factory=dict)


@cache
def walk_network(path: Path) -> WalkNetwork:
    extract = read_extract(path)
    graph = nx.Graph()
    for a, b, metres in extract.edges:
        # Parallel ways between the same two nodes: the walk takes the shorter.
        if not graph.has_edge(a, b) or graph[a][b]["metres"] > metres:
            graph.add_edge(a, b, metres=metres)
    ends = np.array(
        [(*extract.location[a], *extract.location[b]) for a, b, _ in extract.edges], dtype=float
    )
    return WalkNetwork(graph, extract.edges, ends)


def link(network: WalkNetwork, lon: float, lat: float) -> Link | None:
    """Step 3, found in the plane tangent to the ellipsoid at the point (metres east and north
    by the ellipsoid's radii of curvature there, a few millimetres off at 100 m), the link then
    measured on the ellipsoid; the first nearest edge in the file wins a tie."""
    if (lon, lat) in network.links:
        return network.links[lon, lat]
    a, f = 6378137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    sin = math.sin(math.radians(lat))
    across = a / math.sqrt(1 - e2 * sin * sin)  # prime vertical radius
    along_meridian = a * (1 - e2) / (1 - e2 * sin * sin) ** 1.5
    east = math.radians(1) * across * math.cos(math.radians(lat))
    north = math.radians(1) * along_meridian
    ends = network.ends
    x1, y1 = (ends[:, 0] - lon) * east, (ends[:, 1] - lat) * north
    x2, y2 = (ends[:, 2] - lon) * east, (ends[:, 3] - lat) * north
    dx, dy = x2 - x1, y2 - y1
    squared = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(squared > 0, np.clip(-(x1 * dx + y1 * dy) / squared, 0, 1), 0.0)
    distance = np.hypot(x1 + t * dx, y1 + t * dy)
    best = int(np.argmin(distance))
    found = None
    if distance[best] <= MAX_LINK_M + 1:
        lon_q = ends[best, 0] + t[best] * (ends[best, 2] - ends[best, 0])
        lat_q = ends[best, 1] + t[best] * (ends[best, 3] - ends[best, 1])
        link_m = _WGS84.inv(lon, lat, lon_q, lat_q)[2]
        first, second, metres = network.edges[best]
        if link_m <= MAX_LINK_M:
            found = Link(first, second, metres, float(t[best]) * metres, link_m)
    network.links[lon, lat] = found
    return found


def network_from(network: WalkNetwork, start: Link, cutoff_m: float) -> dict[int, float]:
    """Metres along the streets from a linked point (its link included) to every node within
    ``cutoff_m``."""
    graph = network.graph
    graph.add_edge("start", start.first, metres=start.link_m + start.along_m)
    # A way may join the same two nodes as the start's edge: keep the shorter way in.
    other_end = start.link_m + start.edge_m - start.along_m
    graph.add_edge("start", start.second, metres=other_end)
    try:
        found = nx.single_source_dijkstra_path_length(graph, "start", cutoff_m, weight="metres")
    finally:
        graph.remove_node("start")
    found.pop("start", None)
    return found


def walk_to(start: Link, from_start: dict[int, float], end: Link) -> float:
    """Step 4: the start's walk (``network_from``) on to another linked point."""
    via = [
        from_start.get(end.first, math.inf) + end.along_m,
        from_start.get(end.second, math.inf) + end.edge_m - end.along_m,
    ]
    if {start.first, start.second} == {end.first, end.second}:
        along_end = end.along_m if start.first == end.first else end.edge_m - end.along_m
        via.append(start.link_m + abs(start.along_m - along_end))
    return min(via) + end.link_m


@dataclass(frozen=True)
class Place:
    """A population unit's point (or centroid) or a stop, with what it carries."""

    lon: float
    lat: float
    population: float = 0.0
    # For stops: how far it serves people when the radius evaluated is ``radius_m``.
    station: bool = False


@dataclass(frozen=True)
class WalkingAnswer:
    population: dict[int, float]
    newly_served: dict[int, float]
    # How close the nearest decision came to its threshold, in metres: a site is only used
    # when no unit sits within a hair of a radius or of a stop's reach.
    closest_call_m: float
    site_linked: bool


def reference_walking(
    network: WalkNetwork,
    site: tuple[float, float],
    units: list[Place],
    stops: list[Place],
    radii: tuple[int, ...],
    station_reach_m: float,
) -> WalkingAnswer:
    """Steps 3 to 6 for one site: people within each radius's walk, and those of them no stop
    reaches on foot (a station at least ``station_reach_m``). Each unit's own walk to the stops
    is searched from the unit, the other way round from the app's search from the stops."""
    start = link(network, *site)
    if start is None:
        return WalkingAnswer(dict.fromkeys(radii, 0.0), dict.fromkeys(radii, 0.0), math.inf, False)
    largest = max(radii)
    from_site = network_from(network, start, largest + 1)
    closest = math.inf
    population = dict.fromkeys(radii, 0.0)
    newly = dict.fromkeys(radii, 0.0)
    stop_links = [(stop, link(network, stop.lon, stop.lat)) for stop in stops]
    for unit in units:
        unit_link = link(network, unit.lon, unit.lat)
        if unit_link is None:
            continue
        walk_m = walk_to(start, from_site, unit_link)
        closest = min([closest, *(abs(walk_m - radius) for radius in radii)])
        inside = [radius for radius in radii if walk_m <= radius]
        if not inside:
            continue
        reach = max(largest, station_reach_m)
        from_unit = network_from(network, unit_link, reach + 1)
        to_stops = [
            (stop, walk_to(unit_link, from_unit, stop_link))
            for stop, stop_link in stop_links
            if stop_link is not None
            and _WGS84.inv(unit.lon, unit.lat, stop.lon, stop.lat)[2] <= reach + 1
        ]
        for radius in inside:
            population[radius] += unit.population
            margins = [
                walked - (max(radius, station_reach_m) if stop.station else radius)
                for stop, walked in to_stops
            ]
            served = any(margin <= 0 for margin in margins)
            closest = min([closest, *(abs(margin) for margin in margins)])
            if not served:
                newly[radius] += unit.population
    return WalkingAnswer(population, newly, closest, True)
