"""A planner's evidence for a candidate stop site, each number one geometry query in metres."""

from __future__ import annotations

from dataclasses import dataclass, field

from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.orm import Session

from transitreq.errors import ValidationFailed
from transitreq.geo.catchment import (
    datasets_with_units_near,
    population_newly_served,
    population_within,
)
from transitreq.geo.metric_crs import metric_srid
from transitreq.geo.nearby import demand_within
from transitreq.geo.network import (
    NearbyStop,
    PassingRoute,
    StopSpacing,
    nearest_stops,
    routes_within,
    stop_spacing,
)
from transitreq.models import PopulationDataset, RequestStatus
from transitreq.services.placement import placement_problem
from transitreq.services.scoring import Score, ScoreWeights, score_site

# Requests that still speak for demand at a place: not turned down, not merged elsewhere.
_DEMAND_STATUSES = (
    RequestStatus.SUBMITTED,
    RequestStatus.UNDER_REVIEW,
    RequestStatus.NEEDS_INFO,
    RequestStatus.APPROVED,
)
MAX_RADIUS_M = 3000


@dataclass(frozen=True)
class EvaluationSettings:
    catchment_radii_m: tuple[int, ...] = (400, 800)
    # The catchment whose newly served population the score uses: fixed by the deployment, so a
    # planner asking for other radii does not change the score.
    score_radius_m: int = 400
    pass_by_m: float = 50.0
    min_stop_spacing_m: float = 300.0
    demand_radius_m: float = 300.0
    metric_srid: int = 0
    weights: ScoreWeights = field(default_factory=ScoreWeights)


@dataclass(frozen=True)
class Catchment:
    radius_m: int
    population: float | None
    newly_served: float | None


@dataclass(frozen=True)
class Demand:
    radius_m: float
    requests: int
    supporters: int

    @property
    def residents(self) -> int:
        """Everyone asking: each request's reporter plus its supporters."""
        return self.requests + self.supporters


@dataclass(frozen=True)
class SiteEvaluation:
    lat: float
    lon: float
    metric_srid: int
    placement_problem: str | None
    population_dataset: str | None
    catchments: list[Catchment]
    nearest_stops: list[NearbyStop]
    routes_in_catchment: list[PassingRoute]
    routes_passing_by: list[PassingRoute]
    spacing: list[StopSpacing]
    too_close_to_a_stop: bool
    demand: Demand
    score: Score


def parse_radii(text: str) -> tuple[int, ...]:
    """ "400,800" → (400, 800); each a whole number of metres from 1 to MAX_RADIUS_M."""
    try:
        radii = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise ValidationFailed({"radii": "radii must be whole metres, e.g. 400,800."}) from None
    if not radii or len(radii) > 4 or not all(1 <= radius <= MAX_RADIUS_M for radius in radii):
        raise ValidationFailed({"radii": f"Give one to four radii from 1 to {MAX_RADIUS_M} m."})
    return radii


def current_population_dataset(
    session: Session, name: str | None = None, site: Point | None = None, radius_m: float = 0
) -> PopulationDataset | None:
    """The named dataset; else the latest one with people near the site; else the latest one.

    With the demo city and a real city both loaded, a site is weighed against the layer that
    covers it, not merely the one imported last.
    """
    statement = select(PopulationDataset)
    if name:
        dataset = session.scalars(statement.where(PopulationDataset.name == name)).first()
        if dataset is None:
            raise ValidationFailed({"dataset": f"No population dataset is called “{name}”."})
        return dataset
    latest_first = statement.order_by(
        PopulationDataset.imported_at.desc(), PopulationDataset.id.desc()
    )
    if site is not None:
        covering = datasets_with_units_near(session, site, radius_m)
        dataset = session.scalars(latest_first.where(PopulationDataset.id.in_(covering))).first()
        if dataset is not None:
            return dataset
    return session.scalars(latest_first).first()


def _catchments(session, dataset, site, radii, srid) -> list[Catchment]:
    if dataset is None:
        return [Catchment(radius, None, None) for radius in radii]
    catchments = []
    for radius in radii:
        population = population_within(session, dataset, site, radius, srid)
        newly = population_newly_served(session, dataset, site, radius, srid, population)
        catchments.append(Catchment(radius, population, newly))
    return catchments


def _demand(session: Session, site: Point, radius_m: float) -> Demand:
    requests, supporters = demand_within(session, site, radius_m, _DEMAND_STATUSES)
    return Demand(radius_m, requests, supporters)


def _too_close(spacing: list[StopSpacing], min_spacing_m: float) -> bool:
    return any(
        distance_m is not None and distance_m < min_spacing_m
        for item in spacing
        for distance_m in (item.previous_m, item.next_m)
    )


def _score(
    session: Session,
    site: Point,
    settings: EvaluationSettings,
    srid: int,
    dataset: PopulationDataset | None,
    catchments: list[Catchment],
    passing: list[PassingRoute],
    spacing: list[StopSpacing],
    demand: Demand,
) -> Score:
    scored = (
        next((item for item in catchments if item.radius_m == settings.score_radius_m), None)
        or _catchments(session, dataset, site, (settings.score_radius_m,), srid)[0]
    )
    return score_site(
        settings.weights,
        scored.newly_served,
        settings.score_radius_m,
        demand.residents,
        len(passing),
        _too_close(spacing, settings.min_stop_spacing_m),
    )


def site_score(session: Session, site: Point, settings: EvaluationSettings) -> Score:
    """Only the score, for storing beside a request when it is filed or supported.

    It runs on residents' submissions, so it reads just what the score needs: the scoring
    catchment, routes within the pass-by distance and their spacing, and demand.
    """
    srid = metric_srid(settings.metric_srid, site.x, site.y)
    # The same layer evaluate_site would choose, so both give the same score.
    largest_radius_m = max(*settings.catchment_radii_m, settings.score_radius_m)
    dataset = current_population_dataset(session, None, site, largest_radius_m)
    passing = routes_within(session, site, settings.pass_by_m, srid)
    spacing = stop_spacing(
        session, site, srid, [route.route_id for route in passing], settings.pass_by_m
    )
    demand = _demand(session, site, settings.demand_radius_m)
    return _score(session, site, settings, srid, dataset, [], passing, spacing, demand)


def evaluate_site(
    session: Session,
    site: Point,
    settings: EvaluationSettings,
    dataset_name: str | None = None,
) -> SiteEvaluation:
    """Everything a planner weighs about a stop at ``site``; reads only, writes nothing."""
    srid = metric_srid(settings.metric_srid, site.x, site.y)
    largest_radius_m = max(*settings.catchment_radii_m, settings.score_radius_m)
    dataset = current_population_dataset(session, dataset_name, site, largest_radius_m)
    catchments = _catchments(session, dataset, site, settings.catchment_radii_m, srid)
    in_catchment = routes_within(session, site, max(settings.catchment_radii_m), srid)
    passing = [route for route in in_catchment if route.distance_m <= settings.pass_by_m]
    spacing = stop_spacing(
        session, site, srid, [route.route_id for route in passing], settings.pass_by_m
    )
    demand = _demand(session, site, settings.demand_radius_m)
    score = _score(session, site, settings, srid, dataset, catchments, passing, spacing, demand)
    return SiteEvaluation(
        lat=site.y,
        lon=site.x,
        metric_srid=srid,
        placement_problem=placement_problem(session, site),
        population_dataset=dataset.name if dataset else None,
        catchments=catchments,
        nearest_stops=nearest_stops(session, site, srid),
        routes_in_catchment=in_catchment,
        routes_passing_by=passing,
        spacing=spacing,
        too_close_to_a_stop=score.spacing_penalty_applied,
        demand=demand,
        score=score,
    )
