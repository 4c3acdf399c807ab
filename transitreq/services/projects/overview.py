"""What planners read about stop projects: the list with its overdue flags, and one project's
page (how far it has come, what may happen next and why not yet, the routes that could call).

Reads only; every change goes through ``services/projects.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from shapely.geometry import Point
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from transitreq.geo.geojson import as_point
from transitreq.geo.metric_crs import metric_srid
from transitreq.geo.network import PassingRoute, routes_within
from transitreq.models import (
    Milestone,
    MilestoneKind,
    MilestoneState,
    ProjectStage,
    StopProject,
    StopRequest,
    SurveyPhoto,
    User,
)
from transitreq.services.projects.rules import ALLOWED_STAGES, MAIN_PATH, blockers
from transitreq.services.projects.sign_offs import visible_sign_offs
from transitreq.services.projects.stages import find_project, route_labels

P = ProjectStage
# The way a project goes when nothing goes wrong, as the page's progress stepper draws it.
# Routes passing this close to a stop are offered first when planning its launch.
LAUNCH_REACH_M = 800.0


@dataclass(frozen=True)
class ProjectRow:
    """One line of the project list."""

    project: StopProject
    linked_requests: int
    sign_offs_given: int
    sign_offs_required: int
    # The earliest milestone still to do that has a due date.
    next_due: Milestone | None
    overdue: list[Milestone]


def _row(project: StopProject, linked: int, today: date) -> ProjectRow:
    open_milestones = [m for m in project.milestones if not m.is_done and m.due_date is not None]
    upcoming = sorted(open_milestones, key=lambda m: (m.due_date, m.position, m.id))
    sign_offs = project.sign_offs
    return ProjectRow(
        project=project,
        linked_requests=linked,
        sign_offs_given=sum(1 for m in sign_offs if m.state is MilestoneState.APPROVED),
        sign_offs_required=len(sign_offs),
        next_due=upcoming[0] if upcoming and project.status.is_open else None,
        overdue=[m for m in upcoming if m.is_overdue(today)],
    )


def _list_order(row: ProjectRow) -> tuple:
    """Overdue projects first, then open ones by what falls due soonest, closed ones last."""
    due = row.next_due.due_date.toordinal() if row.next_due else date.max.toordinal()
    return (not row.project.status.is_open, not row.overdue, due, -row.project.id)


def project_rows(
    session: Session, today: date, stage: ProjectStage | None = None, overdue_only: bool = False
) -> list[ProjectRow]:
    """Every project (or those at ``stage``, or only those with an overdue milestone)."""
    statement = select(StopProject).options(
        selectinload(StopProject.milestones).selectinload(Milestone.department)
    )
    if stage is not None:
        statement = statement.where(StopProject.status == stage)
    linked = dict(
        session.execute(
            select(StopRequest.project_id, func.count(StopRequest.id))
            .where(StopRequest.project_id.is_not(None))
            .group_by(StopRequest.project_id)
        ).all()
    )
    rows = [
        _row(project, linked.get(project.id, 0), today) for project in session.scalars(statement)
    ]
    if overdue_only:
        rows = [row for row in rows if row.overdue]
    return sorted(rows, key=_list_order)


@dataclass(frozen=True)
class Step:
    stage: ProjectStage
    # "done", "current", "todo", or "stopped" (where a cancelled project ended).
    state: str


@dataclass(frozen=True)
class LaunchChoice:
    """A route a launch may name, by the label ``set_launch`` accepts."""

    label: str
    distance_m: float
    route_id: int


@dataclass(frozen=True)
class PhotoRef:
    """A survey photo as a page links to it: never the image itself."""

    id: int
    filename: str


def photos_of(session: Session, milestone_ids: Sequence[int]) -> dict[int, list[PhotoRef]]:
    """Each survey's photos by id and name, without reading the images (megabytes each)."""
    if not milestone_ids:
        return {}
    rows = session.execute(
        select(SurveyPhoto.milestone_id, SurveyPhoto.id, SurveyPhoto.filename)
        .where(SurveyPhoto.milestone_id.in_(milestone_ids))
        .order_by(SurveyPhoto.id)
    )
    photos: dict[int, list[PhotoRef]] = {}
    for milestone_id, photo_id, filename in rows:
        photos.setdefault(milestone_id, []).append(PhotoRef(photo_id, filename))
    return photos


@dataclass(frozen=True)
class ProjectPage:
    project: StopProject
    point: Point
    steps: list[Step]
    # For every stage the table allows next: what still stands in the way (empty: go ahead).
    moves: dict[str, list[str]]
    overdue_ids: frozenset[int]
    nearby_routes: list[LaunchChoice]
    all_routes: list[str]
    photos: dict[int, list[PhotoRef]]

    @property
    def surveys(self) -> list[Milestone]:
        return self.project.milestones_of(MilestoneKind.SITE_SURVEY)

    @property
    def can_finish_construction(self) -> bool:
        return self.project.status is P.CONSTRUCTION and not all(
            m.is_done for m in self.project.milestones_of(MilestoneKind.CONSTRUCTION_FINISH)
        )

    @property
    def can_plan_launch(self) -> bool:
        return self.project.status in (P.COORDINATION, P.CONSTRUCTION)


def _steps(project: StopProject) -> list[Step]:
    if project.status is P.CANCELLED:
        # Where it stopped: the stage it left when cancelled, as the audit log recorded it.
        left = next(
            (e.from_status for e in reversed(project.events) if e.to_status == P.CANCELLED.value),
            P.APPROVED.value,
        )
        reached = MAIN_PATH.index(P(left)) if left in {s.value for s in MAIN_PATH} else 0
        return [
            Step(stage, "done" if index < reached else "stopped" if index == reached else "todo")
            for index, stage in enumerate(MAIN_PATH)
        ]
    reached = MAIN_PATH.index(project.status)
    finished = project.status is P.IN_SERVICE

    def state(index: int) -> str:
        if index < reached or (index == reached and finished):
            return "done"
        return "current" if index == reached else "todo"

    return [Step(stage, state(index)) for index, stage in enumerate(MAIN_PATH)]


def launch_choices(
    session: Session, site: Point, configured_srid: int, known: set[str]
) -> list[LaunchChoice]:
    """Routes passing within ``LAUNCH_REACH_M`` of the site, nearest first, by launch label."""
    passing: list[PassingRoute] = routes_within(
        session, site, LAUNCH_REACH_M, metric_srid(configured_srid, site.x, site.y)
    )
    choices = []
    for route in passing:
        label = route.short_name or route.name
        if label in known and all(choice.label != label for choice in choices):
            choices.append(LaunchChoice(label, route.distance_m, route.route_id))
    return choices


def project_page(
    session: Session, project_id: int, today: date, configured_srid: int
) -> ProjectPage:
    """Everything the project page shows, read in one go."""
    project = find_project(session, project_id)
    point = as_point(project.location)
    labels = route_labels(session)
    surveys = project.milestones_of(MilestoneKind.SITE_SURVEY)
    return ProjectPage(
        project=project,
        point=point,
        steps=_steps(project),
        moves={
            stage.value: blockers(project, stage, today)
            for stage in ALLOWED_STAGES[project.status]
            if stage is not P.CANCELLED
        },
        overdue_ids=frozenset(m.id for m in project.milestones if m.is_overdue(today)),
        nearby_routes=launch_choices(session, point, configured_srid, set(labels)),
        all_routes=labels,
        photos=photos_of(session, [survey.id for survey in surveys]),
    )


@dataclass(frozen=True)
class SignOffCard:
    """One of a department's sign-offs, with what its staff need to decide it."""

    sign_off: Milestone
    project: StopProject
    point: Point
    surveys: list[Milestone]


def sign_off_cards(
    session: Session, user: User
) -> tuple[list[SignOffCard], dict[int, list[PhotoRef]]]:
    """The sign-offs ``user`` may see (``visible_sign_offs``), each with its site and the
    surveys done, and the surveys' photos; projects and milestones read in one go."""
    sign_offs = visible_sign_offs(session, user)
    # Each project with its milestones in one query, held by its card: the session keeps only
    # weak references, and would read each project again when a page asked for it.
    projects = {
        project.id: project
        for project in session.scalars(
            select(StopProject)
            .where(StopProject.id.in_({sign_off.project_id for sign_off in sign_offs}))
            .options(selectinload(StopProject.milestones))
        )
    }
    cards = [
        SignOffCard(
            sign_off=sign_off,
            project=projects[sign_off.project_id],
            point=as_point(projects[sign_off.project_id].location),
            surveys=[
                survey
                for survey in projects[sign_off.project_id].milestones_of(MilestoneKind.SITE_SURVEY)
                if survey.is_done
            ],
        )
        for sign_off in sign_offs
    ]
    surveys = [survey.id for card in cards for survey in card.surveys]
    return cards, photos_of(session, surveys)
