"""How many people live within walking distance of a site, and how many of them are new to transit.

Population units are polygons or points. A polygon counts by the share of its area inside the
catchment (areal weighting); a point counts whole when inside. All areas are in the metric CRS.
"""

from __future__ import annotations

from functools import lru_cache

from shapely.geometry import Point
from sqlalchemy import Float, Select, case, cast, func, literal, select
from sqlalchemy.orm import Session

from transitreq.backends import Backend, backend_of
from transitreq.geo.bound_site import bound_box
from transitreq.geo.metric import box_around, point_literal
from transitreq.geo.modes import ModeRules, stop_has_mode, stop_reach_m
from transitreq.geo.sql import CIRCLE_QUADRANT_SEGMENTS, SqlGeometry, circle, metric
from transitreq.models import (
    POINTS,
    WGS84_SRID,
    PopulationDataset,
    PopulationUnit,
    Stop,
    StopMode,
)


def population_statement(
    backend: Backend,
    dataset: PopulationDataset,
    region: SqlGeometry,
    site: Point,
    radius_m: float,
    srid: int,
) -> Select:
    """The query summing population inside ``region``; separate so tests can EXPLAIN it.

    ``region`` is a metric-CRS geometry lying within ``radius_m`` of the site, so candidate
    units are found through the spatial index in the box around that circle. Each region is an
    uncorrelated scalar subquery: computed once per statement on both backends (and one prepared
    geometry for PostGIS), never once per unit.
    """
    box = box_around(site.x, site.y, radius_m)
    near_site = (PopulationUnit.dataset_id == dataset.id) & backend.in_box(PopulationUnit.geom, box)
    if dataset.geometry_kind == POINTS:
        # Whether a point lies inside does not depend on the CRS, so the region (drawn in
        # metres) is brought to WGS 84 once rather than every candidate point to metres.
        region_wgs84 = select(func.ST_Transform(region, WGS84_SRID)).scalar_subquery()
        inside = backend.intersects(PopulationUnit.geom, region_wgs84)
        return select(func.coalesce(func.sum(PopulationUnit.population), literal(0.0))).where(
            near_site & inside
        )
    region = select(region).scalar_subquery()
    candidates = (
        select(
            PopulationUnit.population.label("population"),
            metric(PopulationUnit.geom, srid).label("shape"),
        )
        .where(near_site)
        .subquery()
    )
    share = case(
        (func.ST_Area(candidates.c.shape) <= 0, 0.0),
        else_=cast(func.ST_Area(func.ST_Intersection(candidates.c.shape, region)), Float)
        / func.ST_Area(candidates.c.shape),
    )
    return select(func.coalesce(func.sum(candidates.c.population * share), literal(0.0)))


def _population_in(
    session: Session, dataset: PopulationDataset, region, site: Point, radius_m: float, srid: int
) -> float:
    backend = backend_of(session)
    statement = population_statement(backend, dataset, region, site, radius_m, srid)
    return float(session.scalar(statement) or 0.0)


def catchment_circle(site: Point, radius_m: float, srid: int):
    """The walking catchment as a metric-CRS polygon expression."""
    return circle(metric(point_literal(site.x, site.y), srid), radius_m)


def population_within(
    session: Session, dataset: PopulationDataset, site: Point, radius_m: float, srid: int
) -> float:
    """People living within ``radius_m`` of ``site``."""
    catchment = catchment_circle(site, radius_m, srid)
    return _population_in(session, dataset, catchment, site, radius_m, srid)


def covered_by_stops(
    backend: Backend,
    site: Point,
    radius_m: float,
    srid: int,
    rules: ModeRules,
    mode: str | None = None,
) -> SqlGeometry:
    """SQL for the area near the site already served by a stop (of ``mode``, when given), each
    stop reaching as far as its modes do (``geo/modes.py``).

    Only stops whose reach can overlap the site's catchment are read; with no stop there the
    union is NULL.
    """
    # Served by one mode: that mode's own reach, not the farthest of the stop's modes (a bus
    # stop beside a metro station serves its bus riders within the radius only).
    reach_m = stop_reach_m(rules, radius_m) if mode is None else rules.reach_m(mode, radius_m)
    search_m = radius_m + rules.farthest_reach_m(radius_m)
    statement = select(
        func.ST_Union(
            func.ST_Buffer(metric(Stop.location, srid), reach_m, CIRCLE_QUADRANT_SEGMENTS)
        )
    ).where(backend.in_box(Stop.location, box_around(site.x, site.y, search_m)))
    if mode is not None:
        statement = statement.where(stop_has_mode(mode, rules))
    return statement.scalar_subquery()


def population_already_served(
    session: Session,
    dataset: PopulationDataset,
    site: Point,
    radius_m: float,
    srid: int,
    rules: ModeRules,
    mode: str | None = None,
) -> float:
    """People within ``radius_m`` of the site already served by a stop (of ``mode``)."""
    backend = backend_of(session)
    served_part = func.ST_Intersection(
        catchment_circle(site, radius_m, srid),
        covered_by_stops(backend, site, radius_m, srid, rules, mode),
    )
    return _population_in(session, dataset, served_part, site, radius_m, srid)


def modes_near(session: Session, site: Point, search_m: float) -> list[str]:
    """The modes trips call with at stops within ``search_m`` of the site (box)."""
    backend = backend_of(session)
    modes = session.scalars(
        select(StopMode.mode)
        .join(Stop, Stop.id == StopMode.stop_id)
        .where(backend.in_box(Stop.location, box_around(site.x, site.y, search_m)))
        .distinct()
    )
    return sorted(modes)


@lru_cache(maxsize=4)
def latest_dataset_near_statement(backend: Backend) -> Select:
    """The latest imported population dataset with a unit in the bound box (``bound_box``),
    or no row."""
    unit_in_box = (
        select(PopulationUnit.id)
        .where(PopulationUnit.dataset_id == PopulationDataset.id)
        .where(backend.in_box(PopulationUnit.geom, bound_box()))
        .correlate(PopulationDataset)
    )
    return (
        select(PopulationDataset)
        .where(unit_in_box.exists())
        .order_by(PopulationDataset.imported_at.desc(), PopulationDataset.id.desc())
        .limit(1)
    )
