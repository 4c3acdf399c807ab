"""The walking area drawn on the planners' map: the streets reachable within a radius, buffered.

It is a picture of the catchment, not its measure: people count by their own walks (step 5),
not by standing inside this shape. Each reachable stretch of street (whole edges, and the parts
of edges a walk enters but cannot finish) is drawn ``WALK_AREA_BUFFER_M`` wide either side, in
the site's metric CRS.

The buffer is sampled on a grid of ``_CELL_M`` squares: a square belongs to the area when its
centre lies within the buffer distance of a reachable stretch, and the squares are merged as a
coverage (they never overlap). Buffering each of a thousand or more stretches exactly and
unioning the overlapping shapes took twice as long, most of an 800 m walking evaluation's extra
time, for a difference of under ``_CELL_M`` at the edge, which the map cannot show at the zoom
it opens at.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from transitreq.geo.metric_crs import transformer
from transitreq.geo.walk_catchment import WalkingScene

# How far either side of a reachable street the area is drawn: about the depth of the plots
# fronting it, so the shape reads as "the blocks along these streets", not as thin lines.
WALK_AREA_BUFFER_M = 40.0
_CELL_M = 10.0


def _reachable_stretches(scene: WalkingScene, radius_m: float) -> tuple[np.ndarray, ...]:
    """(edge number, metres along from, metres along to) of every stretch walked within
    ``radius_m``: from either end of an edge, and both ways from the site's own linked point."""
    graph, node_m = scene.graph, scene.from_site.node_m
    length = graph.edges.length_m
    left = np.clip(radius_m - node_m[graph.first], 0.0, None)
    right = np.clip(radius_m - node_m[graph.second], 0.0, None)
    edges = [np.flatnonzero(left > 0), np.flatnonzero(right > 0)]
    starts = [np.zeros(len(edges[0])), np.clip(length[edges[1]] - right[edges[1]], 0.0, None)]
    ends = [np.minimum(left[edges[0]], length[edges[0]]), length[edges[1]]]
    site = scene.site
    if len(site):
        left_m = radius_m - site.start_m
        if left_m > 0:
            edges.append(site.edge)
            starts.append(np.clip(site.along_m - left_m, 0.0, None))
            ends.append(np.minimum(site.along_m + left_m, length[site.edge]))
    return tuple(np.concatenate(parts) for parts in (edges, starts, ends))


def _sampled_buffer(lines: np.ndarray, distance_m: float) -> BaseGeometry:
    """The squares of a ``_CELL_M`` grid whose centres lie within ``distance_m`` of a line
    (two-point lines): candidates by bounding box through an STRtree, then the exact distance
    to each candidate segment in NumPy, many times faster than GEOS's distance per pair."""
    ends = shapely.get_coordinates(lines).reshape(-1, 2, 2)
    ax, ay, bx, by = ends[:, 0, 0], ends[:, 0, 1], ends[:, 1, 0], ends[:, 1, 1]
    min_x, min_y, max_x, max_y = shapely.total_bounds(lines)
    xs = np.arange(min_x - distance_m, max_x + distance_m + _CELL_M, _CELL_M)
    ys = np.arange(min_y - distance_m, max_y + distance_m + _CELL_M, _CELL_M)
    centre_x, centre_y = (grid.ravel() for grid in np.meshgrid(xs, ys))
    reach = shapely.box(
        np.minimum(ax, bx) - distance_m,
        np.minimum(ay, by) - distance_m,
        np.maximum(ax, bx) + distance_m,
        np.maximum(ay, by) + distance_m,
    )
    point, segment = shapely.STRtree(reach).query(shapely.points(centre_x, centre_y))
    dx, dy = bx[segment] - ax[segment], by[segment] - ay[segment]
    squared = dx * dx + dy * dy
    px, py = centre_x[point] - ax[segment], centre_y[point] - ay[segment]
    with np.errstate(invalid="ignore", divide="ignore"):
        along = np.where(squared > 0, np.clip((px * dx + py * dy) / squared, 0.0, 1.0), 0.0)
    inside = np.unique(point[np.hypot(along * dx - px, along * dy - py) <= distance_m])
    half = _CELL_M / 2
    squares = shapely.box(
        centre_x[inside] - half,
        centre_y[inside] - half,
        centre_x[inside] + half,
        centre_y[inside] + half,
    )
    return shapely.coverage_union_all(squares)


def walking_area(scene: WalkingScene, radius_m: float, srid: int) -> BaseGeometry | None:
    """The reachable streets within ``radius_m`` of the site, buffered, in WGS 84; None when
    the site reaches no street."""
    edge, start_m, end_m = _reachable_stretches(scene, radius_m)
    if len(edge) == 0:
        return None
    to_metric = transformer(4326, srid)
    coords = scene.graph.edges.coords[edge]
    x, y = to_metric.transform(coords[:, :, 0], coords[:, :, 1])
    length = scene.graph.edges.length_m[edge]
    with np.errstate(invalid="ignore", divide="ignore"):
        share_from = np.nan_to_num(start_m / length)
        share_to = np.nan_to_num(end_m / length, nan=1.0)
    dx, dy = x[:, 1] - x[:, 0], y[:, 1] - y[:, 0]
    lines = shapely.linestrings(
        np.stack(
            [
                np.column_stack([x[:, 0] + share_from * dx, y[:, 0] + share_from * dy]),
                np.column_stack([x[:, 0] + share_to * dx, y[:, 0] + share_to * dy]),
            ],
            axis=1,
        )
    )
    area = shapely.simplify(_sampled_buffer(lines, WALK_AREA_BUFFER_M), _CELL_M / 2)
    to_wgs84 = transformer(srid, 4326)
    return shapely.transform(
        area, lambda xy: np.column_stack(to_wgs84.transform(xy[:, 0], xy[:, 1]))
    )
