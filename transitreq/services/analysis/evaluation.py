"""A planner's evidence for a candidate stop site, each number one geometry query in metres.

Population is measured two ways: within a straight-line circle (always), and along the streets
(whenever an imported street network covers the site, ``geo/walk_catchment.py``). The score uses
the walking catchment when there is one: it is what a stop really serves.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from transitreq.backends import backend_of
from transitreq.errors import ValidationFailed
from transitreq.geo.bound_site import site_values
from transitreq.geo.catchment import (
    latest_dataset_near_statement,
    modes_near,
    population_already_served,
    population_within,
)
from transitreq.geo.metric_crs import metric_srid
from transitreq.geo.modes import ModeRules
from transitreq.geo.nearby import demand_within
from transitreq.geo.network import (
    NearbyStop,
    PassingRoute,
    StopSpacing,
    nearest_stops,
    routes_within,
    stop_spacing,
)
from transitreq.geo.stored_coverage import fresh_state, stored_catchment
from transitreq.geo.streets import covering_network
from transitreq.geo.walk_area import walking_area
from transitreq.geo.walk_catchment import read_scene, walking_figures
from transitreq.i18n import _
from transitreq.models import CoverageState, PopulationDataset, StreetNetwork
from transitreq.services.analysis.scoring import Score, ScoreWeights, score_site
from transitreq.services.requests.placement import placement_problem
from transitreq.services.requests.rules import OPEN

MAX_RADIUS_M = 3000
# The radius of the planners' coverage-gap layer: stored with the catchment radii.
COVERAGE_GAP_RADIUS_M = 400
# How a catchment was measured: within a circle, or along the streets.
STRAIGHT_LINE = "straight_line"
WALK = "walk"


@dataclass(frozen=True)
class EvaluationSettings:
    """How a site is weighed (CATCHMENT_RADII_M, PASS_BY_M…), built from config."""

    catchment_radii_m: tuple[int, ...]
    # The catchment whose newly served population the score uses: fixed by the deployment, so a
    # planner asking for other radii does not change the score.
    score_radius_m: int
    pass_by_m: float
    min_stop_spacing_m: float
    demand_radius_m: float
    # 0: the site's UTM zone.
    metric_srid: int
    weights: ScoreWeights
    modes: ModeRules
    # Suggested stops (services/analysis/suggestions.py): metres between candidate sites
    # along each route.
    candidate_step_m: float = 50.0

    @property
    def coverage_radii_m(self) -> tuple[int, ...]:
        """The radii whose coverage of polygon units is stored (``geo/coverage_refresh.py``):
        every catchment and score radius, and the coverage gap's."""
        return tuple(sorted({*self.catchment_radii_m, self.score_radius_m, COVERAGE_GAP_RADIUS_M}))


@dataclass(frozen=True)
class ServedByMode:
    """People in a catchment already within reach of a stop of ``mode`` (one person may be
    within reach of several modes, so these overlap)."""

    mode: str
    population: float


@dataclass(frozen=True)
class Catchment:
    radius_m: int
    population: float | None
    newly_served: float | None
    # Who serves the people already served: one entry per mode with stops in reach.
    already_served_by: list[ServedByMode] = field(default_factory=list)
    measure: str = STRAIGHT_LINE
    # For a walking catchment on the evaluation page: the reachable streets, buffered (WGS 84).
    area: BaseGeometry | None = None


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
    # The street network walking catchments were measured on, when one covers the site.
    street_network: str | None
    # Straight-line catchments first, then walking ones, each by radius.
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
        raise ValidationFailed({"radii": _("radii must be whole metres, e.g. 400,800.")}) from None
    if not radii or len(radii) > 4 or not all(1 <= radius <= MAX_RADIUS_M for radius in radii):
        raise ValidationFailed(
            {"radii": _("Give one to four radii from 1 to %(max_m)d m.", max_m=MAX_RADIUS_M)}
        )
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
            raise ValidationFailed(
                {"dataset": _("No population dataset is called “%(name)s”.", name=name)}
            )
        return dataset
    latest_first = statement.order_by(
        PopulationDataset.imported_at.desc(), PopulationDataset.id.desc()
    )
    if site is not None:
        covering = latest_dataset_near_statement(backend_of(session))
        dataset = session.scalars(covering, site_values(site, radius_m)).first()
        if dataset is not None:
            return dataset
    return session.scalars(latest_first).first()


def stored_coverage_of(
    session: Session,
    dataset: PopulationDataset | None,
    settings: EvaluationSettings,
    quiet: bool = False,
) -> CoverageState | None:
    """The dataset's stored coverage when it is up to date with the stops and settings (a
    stale one is logged unless ``quiet``)."""
    if dataset is None:
        return None
    return fresh_state(
        session, dataset, settings.modes, settings.coverage_radii_m, settings.metric_srid, quiet
    )


def _catchments(
    session: Session,
    dataset: PopulationDataset | None,
    site: Point,
    radii: tuple[int, ...],
    srid: int,
    rules: ModeRules,
    by_mode: bool = True,
    coverage: CoverageState | None = None,
) -> list[Catchment]:
    """Straight-line catchments: from the stored coverage when there is an up-to-date one,
    else measured here against the union of stop circles (the same numbers, much slower)."""
    if dataset is None:
        return [Catchment(radius, None, None) for radius in radii]
    catchments = []
    for radius in radii:
        stored = (
            stored_catchment(session, dataset, coverage, site, radius, srid, rules)
            if coverage is not None
            else None
        )
        if stored is not None:
            served_by = [ServedByMode(mode, people) for mode, people in stored.served_by]
            catchments.append(
                Catchment(
                    radius, stored.population, stored.newly_served, served_by if by_mode else []
                )
            )
            continue
        catchments.append(_measured_catchment(session, dataset, site, radius, srid, rules, by_mode))
    return catchments


def _measured_catchment(
    session: Session,
    dataset: PopulationDataset,
    site: Point,
    radius: int,
    srid: int,
    rules: ModeRules,
    by_mode: bool,
) -> Catchment:
    population = population_within(session, dataset, site, radius, srid)
    served = population_already_served(session, dataset, site, radius, srid, rules)
    served_by = []
    if by_mode and served > 0:
        for mode in modes_near(session, site, radius + rules.farthest_reach_m(radius)):
            people = population_already_served(session, dataset, site, radius, srid, rules, mode)
            if people > 0:
                served_by.append(ServedByMode(mode, people))
    return Catchment(radius, population, max(population - served, 0.0), served_by)


def _new_stop_routes(routes: list[PassingRoute], rules: ModeRules) -> list[PassingRoute]:
    """The routes that could call at a new stop: a train passing by cannot stop at a bus stop,
    so only the new-stop modes count for "no detour" and for stop spacing."""
    return [route for route in routes if rules.serves_new_stops(route.mode)]


def _demand(session: Session, site: Point, radius_m: float) -> Demand:
    requests, supporters = demand_within(session, site, radius_m, OPEN)
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
    network: StreetNetwork | None,
    catchments: list[Catchment],
    passing: list[PassingRoute],
    spacing: list[StopSpacing],
    demand: Demand,
) -> Score:
    scored = _scored_catchment(session, site, settings, srid, dataset, network, catchments)
    return score_site(
        settings.weights,
        scored.newly_served,
        settings.score_radius_m,
        demand.residents,
        len(passing),
        _too_close(spacing, settings.min_stop_spacing_m),
        walking=scored.measure == WALK,
    )


def _scored_catchment(
    session: Session,
    site: Point,
    settings: EvaluationSettings,
    srid: int,
    dataset: PopulationDataset | None,
    network: StreetNetwork | None,
    catchments: list[Catchment],
) -> Catchment:
    """The catchment at the score's radius: walking when ``network`` (the street network
    covering the site) is there, else straight-line; measured now when the evaluation did not
    already."""
    radius_m = settings.score_radius_m
    measure = WALK if network is not None else STRAIGHT_LINE
    found = next(
        (item for item in catchments if (item.radius_m, item.measure) == (radius_m, measure)),
        None,
    )
    if found is not None:
        return found
    if network is not None:
        walking, _ = _walking(session, network, dataset, site, (radius_m,), settings, srid, False)
        return walking[0]
    coverage = stored_coverage_of(session, dataset, settings)
    return _catchments(session, dataset, site, (radius_m,), srid, settings.modes, False, coverage)[
        0
    ]


def _walking(
    session: Session,
    network: StreetNetwork,
    dataset: PopulationDataset | None,
    site: Point,
    radii: tuple[int, ...],
    settings: EvaluationSettings,
    srid: int,
    detailed: bool = True,
) -> tuple[list[Catchment], dict[int, float]]:
    """Walking catchments at ``radii`` (with modes and the walking area when ``detailed``),
    and the metres walked to each stop near the site."""
    scene = read_scene(session, network, dataset, site, max(radii), settings.modes)
    catchments = []
    for radius_m in radii:
        area = walking_area(scene, radius_m, srid) if detailed else None
        if dataset is None:
            catchments.append(Catchment(radius_m, None, None, measure=WALK, area=area))
            continue
        figures = walking_figures(scene, radius_m, settings.modes, detailed)
        served_by = [ServedByMode(mode, people) for mode, people in figures.served_by]
        catchments.append(
            Catchment(radius_m, figures.population, figures.newly_served, served_by, WALK, area)
        )
    return catchments, scene.stop_walk_m()


def site_score(session: Session, site: Point, settings: EvaluationSettings) -> Score:
    """Only the score, for storing beside a request when it is filed or supported.

    It runs on residents' submissions, so it reads just what the score needs: the scoring
    catchment, routes within the pass-by distance and their spacing, and demand.
    """
    srid = metric_srid(settings.metric_srid, site.x, site.y)
    # The same layer evaluate_site would choose, so both give the same score.
    largest_radius_m = max(*settings.catchment_radii_m, settings.score_radius_m)
    dataset = current_population_dataset(session, None, site, largest_radius_m)
    passing = _new_stop_routes(
        routes_within(session, site, settings.pass_by_m, srid), settings.modes
    )
    spacing = stop_spacing(
        session, site, srid, [route.route_id for route in passing], settings.pass_by_m
    )
    demand = _demand(session, site, settings.demand_radius_m)
    network = covering_network(session, site)
    return _score(session, site, settings, srid, dataset, network, [], passing, spacing, demand)


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
    coverage = stored_coverage_of(session, dataset, settings)
    catchments = _catchments(
        session, dataset, site, settings.catchment_radii_m, srid, settings.modes, True, coverage
    )
    network = covering_network(session, site)
    walked_to_stop: dict[int, float] = {}
    if network is not None:
        walking, walked_to_stop = _walking(
            session, network, dataset, site, settings.catchment_radii_m, settings, srid
        )
        catchments += walking
    in_catchment = routes_within(session, site, max(settings.catchment_radii_m), srid)
    passing = _new_stop_routes(
        [route for route in in_catchment if route.distance_m <= settings.pass_by_m],
        settings.modes,
    )
    spacing = stop_spacing(
        session, site, srid, [route.route_id for route in passing], settings.pass_by_m
    )
    demand = _demand(session, site, settings.demand_radius_m)
    score = _score(
        session, site, settings, srid, dataset, network, catchments, passing, spacing, demand
    )
    return SiteEvaluation(
        lat=site.y,
        lon=site.x,
        metric_srid=srid,
        placement_problem=placement_problem(session, site),
        population_dataset=dataset.name if dataset else None,
        street_network=network.name if network else None,
        catchments=catchments,
        nearest_stops=[
            replace(stop, walk_m=walked_to_stop.get(stop.stop_id))
            for stop in nearest_stops(session, site, srid)
        ],
        routes_in_catchment=in_catchment,
        routes_passing_by=passing,
        spacing=spacing,
        too_close_to_a_stop=score.spacing_penalty_applied,
        demand=demand,
        score=score,
    )
