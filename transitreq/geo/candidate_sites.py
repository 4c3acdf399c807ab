"""Where a new stop could go: points every few metres along the routes new stops serve.

A candidate lies on a route of the new-stop modes (``NEW_STOP_ROUTE_TYPES``), every
``CANDIDATE_STEP_M`` along each direction's line. The stop spacing is the one site evaluation
flags (``geo/network.py``): along every route line passing within ``PASS_BY_M`` of the site,
measured to that direction's stops lying within ``PASS_BY_M`` of the line. Candidates closer
than the minimum spacing to an existing stop are dropped; two candidates closer than it along a
line they share *conflict* and may not both be chosen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from geoalchemy2.shape import to_shape
from pyproj import Transformer
from scipy.spatial import cKDTree
from shapely.geometry import LineString
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transitreq.backends import backend_of
from transitreq.geo.metric import BoundingBox
from transitreq.geo.metric_crs import transformer
from transitreq.geo.modes import ModeRules
from transitreq.models import Route, RouteStop, Stop
from transitreq.models.transit import display_name, transit_mode

# Candidates this close to one already placed (two routes on one street) are the same site.
SAME_SITE_M = 10.0


@dataclass(frozen=True)
class RouteLine:
    route_id: int
    name: str
    direction_id: int | None
    line: LineString  # metric CRS
    stops_along_m: np.ndarray  # that direction's stops within PASS_BY_M of the line


@dataclass(frozen=True)
class CandidateSites:
    """Candidate sites: metric coordinates, WGS 84 coordinates, the route each lies on, and
    the pairs of candidates too close along a shared route line to be chosen together."""

    x: np.ndarray
    y: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    route_id: np.ndarray
    route_name: list[str]
    conflicts: np.ndarray  # (n, 2)

    def __len__(self) -> int:
        return len(self.x)


def _projected(line, to_metric: Transformer):
    return shapely.transform(
        line, lambda xy: np.column_stack(to_metric.transform(xy[:, 0], xy[:, 1]))
    )


def route_lines(
    session: Session, box: BoundingBox | None, rules: ModeRules, srid: int, pass_by_m: float
) -> list[RouteLine]:
    """Each direction's line of every new-stop route meeting ``box``, with its stops along it.

    Lines pair with directions in ascending ``direction_id`` order when their counts agree (as
    the GTFS importer writes them); otherwise every stop of the route counts on every line.
    """
    to_metric = transformer(4326, srid)
    statement = select(
        Route.id,
        Route.short_name,
        Route.long_name,
        Route.gtfs_route_id,
        Route.route_type,
        Route.path,
    ).where(Route.path.is_not(None))
    if box is not None:
        statement = statement.where(backend_of(session).in_box(Route.path, box))
    routes = [
        row for row in session.execute(statement) if rules.serves_new_stops(transit_mode(row[4]))
    ]
    if not routes:
        return []
    stops: dict[int, list[tuple[int, float, float]]] = {}
    ids = [row[0] for row in routes]
    for start in range(0, len(ids), 500):
        for route_id, direction_id, lon, lat in session.execute(
            select(
                RouteStop.route_id,
                RouteStop.direction_id,
                func.ST_X(Stop.location),
                func.ST_Y(Stop.location),
            )
            .join(Stop, Stop.id == RouteStop.stop_id)
            .where(RouteStop.route_id.in_(ids[start : start + 500]))
        ):
            stops.setdefault(route_id, []).append((direction_id, lon, lat))
    lines = []
    calls: list[tuple[int, int | None, float, float]] = []  # (line number, direction, lon, lat)
    for route_id, short_name, long_name, gtfs_id, _, path in routes:
        name = display_name(short_name, long_name, gtfs_id)
        parts = list(_projected(to_shape(path), to_metric).geoms)
        route_calls = stops.get(route_id, [])
        directions = sorted({direction for direction, _, _ in route_calls})
        paired = len(directions) == len(parts)
        for number, part in enumerate(parts):
            direction = directions[number] if paired else None
            calls.extend(
                (len(lines), d, lon, lat)
                for d, lon, lat in route_calls
                if direction is None or d == direction
            )
            lines.append(RouteLine(route_id, name, direction, part, np.array([])))
    if not calls:
        return lines
    table = np.array(calls, dtype=float).reshape(-1, 4)
    xy = np.column_stack(to_metric.transform(table[:, 2], table[:, 3]))
    # Every stop placed on every line near it at once; kept where the line is the call's own.
    call, line, along, _ = placements(line_index([item.line for item in lines]), xy, pass_by_m)
    own = line == table[call, 0].astype(np.int64)
    line, along = line[own], along[own]
    order = np.lexsort((along, line))
    line, along = line[order], along[order]
    bounds = np.searchsorted(line, np.arange(len(lines) + 1))
    return [
        RouteLine(item.route_id, item.name, item.direction_id, item.line, along[low:high])
        for item, low, high in zip(lines, bounds[:-1], bounds[1:], strict=True)
    ]


@dataclass(frozen=True)
class LineIndex:
    """The segments of many lines, indexed: each segment's start, direction vector, length,
    metres along its line where it starts, and which line it belongs to."""

    start: np.ndarray
    delta: np.ndarray
    length: np.ndarray
    along_start: np.ndarray
    line: np.ndarray
    tree: shapely.STRtree


def line_index(lines: list[LineString]) -> LineIndex:
    starts, deltas, lengths, along_starts, owners = [], [], [], [], []
    for number, line in enumerate(lines):
        vertices = shapely.get_coordinates(line)
        delta = np.diff(vertices, axis=0)
        length = np.hypot(delta[:, 0], delta[:, 1])
        starts.append(vertices[:-1])
        deltas.append(delta)
        lengths.append(length)
        along_starts.append(np.concatenate([[0.0], np.cumsum(length)[:-1]]))
        owners.append(np.full(len(length), number))
    start = np.concatenate(starts) if starts else np.zeros((0, 2))
    delta = np.concatenate(deltas) if deltas else np.zeros((0, 2))
    segments = shapely.linestrings(np.stack([start, start + delta], axis=1)) if len(start) else []
    return LineIndex(
        start,
        delta,
        np.concatenate(lengths) if lengths else np.array([]),
        np.concatenate(along_starts) if along_starts else np.array([]),
        np.concatenate(owners).astype(np.int64) if owners else np.array([], dtype=np.int64),
        shapely.STRtree(segments),
    )


def placements(
    index: LineIndex, xy: np.ndarray, within_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each point on each line passing within ``within_m`` of it: (point, line, metres along
    the line to the point's nearest place on it, distance from the line), one row per pair;
    what ``line_locate_point`` answers, for every line at once."""
    empty = np.array([], dtype=np.int64)
    if len(xy) == 0 or len(index.start) == 0:
        return empty, empty, np.array([]), np.array([])
    point, segment = index.tree.query(shapely.points(xy), predicate="dwithin", distance=within_m)
    if len(point) == 0:
        return empty, empty, np.array([]), np.array([])
    start, delta, length = index.start[segment], index.delta[segment], index.length[segment]
    squared = np.where(length > 0, length**2, 1.0)
    fraction = np.clip(np.einsum("ij,ij->i", xy[point] - start, delta) / squared, 0.0, 1.0)
    offset = np.hypot(*(xy[point] - (start + fraction[:, None] * delta)).T)
    along = index.along_start[segment] + fraction * length
    line = index.line[segment]
    # The nearest segment of each line to each point (the lowest along among equals).
    order = np.lexsort((along, offset, line, point))
    point, line, along, offset = point[order], line[order], along[order], offset[order]
    first = np.ones(len(point), dtype=bool)
    first[1:] = (point[1:] != point[:-1]) | (line[1:] != line[:-1])
    return point[first], line[first], along[first], offset[first]


def candidate_sites(
    lines: list[RouteLine],
    srid: int,
    step_m: float,
    min_spacing_m: float,
    pass_by_m: float,
    within=None,
) -> CandidateSites:
    """Candidates every ``step_m`` along the lines (inside ``within``, a WGS 84 polygon, when
    given), none closer than ``min_spacing_m`` along a line to that line's stops."""
    to_wgs84 = transformer(srid, 4326)
    xs, ys, owner = [], [], []
    for number, line in enumerate(lines):
        coords = points_along(line.line, step_m)
        xs.append(coords[:, 0])
        ys.append(coords[:, 1])
        owner.append(np.full(len(coords), number))
    if not xs:
        return _empty()
    x, y, owner = np.concatenate(xs), np.concatenate(ys), np.concatenate(owner)
    lon, lat = to_wgs84.transform(x, y)
    lon, lat = np.asarray(lon), np.asarray(lat)
    if within is not None:
        # Long routes cross the whole region: keep only what lies inside before any pairing.
        inside = shapely.contains_xy(within, lon, lat)
        x, y, owner, lon, lat = x[inside], y[inside], owner[inside], lon[inside], lat[inside]
    keep = _first_of_each_site(x, y)
    x, y, owner, lon, lat = x[keep], y[keep], owner[keep], lon[keep], lat[keep]
    # Every line passing within pass_by_m of each candidate, and where along it the site is.
    point, line, along, _ = placements(
        line_index([item.line for item in lines]), np.column_stack([x, y]), pass_by_m
    )
    allowed = np.ones(len(x), dtype=bool)
    for number in np.unique(line):
        stops = lines[number].stops_along_m
        if not len(stops):
            continue
        on = line == number
        here = along[on]
        position = np.searchsorted(stops, here)
        before = stops[np.clip(position - 1, 0, len(stops) - 1)]
        after = stops[np.clip(position, 0, len(stops) - 1)]
        nearest = np.minimum(np.abs(here - before), np.abs(after - here))
        allowed[point[on][nearest < min_spacing_m]] = False
    # Conflicts: pairs on one line closer than the spacing along it, all lines at once.
    order = np.lexsort((along, line))
    sorted_line, sorted_along, sorted_ids = line[order], along[order], point[order]
    pairs = []
    for shift in range(1, len(order)):
        close = (sorted_line[shift:] == sorted_line[:-shift]) & (
            (sorted_along[shift:] - sorted_along[:-shift]) < min_spacing_m
        )
        if not close.any():
            break
        pairs.append(np.column_stack([sorted_ids[:-shift][close], sorted_ids[shift:][close]]))
    index = np.full(len(x), -1)
    index[allowed] = np.arange(int(allowed.sum()))
    conflicts = np.zeros((0, 2), dtype=np.int64)
    if pairs:
        every = np.concatenate(pairs)
        every = every[allowed[every[:, 0]] & allowed[every[:, 1]] & (every[:, 0] != every[:, 1])]
        every = np.sort(index[every], axis=1)
        conflicts = np.unique(every, axis=0) if len(every) else conflicts
    owner = owner[allowed]
    return CandidateSites(
        x=x[allowed],
        y=y[allowed],
        lon=lon[allowed],
        lat=lat[allowed],
        route_id=np.array([lines[o].route_id for o in owner], dtype=np.int64),
        route_name=[lines[o].name for o in owner],
        conflicts=conflicts.astype(np.int64),
    )


def points_along(line: LineString, step_m: float) -> np.ndarray:
    """Points every ``step_m`` from the line's start, as (x, y) rows.

    Vectorised over the line's vertices: GEOS walks a long route's thousands of vertices again
    for every point it interpolates, which costs seconds for a city.
    """
    vertices = shapely.get_coordinates(line)
    lengths = np.hypot(*np.diff(vertices, axis=0).T)
    cumulative = np.concatenate([[0.0], np.cumsum(lengths)])
    along = np.arange(0.0, cumulative[-1] + 1e-9, step_m)
    segment = np.clip(np.searchsorted(cumulative, along, side="right") - 1, 0, len(lengths) - 1)
    safe = np.where(lengths[segment] > 0, lengths[segment], 1.0)
    fraction = np.clip((along - cumulative[segment]) / safe, 0.0, 1.0)
    start, end = vertices[segment], vertices[segment + 1]
    return start + fraction[:, None] * (end - start)


def _first_of_each_site(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A mask keeping one candidate of each cluster closer than SAME_SITE_M (the first)."""
    keep = np.ones(len(x), dtype=bool)
    if len(x) < 2:
        return keep
    pairs = cKDTree(np.column_stack([x, y])).query_pairs(SAME_SITE_M, output_type="ndarray")
    if len(pairs) == 0:
        return keep
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    for first, second in pairs:
        if keep[first]:
            keep[second] = False
    return keep


def _empty() -> CandidateSites:
    nothing = np.array([])
    return CandidateSites(
        nothing,
        nothing,
        nothing,
        nothing,
        np.array([], dtype=np.int64),
        [],
        np.zeros((0, 2), dtype=np.int64),
    )


def with_site(candidates: CandidateSites, lon: float, lat: float, srid: int) -> CandidateSites:
    """The candidates and one more site last (a resident's pin, weighed the same way), on no
    route and in conflict with none."""
    to_metric = transformer(4326, srid)
    x, y = to_metric.transform(lon, lat)
    return CandidateSites(
        x=np.append(candidates.x, x),
        y=np.append(candidates.y, y),
        lon=np.append(candidates.lon, lon),
        lat=np.append(candidates.lat, lat),
        route_id=np.append(candidates.route_id, -1).astype(np.int64),
        route_name=[*candidates.route_name, ""],
        conflicts=candidates.conflicts,
    )
