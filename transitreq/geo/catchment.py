"""How many people live within walking distance of a site, and how many of them are new to transit.

Population units are polygons or points. A polygon counts by the share of its area inside the
catchment (areal weighting); a point counts whole when inside. All areas are in the metric CRS.
"""

from __future__ import annotations

from shapely.geometry import Point
from sqlalchemy import Float, Select, case, cast, func, literal, select
from sqlalchemy.orm import Session

from transitreq.geo.metric import box_around, point_literal
from transitreq.geo.spatial_index import in_box
from transitreq.geo.sql import SqlGeometry, circle, intersects, metric
from transitreq.models import POINTS, WGS84_SRID, PopulationDataset, PopulationUnit, Stop


def population_statement(
    dialect_name: str,
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
    near_site = (PopulationUnit.dataset_id == dataset.id) & in_box(
        dialect_name, PopulationUnit.geom, box
    )
    if dataset.geometry_kind == POINTS:
        # Whether a point lies inside does not depend on the CRS, so the region (drawn in
        # metres) is brought to WGS 84 once rather than every candidate point to metres.
        region_wgs84 = select(func.ST_Transform(region, WGS84_SRID)).scalar_subquery()
        inside = intersects(dialect_name, PopulationUnit.geom, region_wgs84)
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
    dialect_name = session.get_bind().dialect.name
    statement = population_statement(dialect_name, dataset, region, site, radius_m, srid)
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


def _covered_by_stops(dialect_name: str, site: Point, radius_m: float, srid: int) -> SqlGeometry:
    """SQL for the area already within ``radius_m`` of an existing stop, near the site.

    Only stops within twice the radius can overlap the site's catchment, so only those are read;
    with no stop there the union is NULL.
    """
    return (
        select(func.ST_Union(circle(metric(Stop.location, srid), radius_m)))
        .where(in_box(dialect_name, Stop.location, box_around(site.x, site.y, 2 * radius_m)))
        .scalar_subquery()
    )


def population_already_served(
    session: Session, dataset: PopulationDataset, site: Point, radius_m: float, srid: int
) -> float:
    """People within ``radius_m`` of the site who are already within ``radius_m`` of a stop."""
    dialect_name = session.get_bind().dialect.name
    served_part = func.ST_Intersection(
        catchment_circle(site, radius_m, srid),
        _covered_by_stops(dialect_name, site, radius_m, srid),
    )
    return _population_in(session, dataset, served_part, site, radius_m, srid)


def population_newly_served(
    session: Session,
    dataset: PopulationDataset,
    site: Point,
    radius_m: float,
    srid: int,
    population: float | None = None,
) -> float:
    """People within ``radius_m`` of the site who are not within ``radius_m`` of any stop today.

    Population adds up over disjoint areas, so this is everyone in the catchment less those
    already served: one query instead of subtracting the covered area from the catchment, and
    the union of stop circles never leaves the database. Pass ``population`` (the catchment's,
    already computed) to save that query too.
    """
    if population is None:
        population = population_within(session, dataset, site, radius_m, srid)
    served = population_already_served(session, dataset, site, radius_m, srid)
    return max(population - served, 0.0)


def datasets_with_units_near(session: Session, site: Point, radius_m: float) -> Select:
    """Ids of population datasets with at least one unit in the box around the catchment."""
    dialect_name = session.get_bind().dialect.name
    return (
        select(PopulationUnit.dataset_id)
        .where(in_box(dialect_name, PopulationUnit.geom, box_around(site.x, site.y, radius_m)))
        .distinct()
    )
