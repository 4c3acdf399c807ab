"""Benchmark: the planners' dashboard, the project list and the exports, on 10,000 requests.

On each backend (a throwaway PostGIS database, a SpatiaLite file) the generated city of
``bench/city_generator.py`` is loaded at a small scale (20,000 population points, 2,000 stops,
100 routes: nothing timed here reads them, the routes give launches their names) with six
districts (service areas tiling the city; about 5 % of the pins fall outside them), then, in
bulk and seeded:

- **10,000 stop requests** filed over the last **24 months** (more lately), with supports and
  their audit logs: submission, review, questions to residents and answers, and the decision
  (approved, merged or rejected) for most of them, a few weeks after filing;
- **1,000 stop projects** opened by those approvals (some take other waiting requests along),
  each with its planned milestones (survey, four sign-offs, construction start and finish,
  launch) due as the deployment's defaults say, and the events of every stage it has reached
  at its own pace: most are in service, the rest in every other stage, a few cancelled, and
  the slow ones have overdue milestones.

Then each call is timed 20 times after 2 to warm up (a slow call stops after 15 once its
``--budget`` of seconds is spent):

- the services: ``dashboard()`` for the whole city and for one district (and each of its parts
  on its own), ``project_rows()``, the requests export (``request_records`` + ``requests_csv``)
  for every request and for one district, the projects export, and the GTFS stops
  (``gtfs_stops`` + ``stops_txt``);
- the same pages and files through the app, as a logged-in planner (Flask test client:
  routing, login check, service, template or file writing).

Baselines measured in the same run: each call's own SQL statements, recorded while it ran and
replayed through the bare driver cursor; a plain read of the rows the call shows (the same
columns of the same rows straight from the table, no subqueries, joins or spatial tests); and
``SELECT count(*) FROM stop_requests``, the cheapest round trip there is. The number of SQL
statements each call makes is printed beside it (the login check's user lookup left out).

``--gc-freeze`` moves everything alive after start-up out of the garbage collector's sight
(``gc.freeze()``), as a server that loads the app before forking its workers could: the run
then shows what the collector's passes over those objects cost the calls that build many.

    .venv/bin/python bench/projects_dashboard.py                # both backends, ~4 minutes
    .venv/bin/python bench/projects_dashboard.py --quick        # 2,000 requests, 200 projects
    .venv/bin/python bench/projects_dashboard.py --backends spatialite --runs 30 --gc-freeze
"""

from __future__ import annotations

import argparse
import bisect
import gc
import math
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, box
from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import city_generator  # noqa: E402
from bench.evaluate_sites import StatementRecorder  # noqa: E402
from tests import databases  # noqa: E402
from tests.factories import add_user, log_in  # noqa: E402
from transitreq import create_app, migrate  # noqa: E402
from transitreq.config import default_settings  # noqa: E402
from transitreq.db import make_engine, make_sessionmaker  # noqa: E402
from transitreq.models import (  # noqa: E402
    Audience,
    Department,
    Event,
    Milestone,
    MilestoneKind,
    MilestoneState,
    ProjectStage,
    RequestStatus,
    ServiceArea,
    StopProject,
    StopRequest,
    Support,
)
from transitreq.services.projects.overview import project_rows  # noqa: E402
from transitreq.services.reports import dashboard as dashboard_service  # noqa: E402
from transitreq.services.reports import export_files  # noqa: E402
from transitreq.services.reports.exports import (  # noqa: E402
    ProjectQuery,
    gtfs_stops,
    project_records,
    request_records,
)

DEFAULT_DUE_DAYS = default_settings().projects.due_days
DEFAULT_SIGN_OFFS = default_settings().projects.required_sign_offs
from transitreq.services.analysis.queue import QueueQuery  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"
WARM_UP = 2
MIN_RUNS = 15
MONTHS = 24
# Six districts tiling the city 3 × 2, the busier ones first; a few pins fall outside them all.
DISTRICTS = ("Keskusta", "Pohjoinen", "Itäinen", "Eteläinen", "Läntinen", "Satama")
DISTRICT_WEIGHTS = (0.26, 0.20, 0.17, 0.15, 0.13, 0.09)
OUTSIDE_SHARE = 0.05
# The district the per-district figures are taken for: the busiest, about a quarter of all.
ONE_DISTRICT = DISTRICTS[0]
# Approved requests per project: most approvals open a project of their own, some join one.
APPROVED_PER_PROJECT = 1.4
CONSTRUCTION = "Urban construction"
LAUNCH = "Bus operator"
K, P, S, M = MilestoneKind, ProjectStage, RequestStatus, MilestoneState


# --- The data -------------------------------------------------------------------------------


def district_boxes() -> dict[str, tuple[float, float, float, float]]:
    """Each district's lon/lat box: the city's box cut into three columns and two rows."""
    min_lon, min_lat, max_lon, max_lat = city_generator.city_bounds()
    width, height = (max_lon - min_lon) / 3, (max_lat - min_lat) / 2
    boxes = {}
    for index, name in enumerate(DISTRICTS):
        row, column = divmod(index, 3)
        west, south = min_lon + column * width, min_lat + row * height
        boxes[name] = (west, south, west + width, south + height)
    return boxes


def _pin(rng: random.Random, boxes: dict) -> tuple[float, float]:
    if rng.random() < OUTSIDE_SHARE:
        # Just beyond the districts: a ring a tenth of the city wide around them.
        min_lon, min_lat, max_lon, max_lat = city_generator.city_bounds()
        margin_lon, margin_lat = (max_lon - min_lon) / 10, (max_lat - min_lat) / 10
        while True:
            lon = rng.uniform(min_lon - margin_lon, max_lon + margin_lon)
            lat = rng.uniform(min_lat - margin_lat, max_lat + margin_lat)
            if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
                return lon, lat
    west, south, east, north = boxes[rng.choices(DISTRICTS, DISTRICT_WEIGHTS)[0]]
    return rng.uniform(west, east), rng.uniform(south, north)


@dataclass
class _Request:
    id: int
    filed: datetime
    lon: float
    lat: float
    status: RequestStatus = S.SUBMITTED
    # When the planners may decide it (after any question is answered); None: not yet.
    decision_at: datetime | None = None
    last_event: datetime | None = None
    project_id: int | None = None
    merged_into_id: int | None = None


@dataclass
class _History:
    """Every row to insert, as the services would have written them."""

    now: datetime
    planner_id: int
    planner_name: str
    departments: dict[str, int]
    routes: list[str]
    requests: list[_Request] = field(default_factory=list)
    projects: list[dict] = field(default_factory=list)
    milestones: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)

    def event(self, when: datetime, kind: str, note: str, **columns) -> None:
        row = {
            "request_id": None,
            "project_id": None,
            "kind": kind,
            "from_status": None,
            "to_status": None,
            "note": note,
            "audience": Audience.PUBLIC,
            "actor": self.planner_name,
            "user_id": self.planner_id,
            "created_at": when,
        }
        row.update(columns)
        self.events.append(row)

    def move(self, request: _Request, when: datetime, to: RequestStatus, kind: str, note: str):
        actor = (
            {"actor": "resident", "user_id": None} if kind in ("submitted", "info_answered") else {}
        )
        self.event(
            when,
            kind,
            note,
            request_id=request.id,
            from_status=request.status.value if kind != "submitted" else None,
            to_status=to.value,
            **actor,
        )
        request.status, request.last_event = to, when


def _days(value: float) -> timedelta:
    return timedelta(days=value)


def _file_requests(rng: random.Random, history: _History, count: int) -> None:
    """Requests filed over ``MONTHS`` months (more lately), reviewed, some asked a question."""
    boxes = district_boxes()
    span = MONTHS * 30.44
    ages = sorted((span * rng.random() ** 1.25 for _ in range(count)), reverse=True)
    for request_id, age in enumerate(ages, start=1):
        filed = history.now - _days(max(age, 0.01))
        request = _Request(request_id, filed, *_pin(rng, boxes))
        history.requests.append(request)
        history.move(request, filed, S.SUBMITTED, "submitted", "Request received.")
        decide_after = rng.lognormvariate(math.log(18), 0.8)
        reviewed = filed + _days(rng.expovariate(1 / 3))
        if reviewed < history.now and rng.random() < 0.85:
            history.move(request, reviewed, S.UNDER_REVIEW, "status_changed", "In review.")
        asked = filed + _days(decide_after * 0.5)
        if rng.random() < 0.12 and asked < history.now and asked > request.last_event:
            history.move(request, asked, S.NEEDS_INFO, "info_requested", "Which side of the road?")
            answered = asked + _days(rng.expovariate(1 / 4))
            if rng.random() < 0.6 and answered < history.now:
                history.move(request, answered, S.UNDER_REVIEW, "info_answered", "The north side.")
                decide_after = max(decide_after, (answered - filed).days + 1.0)
        decision = filed + _days(decide_after)
        if decision < history.now and rng.random() < 0.93 and decision > request.last_event:
            request.decision_at = decision


def _decide(rng: random.Random, history: _History, projects: int) -> list[tuple[datetime, list]]:
    """Most decided requests rejected or merged; the approved ones open ``projects`` projects
    (each at its first request's decision), the others join one approved after they were filed.
    Returns each project's approval time and its requests, oldest project first."""
    decided = [request for request in history.requests if request.decision_at]
    approved = rng.sample(decided, min(len(decided), round(projects * APPROVED_PER_PROJECT)))
    mains = sorted(rng.sample(approved, min(projects, len(approved))), key=lambda r: r.decision_at)
    groups = [(main.decision_at, [main]) for main in mains]
    opened = [when for when, _ in groups]
    main_ids = {main.id for main in mains}
    joined = set()
    for request in approved:
        if request.id in main_ids:
            continue
        index = bisect.bisect_left(opened, request.last_event + timedelta(hours=1))
        if index < len(groups):
            groups[index][1].append(request)
            joined.add(request.id)
    approved_ids = main_ids | joined
    for request in decided:
        if request.id in approved_ids:
            continue
        if rng.random() < 0.25 and request.id > 1:
            request.merged_into_id = rng.randrange(1, request.id)
            history.move(
                request, request.decision_at, S.MERGED, "merged", "Asks for the same stop."
            )
        else:
            history.move(
                request, request.decision_at, S.REJECTED, "rejected", "Too close to a stop."
            )
    return groups


def _project(rng: random.Random, history: _History, project_id: int, approved_at, linked) -> None:
    """One project from approval to wherever its own pace has taken it by now."""
    now, main = history.now, linked[0]
    slow = rng.lognormvariate(0.0, 0.4)

    def at(days: float) -> datetime:
        return approved_at + _days(days * slow)

    approved_on = approved_at.date()
    plan = [(K.SITE_SURVEY, None)]
    plan += [(K.SIGN_OFF, history.departments[name]) for name in DEFAULT_SIGN_OFFS]
    plan += [(K.CONSTRUCTION_START, history.departments[CONSTRUCTION])]
    plan += [(K.CONSTRUCTION_FINISH, history.departments[CONSTRUCTION])]
    plan += [(K.LAUNCH, history.departments[LAUNCH])]
    milestones = [
        {
            "project_id": project_id,
            "kind": kind,
            "department_id": department_id,
            "state": M.PENDING,
            "due_date": approved_on + timedelta(days=DEFAULT_DUE_DAYS[kind]),
            "done_date": None,
            "notes": "",
            "decided_by_user_id": None,
            "position": position,
            "updated_at": approved_at,
        }
        for position, (kind, department_id) in enumerate(plan)
    ]
    project = {
        "id": project_id,
        "name": f"Stop near {main.lon:.4f}, {main.lat:.4f}",
        "location": f"SRID=4326;POINT({main.lon + rng.uniform(-2e-4, 2e-4)}"
        f" {main.lat + rng.uniform(-1e-4, 1e-4)})",
        "status": P.APPROVED,
        "created_at": approved_at,
        "created_by_user_id": history.planner_id,
        "updated_at": approved_at,
        "cancel_reason": None,
        "launch_routes": [],
        "service_start_date": None,
        "closed_at": None,
        "version": 1,
    }
    for request in linked:
        request.project_id = project_id
        history.move(request, approved_at, S.APPROVED, "approved", "Approved: a new stop.")
    history.event(approved_at, "approved", "Approved.", project_id=project_id, to_status="approved")

    # What happens when, in days after approval at the project's pace (``slow``).
    survey_start = 4 + 6 * rng.random()
    survey_done = survey_start + 12 + 10 * rng.random()
    coordination = survey_done + 1 + 4 * rng.random()
    sign_offs = []
    for position in range(1, 1 + len(DEFAULT_SIGN_OFFS)):
        first = coordination + 8 + 40 * rng.random()
        changes = first if rng.random() < 0.1 else None
        sign_offs.append((position, changes, first + (20 + 15 * rng.random() if changes else 0)))
    construction = max(given for _, _, given in sign_offs) + 4 + 10 * rng.random()
    launch = construction + 20 + 20 * rng.random()
    finished = construction + 45 + 20 * rng.random()
    service = finished + 7 + 14 * rng.random()
    ends = now
    if rng.random() < 0.06:
        ends = min(now, at(service * rng.uniform(0.05, 0.95)))

    def stage(when: datetime, to: ProjectStage, note: str) -> None:
        history.event(
            when,
            "project_stage",
            note,
            project_id=project_id,
            from_status=project["status"].value,
            to_status=to.value,
        )
        project["status"] = to

    def done(position: int, when: datetime, state: MilestoneState = M.DONE) -> None:
        milestones[position].update(
            state=state,
            done_date=when.date(),
            decided_by_user_id=history.planner_id,
            updated_at=when,
        )

    def survey(when: datetime) -> None:
        done(0, when)
        history.event(when, "survey_done", "Surveyed.", project_id=project_id)

    def changes_asked(position: int) -> Callable[[datetime], None]:
        def step(when: datetime) -> None:
            milestones[position].update(state=M.CHANGES_REQUESTED, updated_at=when)
            history.event(
                when,
                "sign_off_changes_requested",
                "Move it 20 m north.",
                project_id=project_id,
                audience=Audience.INTERNAL,
            )

        return step

    def signed_off(position: int) -> Callable[[datetime], None]:
        def step(when: datetime) -> None:
            done(position, when, M.APPROVED)
            history.event(when, "sign_off_given", "Signed off.", project_id=project_id)

        return step

    def build(when: datetime) -> None:
        done(5, when)
        stage(when, P.CONSTRUCTION, "Building.")

    def plan_launch(when: datetime) -> None:
        project["launch_routes"] = rng.sample(history.routes, rng.randint(1, 3))
        project["service_start_date"] = at(service).date()
        done(7, when)
        history.event(when, "launch_planned", "Routes will call.", project_id=project_id)

    def built(when: datetime) -> None:
        done(6, when)
        history.event(when, "construction_finished", "Built.", project_id=project_id)

    def open_stop(when: datetime) -> None:
        stage(when, P.IN_SERVICE, "In service.")
        project["closed_at"] = when
        for request in linked:
            history.move(request, when, S.COMPLETED, "completed", "In service.")

    steps: list[tuple[float, Callable[[datetime], None]]] = [
        (survey_start, lambda when: stage(when, P.SITE_SURVEY, "The survey begins.")),
        (survey_done, survey),
        (coordination, lambda when: stage(when, P.COORDINATION, "Departments review it.")),
    ]
    for position, changes, given in sign_offs:
        if changes is not None:
            steps.append((changes, changes_asked(position)))
        steps.append((given, signed_off(position)))
    steps += [(construction, build), (launch, plan_launch), (finished, built), (service, open_stop)]
    last = approved_at
    for days, step in sorted(steps, key=lambda item: item[0]):
        when = at(days)
        if when > ends:
            break
        step(when)
        last = when
    if ends < now:
        last = ends
        stage(ends, P.CANCELLED, "The stop project is cancelled: the road is to be rebuilt.")
        project.update(closed_at=ends, cancel_reason="The road is to be rebuilt.")
        for request in linked:
            history.move(request, ends, S.UNDER_REVIEW, "project_cancelled", "Back in review.")
    project["updated_at"] = last
    history.projects.append(project)
    history.milestones += milestones


def generate(seed: int, requests: int, projects: int, history: _History) -> _History:
    rng = random.Random(seed)
    _file_requests(rng, history, requests)
    for project_id, (approved_at, linked) in enumerate(_decide(rng, history, projects), start=1):
        _project(rng, history, project_id, approved_at, linked)
    return history


def _request_rows(rng: random.Random, history: _History) -> list[dict]:
    return [
        {
            "id": request.id,
            "title": f"Stop request {request.id}",
            "description": f"Generated request {request.id} for the benchmark.",
            "served_groups": ["other"],
            "landmark": f"Landmark {request.id % 997}",
            "media_url": None,
            "location": f"SRID=4326;POINT({request.lon} {request.lat})",
            "status": request.status,
            "reporter_name": None,
            "reporter_contact": None,
            "notify_progress": False,
            "is_demo": True,
            "created_at": request.filed,
            "updated_at": request.last_event,
            "score": round(rng.uniform(0, 100), 1),
            "version": 1,
            "project_id": request.project_id,
            "merged_into_id": request.merged_into_id,
        }
        for request in history.requests
    ]


def _load_history(engine, requests: int, projects: int, seed: int, routes: int) -> _History:
    session = make_sessionmaker(engine)()
    departments = {}
    for name in DEFAULT_SIGN_OFFS:
        department = Department(name=name)
        session.add(department)
        session.flush()
        departments[name] = department.id
    planner = add_user(session, "planner")
    history = _History(
        now=datetime.now(UTC).replace(microsecond=0),
        planner_id=planner.id,
        planner_name=planner.name,
        departments=departments,
        routes=[str(number) for number in range(1, routes + 1)],
    )
    session.commit()
    generate(seed, requests, projects, history)
    rng = random.Random(seed + 1)
    supports = [
        {
            "request_id": request.id,
            "contact": f"fan{n}@example.org",
            "name": None,
            "notify_progress": False,
            "created_at": request.filed,
        }
        for request in history.requests
        for n in range(rng.choice((0, 0, 1, 2, 3, 4, 5)))
    ]
    session.execute(insert(StopProject), history.projects)
    session.execute(insert(StopRequest), _request_rows(rng, history))
    session.execute(insert(Support), supports)
    session.execute(insert(Milestone), history.milestones)
    session.execute(insert(Event), sorted(history.events, key=lambda row: row["created_at"]))
    if engine.dialect.name == "postgresql":
        for table in ("stop_projects", "stop_requests"):
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                )
            )
    session.commit()
    session.close()
    stages = {stage: sum(p["status"] is stage for p in history.projects) for stage in P}
    overdue = sum(
        1
        for m in history.milestones
        if m["done_date"] is None
        and m["due_date"] < history.now.date()
        and history.projects[m["project_id"] - 1]["status"].is_open
    )
    statuses = {status: sum(r.status is status for r in history.requests) for status in S}
    print(
        f"  {len(history.requests):,} requests"
        f" ({', '.join(f'{status.value} {count}' for status, count in statuses.items())}),"
        f" {len(supports):,} supports,"
        f" {len(history.projects):,} projects"
        f" ({', '.join(f'{stage.value} {count}' for stage, count in stages.items())}),"
        f" {len(history.milestones):,} milestones ({overdue:,} overdue),"
        f" {len(history.events):,} events",
        flush=True,
    )
    return history


def _prepare(backend: str, scale: city_generator.CityScale, requests: int, projects: int) -> str:
    RESULTS_DIR.mkdir(exist_ok=True)
    if backend == "spatialite":
        path = RESULTS_DIR / "projects.db"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        url = databases.create_postgis_database()
    engine = make_engine(url)
    migrate.upgrade(engine)
    session = make_sessionmaker(engine)()
    for name, bounds in district_boxes().items():
        session.add(ServiceArea(name=name, boundary=from_shape(MultiPolygon([box(*bounds)]), 4326)))
    session.commit()
    session.close()
    print(f"[{backend}] loading the city, {requests:,} requests and {projects:,} projects …")
    started = time.perf_counter()
    city_generator.load(engine, city_generator.generate(scale))
    _load_history(engine, requests, projects, scale.seed, scale.routes)
    if backend == "postgis":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    print(f"[{backend}] loaded in {time.perf_counter() - started:.0f} s", flush=True)
    engine.dispose()
    return url


# --- The timing -----------------------------------------------------------------------------


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


@dataclass
class Timing:
    backend: str
    label: str
    ms: list[float]
    # The call's own SQL replayed bare, per run; empty for the baselines themselves.
    sql_ms: list[float] = field(default_factory=list)
    size: int | None = None
    # SQL statements per call (the last run's).
    queries: int | None = None
    # The label of the plain read this call is set against, if any.
    plain: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.ms)


_LOGIN_CHECK = re.compile(r"\bFROM users\b")


class Timer:
    def __init__(self, backend: str, engine, runs: int, budget_s: float) -> None:
        self.backend, self.engine, self.runs, self.budget_s = backend, engine, runs, budget_s
        self.recorder = StatementRecorder(engine)
        self.timings: list[Timing] = []

    def _replay(self, raw, statements) -> float:
        started = time.perf_counter()
        cursor = raw.cursor()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            cursor.fetchall()
        cursor.close()
        elapsed = time.perf_counter() - started
        raw.rollback()
        return elapsed * 1000

    def call(self, label: str, call: Callable[[], int | None], plain: str | None = None) -> Timing:
        """Time ``call`` (which answers its output's size in bytes) and replay its SQL bare."""
        raw = self.engine.raw_connection()
        timing = Timing(self.backend, label, [], [], plain=plain)
        started_all = time.perf_counter()
        for index in range(WARM_UP + self.runs):
            self.recorder.statements = []
            self.recorder.recording = True
            started = time.perf_counter()
            timing.size = call()
            elapsed = (time.perf_counter() - started) * 1000
            self.recorder.recording = False
            # Only the feature's own statements, not the login check's user lookup.
            statements = [s for s in self.recorder.statements if not _LOGIN_CHECK.search(s[0])]
            sql = self._replay(raw, statements)
            timing.queries = len(statements)
            if index >= WARM_UP:
                timing.ms.append(elapsed)
                timing.sql_ms.append(sql)
                if len(timing.ms) >= MIN_RUNS and time.perf_counter() - started_all > self.budget_s:
                    break
        raw.close()
        self._done(timing)
        return timing

    def bare(self, label: str, statements: list[str]) -> Timing:
        """Time plain SQL through the bare driver cursor, every row fetched."""
        raw = self.engine.raw_connection()
        timing = Timing(self.backend, label, [])
        for index in range(WARM_UP + self.runs):
            elapsed = self._replay(raw, [(statement, ()) for statement in statements])
            if index >= WARM_UP:
                timing.ms.append(elapsed)
        raw.close()
        self._done(timing)
        return timing

    def _done(self, timing: Timing) -> None:
        self.timings.append(timing)
        print(
            f"[{self.backend}] {timing.label}: median {_ms(timing.median)} ({len(timing.ms)} runs)",
            flush=True,
        )


def _plain_reads(dialect_name: str) -> dict[str, list[str]]:
    """The rows each call shows, read as plainly as SQL can: same columns, no joins,
    subqueries or spatial tests (one district is its box through the spatial index: the
    districts are rectangles, so the same rows)."""
    west, south, east, north = district_boxes()[ONE_DISTRICT]
    if dialect_name == "postgresql":
        in_district = f"location && ST_MakeEnvelope({west}, {south}, {east}, {north}, 4326)"
    else:
        in_district = (
            "id IN (SELECT rowid FROM SpatialIndex WHERE f_table_name = 'stop_requests'"
            f" AND search_frame = BuildMbr({west}, {south}, {east}, {north}, 4326))"
        )
    requests = (
        "SELECT id, title, status, score, created_at, ST_X(location), ST_Y(location),"
        " project_id FROM stop_requests"
    )
    order = " ORDER BY created_at DESC, id DESC"
    projects = (
        "SELECT id, name, status, created_at, service_start_date, launch_routes,"
        " ST_X(location), ST_Y(location) FROM stop_projects"
    )
    milestones = (
        "SELECT id, project_id, kind, department_id, state, due_date, done_date, position"
        " FROM project_milestones"
    )
    return {
        "plain read: requests (export columns)": [requests + order],
        f"plain read: requests in {ONE_DISTRICT} (its box, indexed)": [
            f"{requests} WHERE {in_district}{order}"
        ],
        "plain read: projects + milestones": [projects, milestones],
        "plain read: projects not cancelled (stops.txt columns)": [
            "SELECT id, name, status, service_start_date, ST_X(location), ST_Y(location)"
            " FROM stop_projects WHERE status <> 'cancelled' ORDER BY id"
        ],
    }


def _measure(backend: str, url: str, runs: int, budget_s: float, freeze: bool) -> list[Timing]:
    app = create_app(
        {"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False}
    )
    engine = app.extensions["transitreq.engine"]
    sessions = app.extensions["transitreq.sessionmaker"]
    client = app.test_client()
    session = sessions()
    log_in(client, session, role="planner")
    session.close()
    if freeze:
        gc.collect()
        gc.freeze()
    timer = Timer(backend, engine, runs, budget_s)
    today = datetime.now(UTC).date()
    everything = dashboard_service.DashboardQuery()
    district = dashboard_service.DashboardQuery(district=ONE_DISTRICT)

    def service(work: Callable) -> Callable[[], int | None]:
        """A fresh session per call, as each web request has."""

        def run() -> int | None:
            session = sessions()
            try:
                result = work(session)
            finally:
                session.close()
            return len(result.encode("utf-8")) if isinstance(result, str) else None

        return run

    def tracking(reference: str) -> str:
        return f"http://localhost/track/{reference}"

    def requests_export(query: QueueQuery):
        return lambda s: export_files.requests_csv(request_records(s, query, tracking))

    plain = _plain_reads(engine.dialect.name)
    plain_requests, plain_district, plain_projects, plain_stops = plain
    for label, statements in plain.items():
        timer.bare(label, statements)
    timer.bare("`SELECT count(*) FROM stop_requests`", ["SELECT count(*) FROM stop_requests"])

    service_calls = {
        "service: dashboard, whole city": (
            lambda s: dashboard_service.dashboard(s, everything, today),
            None,
        ),
        f"service: dashboard, {ONE_DISTRICT}": (
            lambda s: dashboard_service.dashboard(s, district, today),
            None,
        ),
        "service: project list rows (`project_rows`)": (
            lambda s: project_rows(s, today),
            plain_projects,
        ),
        "service: requests CSV, all": (
            requests_export(QueueQuery(sort="created_at", descending=True)),
            plain_requests,
        ),
        f"service: requests CSV, {ONE_DISTRICT}": (
            requests_export(QueueQuery(district=ONE_DISTRICT, sort="created_at", descending=True)),
            plain_district,
        ),
        "service: projects CSV": (
            lambda s: export_files.projects_csv(project_records(s, ProjectQuery(), today)),
            plain_projects,
        ),
        "service: GTFS stops.txt": (
            lambda s: export_files.stops_txt(gtfs_stops(s)),
            plain_stops,
        ),
    }
    for label, (work, baseline) in service_calls.items():
        timer.call(label, service(work), baseline)

    parts = {
        "requests_by_status": lambda s: dashboard_service.requests_by_status(s, everything),
        "projects_by_stage": lambda s: dashboard_service.projects_by_stage(s, everything),
        "days_to_decision": lambda s: dashboard_service.days_to_decision(s, everything),
        "days_to_service": lambda s: dashboard_service.days_to_service(s, everything),
        "overdue_milestones": lambda s: dashboard_service.overdue_milestones(s, everything, today),
        "monthly_requests": lambda s: dashboard_service.monthly_requests(s, everything, today),
        f"monthly_requests, {ONE_DISTRICT}": lambda s: dashboard_service.monthly_requests(
            s, district, today
        ),
    }
    for label, work in parts.items():
        timer.call(f"dashboard part: {label}", service(work))

    def page(url: str) -> Callable[[], int]:
        def run() -> int:
            response = client.get(url)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            return len(response.get_data())

        return run

    pages = {
        "page: /planning/dashboard/": ("/planning/dashboard/", None),
        f"page: /planning/dashboard/?district={ONE_DISTRICT}": (
            f"/planning/dashboard/?district={ONE_DISTRICT}",
            None,
        ),
        "page: /planning/projects/": ("/planning/projects/", plain_projects),
        "file: requests.csv, all": ("/planning/exports/requests.csv", plain_requests),
        f"file: requests.csv?district={ONE_DISTRICT}": (
            f"/planning/exports/requests.csv?district={ONE_DISTRICT}",
            plain_district,
        ),
        "file: requests.geojson, all": ("/planning/exports/requests.geojson", plain_requests),
        "file: projects.csv": ("/planning/exports/projects.csv", plain_projects),
        "file: stops.txt": ("/planning/exports/stops.txt", plain_stops),
    }
    for label, (url, baseline) in pages.items():
        timer.call(label, page(url), baseline)
    engine.dispose()
    return timer.timings


# --- The report -----------------------------------------------------------------------------


def _ms(value: float) -> str:
    """Milliseconds, with enough decimals that a round trip of microseconds still shows."""
    return (
        f"{value:.1f} ms" if value >= 10 else f"{value:.2f} ms" if value >= 1 else f"{value:.3f} ms"
    )


def _size(size: int | None) -> str:
    if size is None:
        return ""
    return f"{size / 1024:,.0f} KiB" if size >= 1024 else "< 1 KiB"


def _ratio(value: float, baseline: float | None) -> str:
    if not baseline:
        return ""
    ratio = value / baseline
    return f"{ratio:,.0f}" if ratio >= 100 else f"{ratio:.1f}"


def report(timings: list[Timing]) -> None:
    by_label = {(t.backend, t.label): t for t in timings}
    print()
    print(
        "| backend | call | runs | median | p90 | its SQL, bare: median | queries | ÷ its SQL"
        " | ÷ plain read | ÷ count(*) | output |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for timing in timings:
        if timing.label.startswith("dashboard part"):
            continue
        count = by_label[(timing.backend, "`SELECT count(*) FROM stop_requests`")].median
        plain = by_label[(timing.backend, timing.plain)].median if timing.plain else None
        sql = statistics.median(timing.sql_ms) if timing.sql_ms else None
        queries = "" if timing.queries is None else timing.queries
        print(
            f"| {timing.backend} | {timing.label} | {len(timing.ms)} | {_ms(timing.median)}"
            f" | {_ms(_p90(timing.ms))} | {_ms(sql) if sql is not None else ''} | {queries}"
            f" | {_ratio(timing.median, sql)} | {_ratio(timing.median, plain)}"
            f" | {_ratio(timing.median, count)} | {_size(timing.size)} |"
        )
    print()
    print("| backend | dashboard part | median | p90 | its SQL, bare: median |")
    print("|---|---|---:|---:|---:|")
    for timing in timings:
        if timing.label.startswith("dashboard part"):
            print(
                f"| {timing.backend} | {timing.label.removeprefix('dashboard part: ')}"
                f" | {_ms(timing.median)} | {_ms(_p90(timing.ms))}"
                f" | {_ms(statistics.median(timing.sql_ms))} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="postgis,spatialite")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--budget", type=float, default=6.0, help="seconds per call before stopping at 15 runs"
    )
    parser.add_argument(
        "--gc-freeze", action="store_true", help="gc.freeze() after start-up (see above)"
    )
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--projects", type=int, default=1_000)
    city_generator.add_scale_arguments(parser, city_generator.CityScale(20_000, 2_000, 100))
    parser.add_argument(
        "--quick", action="store_true", help="a smaller city: 2,000 requests, 200 projects"
    )
    args = parser.parse_args()
    if args.quick:
        args.requests, args.projects, args.points, args.stops, args.routes = (
            2_000,
            200,
            5_000,
            500,
            25,
        )
    scale = city_generator.scale_of(args)
    started = time.perf_counter()
    timings = []
    for backend in args.backends.split(","):
        url = _prepare(backend, scale, args.requests, args.projects)
        try:
            timings += _measure(backend, url, args.runs, args.budget, args.gc_freeze)
        finally:
            if backend == "postgis":
                databases.drop_postgis_database(url)
    if args.gc_freeze:
        print("\nWith gc.freeze() after start-up.")
    report(timings)
    print(f"\n(whole run {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
