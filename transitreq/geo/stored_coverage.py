"""Reading the stored coverage: a catchment's population, its newly served people and who
serves the rest, as sums over rows found through the spatial index (``geo/coverage_refresh.py``
writes them).

Points: one scan of the units inside the circle, summing people, people within reach of a stop
(by their stored distances) and people within reach of each mode, all at once. Polygons: the
areal share of each unit inside the circle (as ``geo/catchment.py``), and of each stored part
(beyond every stop, within reach of a mode) inside it.

Every statement here is built once per shape (backend, dataset kind, radius, mode rules) with
bound parameters for the site, box and dataset, and reused: SQLAlchemy then neither rebuilds
the expression nor recompiles it for each site.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

from shapely.geometry import Point
from sqlalchemy import (
    Float,
    Integer,
    Select,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from transitreq.backends import Backend, backend_of
from transitreq.db import execute_built
from transitreq.geo.bound_site import bound_box, bound_circle_metric, bound_srid, site_values
from transitreq.geo.coverage_refresh import settings_key
from transitreq.geo.modes import ModeRules
from transitreq.models import (
    BEYOND,
    POINTS,
    SERVED,
    WGS84_SRID,
    CoveragePart,
    CoverageState,
    PopulationDataset,
    PopulationUnit,
)
from transitreq.models.coverage import stop_revision
from transitreq.models.population import STORED_MODES, nearest_stop_column

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredCatchment:
    population: float
    newly_served: float
    # (mode, people already within reach of a stop of that mode), modes with people only.
    served_by: list[tuple[str, float]]


def _parameters(dataset_id: int, site: Point, radius_m: float, srid: int) -> dict:
    return {"dataset_id": dataset_id, **site_values(site, radius_m, srid)}


def _rules_key(rules: ModeRules) -> tuple:
    return tuple(sorted(rules.catchment_m.items())), tuple(sorted(rules.new_stop_modes))


def _served_anywhere(radius_m: float, catchment_m: tuple[tuple[str, int], ...]):
    """SQL on a unit's row: some stop reaches it at ``radius_m`` (a stop within the radius, or
    a station of a mode reaching farther within that mode's catchment)."""
    reached = [PopulationUnit.nearest_stop_m <= radius_m]
    reached += [
        nearest_stop_column(mode) <= float(metres)
        for mode, metres in catchment_m
        if metres > radius_m
    ]
    return or_(*reached)


@lru_cache(maxsize=64)
def _points_statement(backend: Backend, radius_m: float, rules_key: tuple) -> Select:
    catchment_m, _ = rules_key
    reach = dict(catchment_m)
    people = PopulationUnit.population
    circle_wgs84 = select(func.ST_Transform(bound_circle_metric(), WGS84_SRID)).scalar_subquery()
    served = [_served_anywhere(radius_m, catchment_m)]
    served += [
        nearest_stop_column(mode) <= max(float(radius_m), float(reach.get(mode, 0)))
        for mode in STORED_MODES
    ]
    return select(
        func.coalesce(func.sum(people), literal(0.0)),
        *(
            func.coalesce(func.sum(case((test, people), else_=0.0)), literal(0.0))
            for test in served
        ),
    ).where(
        PopulationUnit.dataset_id == bindparam("dataset_id", type_=Integer),
        backend.in_box(PopulationUnit.geom, bound_box()),
        backend.intersects(PopulationUnit.geom, circle_wgs84),
    )


@lru_cache(maxsize=16)
def _polygon_population_statement(backend: Backend) -> Select:
    """People inside the circle, each polygon by the share of its area inside."""
    circle = select(bound_circle_metric()).scalar_subquery()
    srid = bound_srid()
    candidates = (
        select(
            PopulationUnit.population.label("population"),
            func.ST_Transform(PopulationUnit.geom, srid).label("shape"),
        )
        .where(
            PopulationUnit.dataset_id == bindparam("dataset_id", type_=Integer),
            backend.in_box(PopulationUnit.geom, bound_box()),
        )
        .subquery()
    )
    share = case(
        (func.ST_Area(candidates.c.shape) <= 0, 0.0),
        else_=cast(func.ST_Area(func.ST_Intersection(candidates.c.shape, circle)), Float)
        / func.ST_Area(candidates.c.shape),
    )
    return select(func.coalesce(func.sum(candidates.c.population * share), literal(0.0)))


@lru_cache(maxsize=16)
def _polygon_parts_statement(backend: Backend) -> Select:
    """Per stored part kind and mode: the people of those parts inside the circle."""
    circle = select(bound_circle_metric()).scalar_subquery()
    srid = bound_srid()
    part = CoveragePart
    inside_m2 = cast(
        func.ST_Area(func.ST_Intersection(func.ST_Transform(part.geom, srid), circle)), Float
    )
    return (
        select(part.kind, part.mode, func.sum(part.people_per_m2 * inside_m2))
        .where(
            part.dataset_id == bindparam("dataset_id", type_=Integer),
            part.radius_m == bindparam("radius_key", type_=Integer),
            backend.in_box(part.geom, bound_box()),
        )
        .group_by(part.kind, part.mode)
    )


def _points_catchment(
    session: Session, dataset: PopulationDataset, parameters: dict, radius_m: float, rules
) -> StoredCatchment:
    statement = _points_statement(backend_of(session), float(radius_m), _rules_key(rules))
    population, served, *by_mode = execute_built(session, statement, parameters).one()
    population, served = float(population or 0.0), float(served or 0.0)
    served_by = [
        (mode, float(people))
        for mode, people in zip(STORED_MODES, by_mode, strict=True)
        if served > 0 and people and people > 0
    ]
    return StoredCatchment(population, max(population - served, 0.0), sorted(served_by))


def _polygons_catchment(
    session: Session, dataset: PopulationDataset, parameters: dict, radius_m: int
) -> StoredCatchment:
    backend = backend_of(session)
    population = float(
        execute_built(session, _polygon_population_statement(backend), parameters).scalar() or 0.0
    )
    sums = {
        (kind, mode): float(people or 0.0)
        for kind, mode, people in execute_built(
            session, _polygon_parts_statement(backend), {**parameters, "radius_key": int(radius_m)}
        )
    }
    newly = min(sums.get((BEYOND, ""), 0.0), population)
    served_by = []
    if population - newly > 0:
        served_by = sorted(
            (mode, people) for (kind, mode), people in sums.items() if kind == SERVED and people > 0
        )
    return StoredCatchment(population, max(newly, 0.0), served_by)


def stored_catchment(
    session: Session,
    dataset: PopulationDataset,
    state: CoverageState,
    site: Point,
    radius_m: int,
    srid: int,
    rules: ModeRules,
) -> StoredCatchment | None:
    """The catchment's figures from the store; None when the store has no parts for this
    radius (a polygon dataset evaluated at a radius the app does not store)."""
    if dataset.geometry_kind != POINTS and radius_m not in state.radii_m:
        return None
    parameters = _parameters(dataset.id, site, radius_m, srid)
    if dataset.geometry_kind == POINTS:
        return _points_catchment(session, dataset, parameters, radius_m, rules)
    return _polygons_catchment(session, dataset, parameters, radius_m)


@lru_cache(maxsize=4)
def _state_statement() -> Select:
    revision = select(stop_revision.c.revision).where(stop_revision.c.id == 1).scalar_subquery()
    return select(CoverageState, revision).where(
        CoverageState.dataset_id == bindparam("dataset_id", type_=Integer)
    )


def fresh_state(
    session: Session,
    dataset: PopulationDataset,
    rules: ModeRules,
    radii_m: tuple[int, ...],
    configured_srid: int,
    quiet: bool = False,
) -> CoverageState | None:
    """The dataset's stored coverage when it was computed for today's stops and settings;
    None (with a warning in the log, unless ``quiet``) when it is missing or stale, so callers
    measure afresh rather than trust it."""
    row = session.execute(_state_statement(), {"dataset_id": dataset.id}).first()
    if row is None:
        problem = "there is none"
    elif row[0].stops_revision != row[1]:
        problem = "it was computed for other stops"
    elif row[0].settings_key != settings_key(rules, radii_m, configured_srid):
        problem = "it was computed with other settings"
    else:
        return row[0]
    if not quiet:
        log.warning(
            "stored coverage of population dataset %r not used (%s): measuring afresh; "
            "run flask refresh-coverage",
            dataset.name,
            problem,
        )
    return None
