"""Where people live beyond a walk of every stop: the coverage gap measured along the streets.

The walking measure counts units whole (a polygon by its centroid, step 5 of the method), so the
gap is made of whole units: each unit in the box that no stop reaches on foot within the radius
(each stop as far as its modes walk), with all its people, and every unit no street comes within
100 m of. Units, stops and edges are read through the spatial index; the walk is the same one
the evaluation takes (``geo/walk_catchment.py``).
"""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import Geod
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from transitreq.backends import backend_of
from transitreq.geo.coverage import PopulationPart, grown, points_or_grid
from transitreq.geo.metric import BoundingBox
from transitreq.geo.modes import ModeRules
from transitreq.geo.streets import edges_in
from transitreq.geo.walk_catchment import (
    linked_points,
    modes_of,
    served_on_foot,
    stop_reach_m,
    stops_statement,
)
from transitreq.geo.walking import graph_of
from transitreq.models import POINTS, PopulationDataset, PopulationUnit, StreetLink, StreetNetwork

_WGS84 = Geod(ellps="WGS84")


def walking_coverage_gap(
    session: Session,
    network: StreetNetwork,
    dataset: PopulationDataset,
    box: BoundingBox,
    radius_m: float,
    rules: ModeRules,
) -> list[PopulationPart]:
    """The units in ``box`` no stop reaches within a ``radius_m`` walk, with their people."""
    link = StreetLink
    rows = session.execute(
        select(
            func.ST_AsBinary(PopulationUnit.geom),
            PopulationUnit.population,
            link.edge_id,
            link.along_m,
            link.link_m,
        )
        .outerjoin(
            link, and_(link.population_unit_id == PopulationUnit.id, link.network_id == network.id)
        )
        .where(
            PopulationUnit.dataset_id == dataset.id,
            backend_of(session).in_box(PopulationUnit.geom, box),
        )
        .order_by(PopulationUnit.id)
    ).all()
    if not rows:
        return []
    shapes = shapely.from_wkb([bytes(row[0]) for row in rows])
    # Every walk from a stop to a unit stays within the farthest reach of the unit's centroid.
    lon, lat = shapely.get_x(shapely.centroid(shapes)), shapely.get_y(shapely.centroid(shapes))
    around = BoundingBox(
        min(box.min_lon, lon.min()),
        min(box.min_lat, lat.min()),
        max(box.max_lon, lon.max()),
        max(box.max_lat, lat.max()),
    )
    search = grown(around, rules.farthest_reach_m(radius_m))
    graph = graph_of(edges_in(session, network, search))
    linked = [
        (-1, 0.0, np.inf) if edge_id is None else (edge_id, along_m, link_m)
        for *_, edge_id, along_m, link_m in rows
    ]
    units = linked_points(graph, linked)
    stop_rows = session.execute(stops_statement(session, network.id, search)).all()
    stops = linked_points(graph, [row[:3] for row in stop_rows])
    reach_m = stop_reach_m(modes_of(session, [row[3] for row in stop_rows]), rules, radius_m, None)
    everyone = np.ones(len(rows), dtype=bool)
    served = served_on_foot(graph, stops, units, everyone, reach_m)
    left_out = [(shapes[index], float(rows[index][1])) for index in np.flatnonzero(~served)]
    if dataset.geometry_kind == POINTS:
        return points_or_grid(left_out, box)
    return [
        PopulationPart(
            shape, people, abs(_WGS84.geometry_area_perimeter(shape)[0]) / 1e6, "polygon"
        )
        for shape, people in left_out
    ]
