"""Suggested stops: the K new stops that together newly serve the most people.

The maximal covering location problem on the city's own data. Candidate sites lie along the
routes new stops serve (``geo/candidate_sites.py``); the people no existing stop serves yet are
pieces a candidate's circle covers or not (``geo/unserved.py``); ``covering.py`` chooses K
candidates no two of which break the stop spacing, exactly with HiGHS when it can, greedily
otherwise. "Newly served" means what site evaluation means: the people within the radius of
the site and beyond the reach of every existing stop, polygons by the share of their area.

The chosen stops come in rank order: rank 1 newly serves the most people alone (what
``GET /api/evaluate`` answers for its point), each later one the most of those the earlier ones
leave; the ranks' figures add up to the people the K stops newly serve together. Runs are
stored with the key of the data they rest on and reused while it holds.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass

import numpy as np
from geoalchemy2.shape import to_shape
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree
from shapely.geometry import Point
from shapely.geometry import box as shapely_box
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transitreq.backends import backend_of
from transitreq.db import unit_of_work
from transitreq.errors import ValidationFailed
from transitreq.geo.candidate_sites import (
    CandidateSites,
    candidate_sites,
    route_lines,
    with_site,
)
from transitreq.geo.metric import BoundingBox, box_around
from transitreq.geo.metric_crs import metric_srid
from transitreq.geo.streets import covering_network
from transitreq.geo.unserved import (
    UnservedPeople,
    existing_stops,
    newly_served_by_circles,
    unserved_people,
)
from transitreq.geo.walk_cover import walking_cover
from transitreq.i18n import _
from transitreq.models import (
    DatasetImport,
    PopulationDataset,
    Route,
    ServiceArea,
    Stop,
    StreetNetwork,
    SuggestedStop,
    SuggestionRun,
)
from transitreq.services.analysis.covering import CoveringProblem, solve
from transitreq.services.analysis.evaluation import (
    STRAIGHT_LINE,
    WALK,
    EvaluationSettings,
    current_population_dataset,
)

MAX_COUNT = 100
MIN_RADIUS_M, MAX_RADIUS_M = 50, 2000
DEFAULT_RADIUS_M = 400
# HiGHS gets this long before the greedy answer stands.
EXACT_TIME_LIMIT_S = 5.0
# A request's pin is weighed against the candidates this close to it.
NEARBY_CANDIDATE_M = 300.0


@dataclass(frozen=True)
class SuggestionQuery:
    count: int
    radius_m: int = DEFAULT_RADIUS_M
    box: BoundingBox | None = None
    # The name of a service area to stay within.
    area: str | None = None
    # A population dataset's name; default the latest one with people near the area's centre
    # (as site evaluation chooses).
    dataset: str | None = None

    @property
    def scope(self) -> str:
        layer = f"dataset:{self.dataset};" if self.dataset else ""
        if self.area:
            return f"{layer}area:{self.area}"
        if self.box:
            b = self.box
            return f"{layer}bbox:{b.min_lon!r},{b.min_lat!r},{b.max_lon!r},{b.max_lat!r}"
        return layer


def check_query(query: SuggestionQuery) -> None:
    """Refuse, naming the field, a question the optimisation cannot answer sensibly."""
    if not 1 <= query.count <= MAX_COUNT:
        raise ValidationFailed(
            {
                "count": _(
                    "%(field)s must be %(low)d to %(high)d.", field="count", low=1, high=MAX_COUNT
                )
            }
        )
    if not MIN_RADIUS_M <= query.radius_m <= MAX_RADIUS_M:
        raise ValidationFailed(
            {
                "radius_m": _(
                    "%(field)s must be %(low)d to %(high)d.",
                    field="radius_m",
                    low=MIN_RADIUS_M,
                    high=MAX_RADIUS_M,
                )
            }
        )


@dataclass(frozen=True)
class Instance:
    """One optimisation's inputs: the candidates, the unserved people, and who covers whom."""

    srid: int
    candidates: CandidateSites
    # The unserved people by straight line; None when walking (the problem's pieces are then
    # whole units, so its figures are already exact).
    unserved: UnservedPeople | None
    problem: CoveringProblem
    dataset: PopulationDataset | None
    radius_m: float
    measure: str


def _centre(session: Session, box: BoundingBox | None) -> tuple[float, float] | None:
    if box is not None:
        lat, lon = box.centre_lat_lon
        return lon, lat
    row = session.execute(
        select(
            func.min(func.ST_X(Stop.location)),
            func.max(func.ST_X(Stop.location)),
            func.min(func.ST_Y(Stop.location)),
            func.max(func.ST_Y(Stop.location)),
        )
    ).one()
    if row[0] is None:
        return None
    return (row[0] + row[1]) / 2, (row[2] + row[3]) / 2


def _area(session: Session, name: str):
    area = session.scalars(select(ServiceArea).where(ServiceArea.name == name)).first()
    if area is None:
        raise ValidationFailed({"within": _("No service area is called “%(name)s”.", name=name)})
    return to_shape(area.boundary)


def build_instance(
    session: Session,
    query: SuggestionQuery,
    settings: EvaluationSettings,
    extra_sites: tuple[Point, ...] = (),
) -> Instance | None:
    """Read everything the question needs and set up the covering problem (None: no
    stops, routes or people to weigh). ``extra_sites`` join the candidates last, so
    residents' pins are weighed exactly as they are."""
    within = _area(session, query.area) if query.area else None
    box = query.box
    if within is not None:
        min_lon, min_lat, max_lon, max_lat = within.bounds
        box = BoundingBox(min_lon, min_lat, max_lon, max_lat)
    elif box is not None:
        within = shapely_box(box.min_lon, box.min_lat, box.max_lon, box.max_lat)
    centre = _centre(session, box)
    if centre is None:
        return None
    srid = metric_srid(settings.metric_srid, *centre)
    rules = settings.modes
    lines = route_lines(session, box, rules, srid, settings.pass_by_m)
    candidates = candidate_sites(
        lines,
        srid,
        settings.candidate_step_m,
        settings.min_stop_spacing_m,
        settings.pass_by_m,
        within,
    )
    for site in extra_sites:
        candidates = with_site(candidates, site.x, site.y, srid)
    if len(candidates) == 0:
        return None
    radius_m = float(query.radius_m)
    region = _grown(
        BoundingBox(
            float(candidates.lon.min()),
            float(candidates.lat.min()),
            float(candidates.lon.max()),
            float(candidates.lat.max()),
        ),
        radius_m,
    )
    middle = Point(*centre)
    dataset = current_population_dataset(session, query.dataset, middle, radius_m)
    if dataset is None:
        return None
    search_region = _grown(region, rules.farthest_reach_m(radius_m))
    network = covering_network(session, middle)
    if network is not None:
        walking = walking_cover(
            session,
            network,
            dataset,
            region,
            search_region,
            candidates.lon,
            candidates.lat,
            radius_m,
            rules,
        )
        problem = CoveringProblem(walking.cover, walking.people, candidates.conflicts)
        return Instance(srid, candidates, None, problem, dataset, radius_m, WALK)
    stops = existing_stops(session, search_region, radius_m, srid, rules)
    unserved = unserved_people(session, dataset, region, radius_m, srid, rules, stops)
    problem = CoveringProblem(
        _cover(candidates, unserved, radius_m), unserved.people, candidates.conflicts
    )
    return Instance(srid, candidates, unserved, problem, dataset, radius_m, STRAIGHT_LINE)


def _grown(box: BoundingBox, metres: float) -> BoundingBox:
    low = box_around(box.min_lon, box.min_lat, metres)
    high = box_around(box.max_lon, box.max_lat, metres)
    return BoundingBox(low.min_lon, low.min_lat, high.max_lon, high.max_lat)


def _cover(candidates: CandidateSites, unserved: UnservedPeople, radius_m: float) -> csr_matrix:
    """Which unserved pieces lie within ``radius_m`` of each candidate."""
    shape = (len(candidates), len(unserved.x))
    if len(unserved.x) == 0:
        return csr_matrix(shape)
    tree = cKDTree(np.column_stack([unserved.x, unserved.y]))
    found = tree.query_ball_point(np.column_stack([candidates.x, candidates.y]), radius_m)
    lengths = np.fromiter((len(item) for item in found), dtype=np.int64, count=len(found))
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = (
        np.concatenate([np.asarray(item, dtype=np.int64) for item in found if item])
        if indptr[-1]
        else np.zeros(0, dtype=np.int64)
    )
    return csr_matrix((np.ones(len(indices)), indices, indptr), shape=shape)


@dataclass(frozen=True)
class Suggestion:
    rank: int
    lon: float
    lat: float
    newly_served: float
    newly_served_alone: float
    route_id: int | None
    route_name: str


@dataclass(frozen=True)
class Suggestions:
    stops: list[Suggestion]
    newly_served: float
    greedy_newly_served: float
    upper_bound: float
    gap: float
    method: str
    measure: str
    candidate_count: int
    population_dataset: str | None
    seconds: float


def _useful(problem: CoveringProblem) -> tuple[CoveringProblem, np.ndarray]:
    """Only the candidates that newly serve anyone: the rest can never help."""
    gains = np.asarray(problem.cover @ problem.weight, dtype=float)
    keep = np.flatnonzero(gains > 0)
    index = np.full(problem.candidate_count, -1)
    index[keep] = np.arange(len(keep))
    conflicts = problem.conflicts
    if len(conflicts):
        both = (index[conflicts[:, 0]] >= 0) & (index[conflicts[:, 1]] >= 0)
        conflicts = index[conflicts[both]]
    return CoveringProblem(problem.cover[keep], problem.weight, conflicts), keep


def suggest(
    session: Session,
    query: SuggestionQuery,
    settings: EvaluationSettings,
    time_limit_s: float = EXACT_TIME_LIMIT_S,
    exact_too: bool = True,
) -> Suggestions:
    """Solve the question afresh (nothing stored); ``exact_too=False`` stops at the greedy
    answer."""
    started = time.perf_counter()
    check_query(query)
    instance = build_instance(session, query, settings)
    if instance is None:
        return Suggestions([], 0.0, 0.0, 0.0, 0.0, "greedy", STRAIGHT_LINE, 0, None, 0.0)
    problem, kept = _useful(instance.problem)
    answer = solve(problem, query.count, time_limit_s, exact_too)
    chosen = [
        int(kept[c]) for c, gain in zip(answer.chosen, answer.marginal, strict=True) if gain > 0
    ]
    candidates = instance.candidates
    marginal, alone = figures_of(instance, chosen)
    greedy_choice = [int(kept[c]) for c in answer.greedy_chosen]
    greedy_value = float(sum(figures_of(instance, greedy_choice)[0]))
    newly_served = float(sum(marginal))
    stops = [
        Suggestion(
            rank=rank,
            lon=float(candidates.lon[c]),
            lat=float(candidates.lat[c]),
            newly_served=marginal[rank - 1],
            newly_served_alone=alone[rank - 1],
            route_id=int(candidates.route_id[c]),
            route_name=candidates.route_name[c],
        )
        for rank, c in enumerate(chosen, start=1)
    ]
    return Suggestions(
        stops=stops,
        newly_served=newly_served,
        greedy_newly_served=greedy_value,
        # The gap is the model's (people as pieces); the bound is said in the same people as
        # the figures reported.
        upper_bound=newly_served / (1 - answer.gap) if answer.gap < 1 else answer.upper_bound,
        gap=answer.gap,
        method=answer.method,
        measure=instance.measure,
        candidate_count=len(candidates),
        population_dataset=instance.dataset.name if instance.dataset else None,
        seconds=time.perf_counter() - started,
    )


def figures_of(instance: Instance, chosen: list[int]) -> tuple[list[float], list[float]]:
    """Each chosen stop's people newly served beyond the earlier ones, and alone: measured
    exactly on polygons' unserved parts by straight line; straight from the pieces when they
    are whole (population points, or any units walking)."""
    if instance.unserved is None or instance.unserved.parts is None:
        problem = instance.problem
        alone = np.asarray(problem.cover[chosen] @ problem.weight, dtype=float)
        covered = np.zeros(len(problem.weight), dtype=bool)
        marginal = []
        for c in chosen:
            row = problem.cover.indices[problem.cover.indptr[c] : problem.cover.indptr[c + 1]]
            marginal.append(float(problem.weight[row[~covered[row]]].sum()))
            covered[row] = True
        return marginal, [float(value) for value in alone]
    candidates = instance.candidates
    centres = np.column_stack([candidates.x[chosen], candidates.y[chosen]])
    marginal = newly_served_by_circles(instance.unserved, centres, instance.radius_m)
    alone = [
        newly_served_by_circles(instance.unserved, centres[i : i + 1], instance.radius_m)[0]
        for i in range(len(chosen))
    ]
    return marginal, alone


def data_key(session: Session, query: SuggestionQuery, settings: EvaluationSettings) -> str:
    """What a stored answer rests on, hashed: the stops, routes, population layers, street
    networks and imports as the database holds them now, the settings that shape the answer
    and the question. Counts and largest ids change with every insert or delete, import
    times with every re-import, on both databases alike."""
    # Sets written sorted: a set's own order changes from one process to the next.
    settings_text = json.dumps(asdict(settings), sort_keys=True, default=sorted)
    parts: list[object] = [query.count, query.radius_m, query.scope, settings_text]
    for id_column in (Stop.id, Route.id):
        parts.append(session.execute(select(func.count(id_column), func.max(id_column))).one())
    # Where the stops are, to about a metre, summed as integers: exact on both databases in
    # any order, so a stop moved (same id, same count) changes the key too.
    backend = backend_of(session)
    parts.append(
        session.execute(
            select(
                func.sum(backend.floor_to_int((func.ST_X(Stop.location) + 180.0) * 1e5)),
                func.sum(backend.floor_to_int((func.ST_Y(Stop.location) + 90.0) * 1e5)),
            )
        ).one()
    )
    parts.append(
        session.execute(
            select(
                PopulationDataset.id,
                PopulationDataset.imported_at,
                PopulationDataset.unit_count,
                PopulationDataset.total_population,
            ).order_by(PopulationDataset.id)
        ).all()
    )
    parts.append(
        session.execute(
            select(StreetNetwork.id, StreetNetwork.imported_at).order_by(StreetNetwork.id)
        ).all()
    )
    parts.append(
        session.execute(
            select(DatasetImport.kind, DatasetImport.name, DatasetImport.imported_at).order_by(
                DatasetImport.id
            )
        ).all()
    )
    return hashlib.sha256(repr(_plain(parts)).encode()).hexdigest()


def _plain(value):
    """Rows and timestamps as plain values whose repr is the same on both databases."""
    if isinstance(value, list | tuple):
        return tuple(_plain(item) for item in value)
    if hasattr(value, "_mapping"):
        return tuple(_plain(item) for item in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return str(value) if value is not None and not isinstance(value, int | str) else value


def stored_or_new(
    session: Session,
    query: SuggestionQuery,
    settings: EvaluationSettings,
    time_limit_s: float = EXACT_TIME_LIMIT_S,
) -> tuple[SuggestionRun, bool]:
    """The stored run for this question on today's data, or a new one solved and stored;
    and whether it was reused."""
    check_query(query)
    key = data_key(session, query, settings)
    stored = session.scalars(
        select(SuggestionRun).where(SuggestionRun.data_key == key).order_by(SuggestionRun.id.desc())
    ).first()
    if stored is not None:
        return stored, True
    answer = suggest(session, query, settings, time_limit_s)
    with unit_of_work(session):
        run = SuggestionRun(
            data_key=key,
            count=query.count,
            radius_m=query.radius_m,
            scope=query.scope[:300],
            measure=answer.measure,
            method=answer.method,
            newly_served=answer.newly_served,
            greedy_newly_served=answer.greedy_newly_served,
            upper_bound=answer.upper_bound,
            gap=answer.gap,
            candidate_count=answer.candidate_count,
            population_dataset=answer.population_dataset,
            seconds=answer.seconds,
            stops=[
                SuggestedStop(
                    rank=stop.rank,
                    lon=stop.lon,
                    lat=stop.lat,
                    newly_served=stop.newly_served,
                    newly_served_alone=stop.newly_served_alone,
                    route_id=stop.route_id,
                    route_name=stop.route_name[:200],
                )
                for stop in answer.stops
            ],
        )
        session.add(run)
    return run, False


def newest_run(session: Session) -> SuggestionRun | None:
    """The run made last, for exports and the map's default."""
    return session.scalars(select(SuggestionRun).order_by(SuggestionRun.id.desc())).first()
