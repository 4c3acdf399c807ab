"""How many people live within walking distance of a site, and how many of them are new to
transit: steps 3 to 6 of the walking method (README).

A population unit counts whole when its walking distance from the site is within the radius:
a point by itself, a polygon by its centroid (the straight-line measure keeps weighting polygons
by their area inside the circle). *Newly served* are those of them not within walking distance
of any existing stop, each stop walking as far as its modes reach (``geo/modes.py``: a metro
station 800 m when the radius is shorter). Units, stops and edges are read through the spatial
index, in boxes that surely hold every walk within the distances asked about; each unit's and
stop's link to the streets was computed when it was imported (``importers/street_links.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from shapely.geometry import Point
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from transitreq.backends import backend_of
from transitreq.geo.linking import MAX_LINK_M, link_points
from transitreq.geo.metric import BoundingBox, box_around
from transitreq.geo.modes import ModeRules
from transitreq.geo.streets import edges_in, network_srid
from transitreq.geo.walking import Anchors, Graph, Reach, graph_of, walk_from, walked_m
from transitreq.models import (
    PopulationDataset,
    PopulationUnit,
    Stop,
    StopMode,
    StreetLink,
    StreetNetwork,
)


@dataclass(frozen=True)
class LinkedPoints:
    """Linked units or stops: edge numbers in the graph (-1 when their edge was not read),
    metres along the edge, and their links' lengths."""

    edge: np.ndarray
    along_m: np.ndarray
    link_m: np.ndarray


@dataclass(frozen=True)
class WalkingScene:
    """Everything read once for a site: the graph, the site's own link, the units and stops
    near it, and the walk from the site."""

    graph: Graph
    site: Anchors
    units: LinkedPoints
    population: np.ndarray
    stops: LinkedPoints
    stop_ids: list[int]
    stop_modes: list[frozenset[str]]
    from_site: Reach
    # Metres walked from the site to each unit (inf where no walk reaches it).
    unit_walk_m: np.ndarray

    def stop_walk_m(self) -> dict[int, float]:
        """Metres walked from the site to each stop a walk within the search reaches."""
        stops = self.stops
        walked = walked_m(self.graph, self.from_site, stops.edge, stops.along_m) + stops.link_m
        return {
            stop_id: float(metres)
            for stop_id, metres in zip(self.stop_ids, walked, strict=True)
            if np.isfinite(metres)
        }


@dataclass(frozen=True)
class WalkingFigures:
    radius_m: int
    population: float
    newly_served: float
    # (mode, people within the radius already within walking reach of a stop of that mode).
    served_by: list[tuple[str, float]]


def _numbered(graph: Graph, edge_ids: np.ndarray) -> np.ndarray:
    """Database edge ids as edge numbers in the graph (read in id order); -1 for edges not in
    it."""
    ids = graph.edges.ids
    if len(ids) == 0:
        return np.full(len(edge_ids), -1, dtype=np.int64)
    position = np.clip(np.searchsorted(ids, edge_ids), 0, len(ids) - 1)
    return np.where(ids[position] == edge_ids, position, -1)


def linked_points(graph: Graph, rows: Sequence[tuple]) -> LinkedPoints:
    columns = list(zip(*rows, strict=True)) or [(), (), ()]
    return LinkedPoints(
        _numbered(graph, np.array(columns[0], dtype=np.int64)),
        np.array(columns[1], dtype=float),
        np.array(columns[2], dtype=float),
    )


def units_statement(session: Session, network_id: int, dataset_id: int, box: BoundingBox) -> Select:
    """The dataset's units in ``box`` (through the spatial index) with their links:
    (edge id, metres along, link metres, population); separate so tests can EXPLAIN it."""
    return (
        select(StreetLink.edge_id, StreetLink.along_m, StreetLink.link_m, PopulationUnit.population)
        .join(PopulationUnit, PopulationUnit.id == StreetLink.population_unit_id)
        .where(
            StreetLink.network_id == network_id,
            PopulationUnit.dataset_id == dataset_id,
            backend_of(session).in_box(PopulationUnit.geom, box),
        )
        .order_by(PopulationUnit.id)
    )


def stops_statement(session: Session, network_id: int, box: BoundingBox) -> Select:
    """The stops in ``box`` (through the spatial index) with their links: (edge id, metres
    along, link metres, stop id)."""
    return (
        select(StreetLink.edge_id, StreetLink.along_m, StreetLink.link_m, Stop.id)
        .join(Stop, Stop.id == StreetLink.stop_id)
        .where(StreetLink.network_id == network_id, backend_of(session).in_box(Stop.location, box))
        .order_by(Stop.id)
    )


def _site_anchor(graph: Graph, site: Point, srid: int) -> Anchors:
    """Where the site joins the streets (no anchor when it is too far from every edge): the
    edges near it are the only candidates, so only they are handed to the linking."""
    near = box_around(site.x, site.y, MAX_LINK_M)
    coords = graph.edges.coords
    meeting = (
        (np.minimum(coords[:, 0, 0], coords[:, 1, 0]) <= near.max_lon)
        & (np.maximum(coords[:, 0, 0], coords[:, 1, 0]) >= near.min_lon)
        & (np.minimum(coords[:, 0, 1], coords[:, 1, 1]) <= near.max_lat)
        & (np.maximum(coords[:, 0, 1], coords[:, 1, 1]) >= near.min_lat)
    )
    candidates = np.flatnonzero(meeting)
    link = link_points(graph.edges.subset(meeting), np.array([site.x]), np.array([site.y]), srid)
    linked = link.linked
    return Anchors(candidates[link.edge[linked]], link.along_m[linked], link.link_m[linked])


def read_scene(
    session: Session,
    network: StreetNetwork,
    dataset: PopulationDataset | None,
    site: Point,
    largest_radius_m: float,
    rules: ModeRules,
) -> WalkingScene:
    """Read what walking catchments up to ``largest_radius_m`` need (no units without a
    dataset), and walk from the site as far as the graph read reaches surely."""
    # A stop serves a unit within the radius when the walk between them is within the stop's
    # reach, so every such walk stays within radius + reach of the site.
    search_m = largest_radius_m + rules.farthest_reach_m(largest_radius_m)
    graph = graph_of(edges_in(session, network, box_around(site.x, site.y, search_m)))
    site_anchor = _site_anchor(graph, site, network_srid(network))
    unit_rows = (
        []
        if dataset is None
        else session.execute(
            units_statement(
                session, network.id, dataset.id, box_around(site.x, site.y, largest_radius_m)
            )
        ).all()
    )
    stop_rows = session.execute(
        stops_statement(session, network.id, box_around(site.x, site.y, search_m))
    ).all()
    units = linked_points(graph, [row[:3] for row in unit_rows])
    # A walk no longer than search_m never leaves the box read.
    from_site = walk_from(graph, site_anchor, search_m)
    return WalkingScene(
        graph=graph,
        site=site_anchor,
        units=units,
        population=np.array([row[3] for row in unit_rows], dtype=float),
        stops=linked_points(graph, [row[:3] for row in stop_rows]),
        stop_ids=[row[3] for row in stop_rows],
        stop_modes=modes_of(session, [row[3] for row in stop_rows]),
        from_site=from_site,
        unit_walk_m=walked_m(graph, from_site, units.edge, units.along_m) + units.link_m,
    )


def modes_of(session: Session, stop_ids: list[int]) -> list[frozenset[str]]:
    modes: dict[int, set[str]] = {stop_id: set() for stop_id in stop_ids}
    for start in range(0, len(stop_ids), 500):
        chunk = stop_ids[start : start + 500]
        for stop_id, mode in session.execute(
            select(StopMode.stop_id, StopMode.mode).where(StopMode.stop_id.in_(chunk))
        ):
            modes[stop_id].add(mode)
    return [frozenset(modes[stop_id]) for stop_id in stop_ids]


def served_on_foot(
    graph: Graph,
    stops: LinkedPoints,
    units: LinkedPoints,
    within: np.ndarray,
    reach_m: np.ndarray,
) -> np.ndarray:
    """Which of the units ``within`` (a mask) some stop reaches on foot, each stop walking
    ``reach_m`` (inf: the stop does not count)."""
    counted = np.isfinite(reach_m) & (stops.edge >= 0)
    served = np.zeros(len(within), dtype=bool)
    if not counted.any() or not within.any():
        return served
    farthest_m = float(reach_m[counted].max())
    anchors = Anchors(
        stops.edge[counted],
        stops.along_m[counted],
        stops.link_m[counted] + (farthest_m - reach_m[counted]),
    )
    reach = walk_from(graph, anchors, farthest_m)
    walked = walked_m(graph, reach, units.edge[within], units.along_m[within])
    served[within] = walked + units.link_m[within] <= farthest_m
    return served


def stop_reach_m(
    stop_modes: list[frozenset[str]], rules: ModeRules, radius_m: float, mode: str | None
) -> np.ndarray:
    """How far each stop walks for people at ``radius_m`` (of ``mode`` only, when given; inf
    for stops not of that mode). A stop no trip calls at counts as one of the new-stop modes."""
    reach = []
    for modes in stop_modes:
        if mode is None:
            reach.append(max([float(radius_m), *(rules.reach_m(m, radius_m) for m in modes)]))
        elif mode in modes or (not modes and rules.serves_new_stops(mode)):
            reach.append(rules.reach_m(mode, radius_m))
        else:
            reach.append(np.inf)
    return np.array(reach, dtype=float)


def walking_figures(
    scene: WalkingScene, radius_m: int, rules: ModeRules, by_mode: bool = True
) -> WalkingFigures:
    """People within ``radius_m`` walk of the site, those newly served, and who serves the
    rest by mode."""
    within = scene.unit_walk_m <= radius_m
    population = float(scene.population[within].sum())
    graph, stops, units, modes = scene.graph, scene.stops, scene.units, scene.stop_modes
    served = served_on_foot(graph, stops, units, within, stop_reach_m(modes, rules, radius_m, None))
    served_by = []
    if by_mode and served.any():
        for mode in sorted({mode for modes in scene.stop_modes for mode in modes}):
            reach_m = stop_reach_m(modes, rules, radius_m, mode)
            of_mode = served_on_foot(graph, stops, units, within, reach_m)
            people = float(scene.population[of_mode].sum())
            if people > 0:
                served_by.append((mode, people))
    newly = float(scene.population[within & ~served].sum())
    return WalkingFigures(radius_m, population, newly, served_by)
