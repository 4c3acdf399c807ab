"""The people no existing stop serves yet, by straight line, as weighted points a set of circles
can count: what "newly served" in site evaluation (``geo/catchment.py``) subtracts, for a
whole area at once.

A unit is *already served* where it lies within the reach of some stop, each stop reaching as
far as its modes do (``geo/modes.py``). Population points count whole, so each unserved point
is one piece. Polygons count by area: a polygon's unserved part (the polygon less every stop's
circle) keeps its people per square metre, and is represented for the optimisation by a
lattice of sample points, each carrying the people of its lattice cell; the figures reported
for the chosen stops are then measured exactly on the unserved parts themselves
(``newly_served_by_circles``), so no sampling error reaches a planner.

``unserved_people`` is the one place "already served" is decided for suggestions; a stored
distance from each unit to its nearest stop could answer it instead without touching the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import cKDTree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transitreq.backends import backend_of
from transitreq.geo.metric import BoundingBox
from transitreq.geo.metric_crs import transformer
from transitreq.geo.modes import ModeRules
from transitreq.geo.sql import CIRCLE_QUADRANT_SEGMENTS
from transitreq.models import POINTS, PopulationDataset, PopulationUnit, Stop, StopMode

# Lattice spacing sampling polygons' unserved parts for the optimisation.
SAMPLE_STEP_M = 20.0


@dataclass(frozen=True)
class UnservedPeople:
    """Pieces of unserved population: metric coordinates and people in each. For polygon
    datasets also the unserved parts themselves (metric) and their people per m²."""

    x: np.ndarray
    y: np.ndarray
    people: np.ndarray
    parts: np.ndarray | None = None  # shapely geometries
    density: np.ndarray | None = None


@dataclass(frozen=True)
class ExistingStops:
    x: np.ndarray
    y: np.ndarray
    reach_m: np.ndarray


def existing_stops(
    session: Session, box: BoundingBox, radius_m: float, srid: int, rules: ModeRules
) -> ExistingStops:
    """Every stop in ``box`` with how far it serves people at ``radius_m``."""
    rows = session.execute(
        select(Stop.id, func.ST_X(Stop.location), func.ST_Y(Stop.location), StopMode.mode)
        .outerjoin(StopMode, StopMode.stop_id == Stop.id)
        .where(backend_of(session).in_box(Stop.location, box))
    ).all()
    reach: dict[int, float] = {}
    where: dict[int, tuple[float, float]] = {}
    for stop_id, lon, lat, mode in rows:
        where[stop_id] = (lon, lat)
        mode_reach = rules.reach_m(mode, radius_m) if mode else float(radius_m)
        reach[stop_id] = max(reach.get(stop_id, float(radius_m)), mode_reach)
    if not where:
        return ExistingStops(np.array([]), np.array([]), np.array([]))
    ids = sorted(where)
    lon, lat = np.array([where[i] for i in ids]).T
    x, y = transformer(4326, srid).transform(lon, lat)
    return ExistingStops(np.asarray(x), np.asarray(y), np.array([reach[i] for i in ids]))


def _served_points(stops: ExistingStops, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    served = np.zeros(len(x), dtype=bool)
    if len(stops.x) == 0 or len(x) == 0:
        return served
    tree = cKDTree(np.column_stack([stops.x, stops.y]))
    farthest = float(stops.reach_m.max())
    distance, nearest = tree.query(np.column_stack([x, y]), distance_upper_bound=farthest)
    found = np.isfinite(distance)
    served[found] = distance[found] <= stops.reach_m[nearest[found]]
    if len(np.unique(stops.reach_m)) > 1:
        # A farther-reaching stop behind the nearest one may still serve the point.
        for reach in np.unique(stops.reach_m):
            of_reach = stops.reach_m == reach
            sub = cKDTree(np.column_stack([stops.x[of_reach], stops.y[of_reach]]))
            left = ~served
            d, _ = sub.query(np.column_stack([x[left], y[left]]), distance_upper_bound=reach)
            served[np.flatnonzero(left)[np.isfinite(d) & (d <= reach)]] = True
    return served


def stop_circles(stops: ExistingStops) -> np.ndarray:
    """Each stop's reach as the polygon site evaluation draws."""
    return shapely.buffer(
        shapely.points(np.column_stack([stops.x, stops.y])),
        stops.reach_m,
        quad_segs=CIRCLE_QUADRANT_SEGMENTS,
    )


def unserved_people(
    session: Session,
    dataset: PopulationDataset,
    box: BoundingBox,
    radius_m: float,
    srid: int,
    rules: ModeRules,
    stops: ExistingStops,
) -> UnservedPeople:
    """The dataset's people in ``box`` whom no stop in ``stops`` serves at ``radius_m``."""
    backend = backend_of(session)
    in_box = (PopulationUnit.dataset_id == dataset.id) & backend.in_box(PopulationUnit.geom, box)
    to_metric = transformer(4326, srid)
    if dataset.geometry_kind == POINTS:
        result = session.connection().execute(
            select(
                func.ST_X(PopulationUnit.geom),
                func.ST_Y(PopulationUnit.geom),
                PopulationUnit.population,
            ).where(in_box)
        )
        try:
            # Straight from the driver's cursor: NumPy probing a million Row objects for
            # array attributes costs more than the query.
            table = np.array(result.cursor.fetchall(), dtype=float).reshape(-1, 3)
        finally:
            result.close()
        x, y = to_metric.transform(table[:, 0], table[:, 1])
        x, y = np.asarray(x), np.asarray(y)
        left = ~_served_points(stops, x, y) & (table[:, 2] > 0)
        return UnservedPeople(x[left], y[left], table[left, 2])
    rows = session.execute(
        select(func.ST_AsBinary(PopulationUnit.geom), PopulationUnit.population).where(in_box)
    ).all()
    shapes = shapely.from_wkb([bytes(row[0]) for row in rows])
    people = np.array([row[1] for row in rows], dtype=float)
    shapes = shapely.transform(
        shapes, lambda xy: np.column_stack(to_metric.transform(xy[:, 0], xy[:, 1]))
    )
    areas = shapely.area(shapes)
    density = np.where(areas > 0, people / np.where(areas > 0, areas, 1.0), 0.0)
    parts = _unserved_parts(shapes, stops)
    keep = (density > 0) & ~shapely.is_empty(parts)
    parts, density = parts[keep], density[keep]
    x, y, weight = _lattice(parts, density)
    return UnservedPeople(x, y, weight, parts, density)


def _unserved_parts(shapes: np.ndarray, stops: ExistingStops) -> np.ndarray:
    if len(stops.x) == 0 or len(shapes) == 0:
        return shapes
    circles = stop_circles(stops)
    tree = shapely.STRtree(circles)
    unit_index, circle_index = tree.query(shapes, predicate="intersects")
    parts = shapes.copy()
    if len(unit_index) == 0:
        return parts
    # A unit inside one stop's circle is served whole: no union needed to know it.
    inside, _ = tree.query(shapes, predicate="within")
    whole = np.zeros(len(shapes), dtype=bool)
    whole[inside] = True
    parts[whole] = shapely.Polygon()
    partly = ~whole[unit_index]
    unit_index, circle_index = unit_index[partly], circle_index[partly]
    if len(unit_index) == 0:
        return parts
    order = np.argsort(unit_index, kind="stable")
    unit_index, circle_index = unit_index[order], circle_index[order]
    bounds = np.flatnonzero(np.diff(unit_index)) + 1
    for units, circle_group in zip(
        np.split(unit_index, bounds), np.split(circle_index, bounds), strict=True
    ):
        unit = units[0]
        parts[unit] = shapely.difference(shapes[unit], shapely.union_all(circles[circle_group]))
    return parts


def _lattice(parts: np.ndarray, density: np.ndarray) -> tuple[np.ndarray, ...]:
    """Sample points on a lattice fixed to the CRS (so neighbouring parts tile it), each
    carrying its cell's people; a part too small to hold a lattice point keeps one point at a
    representative point, carrying all its people."""
    step = SAMPLE_STEP_M
    xs, ys, weights = [], [], []
    bounds = shapely.bounds(parts)
    for part, people_per_m2, (min_x, min_y, max_x, max_y) in zip(
        parts, density, bounds, strict=True
    ):
        gx = np.arange(np.ceil(min_x / step) * step, max_x, step)
        gy = np.arange(np.ceil(min_y / step) * step, max_y, step)
        inside = np.zeros(0, dtype=bool)
        if len(gx) and len(gy):
            grid_x, grid_y = np.meshgrid(gx, gy)
            grid_x, grid_y = grid_x.ravel(), grid_y.ravel()
            inside = shapely.contains_xy(part, grid_x, grid_y)
        total = float(shapely.area(part)) * people_per_m2
        if inside.sum() == 0:
            point = shapely.get_coordinates(shapely.point_on_surface(part))[0]
            xs.append(point[:1])
            ys.append(point[1:])
            weights.append(np.array([total]))
            continue
        xs.append(grid_x[inside])
        ys.append(grid_y[inside])
        # The part's people shared among its points: sums stay exact, positions approximate.
        weights.append(np.full(int(inside.sum()), total / inside.sum()))
    if not xs:
        return np.array([]), np.array([]), np.array([])
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(weights)


def newly_served_by_circles(
    unserved: UnservedPeople, centres: np.ndarray, radius_m: float
) -> list[float]:
    """People each circle newly serves beyond the circles before it (rank order): exact for
    polygons (their unserved parts' areas), whole points inside for points."""
    circles = shapely.buffer(shapely.points(centres), radius_m, quad_segs=CIRCLE_QUADRANT_SEGMENTS)
    marginal = []
    if unserved.parts is None:
        taken = np.zeros(len(unserved.x), dtype=bool)
        tree = cKDTree(np.column_stack([unserved.x, unserved.y])) if len(unserved.x) else None
        for circle in circles:
            if tree is None:
                marginal.append(0.0)
                continue
            (cx, cy) = shapely.get_coordinates(shapely.centroid(circle))[0]
            near = np.array(tree.query_ball_point((cx, cy), radius_m + 1.0), dtype=np.int64)
            near = near[~taken[near]] if len(near) else near
            inside = near[shapely.contains_xy(circle, unserved.x[near], unserved.y[near])]
            marginal.append(float(unserved.people[inside].sum()))
            taken[inside] = True
        return marginal
    tree = shapely.STRtree(unserved.parts)
    earlier = None
    for circle in circles:
        region = circle if earlier is None else shapely.difference(circle, earlier)
        touched = tree.query(region, predicate="intersects")
        areas = shapely.area(shapely.intersection(unserved.parts[touched], region))
        marginal.append(float((areas * unserved.density[touched]).sum()))
        earlier = circle if earlier is None else shapely.union(earlier, circle)
    return marginal
