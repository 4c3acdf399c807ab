"""Riverbend's stop projects: one still in coordination with a department late, one under
construction and one in service with a resident's thanks, so every page of the project
tracking has something true-looking to show on a fresh install.

The history is written directly with its own dates (weeks before ``DEMO_EPOCH``) rather than
through the services, which only record what happens today.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from transitreq.models import (
    Audience,
    Event,
    Feedback,
    FeedbackState,
    MilestoneKind,
    MilestoneState,
    ProjectStage,
    RequestStatus,
    StopProject,
    StopRequest,
    utc_now,
)
from transitreq.services.project_plan import plan_milestones
from transitreq.services.project_settings import ProjectSettings
from transitreq.services.projects import describe_launch

P = ProjectStage
K = MilestoneKind
ACTOR = "Demo planner"


@dataclass(frozen=True)
class Step:
    """Something that happened ``day`` days after the approval."""

    day: int
    action: str
    # A department for sign-offs; route names for a launch.
    detail: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class DemoProject:
    request_title: str
    steps: tuple[Step, ...]
    feedback: str = ""


PROJECTS = (
    DemoProject(
        "Market square stop",
        (
            Step(3, "survey_start"),
            Step(12, "survey", note="Kerb wide enough; the market stalls need 2 m clearance."),
            Step(14, "coordination"),
            Step(20, "sign", ("Urban construction",)),
            Step(26, "sign", ("Traffic police",)),
            Step(31, "changes", ("Landscaping",), "Keep the plane tree; move the shelter 3 m."),
        ),
    ),
    DemoProject(
        "Northgate health centre",
        (
            Step(2, "survey_start"),
            Step(9, "survey", note="Level pavement; room for a shelter and a bench."),
            Step(10, "coordination"),
            Step(18, "sign", ("Urban construction",)),
            Step(21, "sign", ("Landscaping",)),
            Step(22, "sign", ("Traffic police",)),
            Step(25, "sign", ("Bus operator",)),
            # Still being built: its dates to come count from the day the demo is seeded.
            Step(27, "launch", ("7",), "+40"),
            Step(33, "construction"),
            Step(33, "due", ("construction_finish",), "+20"),
        ),
    ),
    DemoProject(
        "Riverside library",
        (
            Step(2, "survey_start"),
            Step(6, "survey", note="Existing lay-by can be reused."),
            Step(7, "coordination"),
            Step(12, "sign", ("Urban construction",)),
            Step(13, "sign", ("Landscaping",)),
            Step(15, "sign", ("Traffic police",)),
            Step(16, "sign", ("Bus operator",)),
            Step(20, "construction"),
            Step(34, "launch", ("1",), "40"),
            Step(38, "finished"),
            Step(40, "in_service"),
        ),
        feedback="Thank you! My mother takes the bus to the library on her own again.",
    ),
)


def _approved_at(stop_request: StopRequest) -> datetime:
    approval = next(event for event in stop_request.events if event.to_status == "approved")
    return approval.created_at


def _event(project: StopProject, at: datetime, kind: str, note: str, **extra) -> Event:
    return Event(project=project, kind=kind, note=note, actor=ACTOR, created_at=at, **extra)


def _stage(project: StopProject, at: datetime, stage: ProjectStage, note: str) -> Event:
    event = _event(
        project, at, "project_stage", note, from_status=project.status.value, to_status=stage.value
    )
    project.status = stage
    return event


def _day_from(days: str, approved: datetime) -> date:
    """Days after the approval ("40"), or after today ("+40") for a date still to come."""
    if days.startswith("+"):
        return utc_now().date() + timedelta(days=int(days[1:]))
    return approved.date() + timedelta(days=int(days))


def _apply(project: StopProject, approved: datetime, step: Step) -> Iterable[Event]:
    """The project's state and events after one step, as the services would have left them."""
    at = approved + timedelta(days=step.day)
    day = at.date()
    if step.action == "survey_start":
        yield _stage(project, at, P.SITE_SURVEY, "The site survey has begun.")
    elif step.action == "survey":
        survey = project.milestones_of(K.SITE_SURVEY)[0]
        survey.state, survey.done_date, survey.notes = MilestoneState.DONE, day, step.note
        yield _event(project, at, "survey_findings", step.note, audience=Audience.INTERNAL)
        yield _event(project, at, "survey_done", f"The site was surveyed on {day:%d %b %Y}.")
    elif step.action == "coordination":
        yield _stage(project, at, P.COORDINATION, "The city's departments now review the site.")
    elif step.action in ("sign", "changes"):
        sign_off = next(s for s in project.sign_offs if s.owner_name == step.detail[0])
        if step.action == "sign":
            sign_off.state, sign_off.done_date = MilestoneState.APPROVED, day
            yield _event(project, at, "sign_off_given", f"{step.detail[0]} signed off.")
        else:
            sign_off.state, sign_off.notes = MilestoneState.CHANGES_REQUESTED, step.note
            yield _event(
                project,
                at,
                "sign_off_changes_requested",
                f"{step.detail[0]} asks for changes: {step.note}",
                audience=Audience.INTERNAL,
            )
    elif step.action == "construction":
        start = project.milestones_of(K.CONSTRUCTION_START)[0]
        start.state, start.done_date = MilestoneState.DONE, day
        yield _stage(project, at, P.CONSTRUCTION, f"Construction started on {day:%d %b %Y}.")
    elif step.action == "finished":
        finish = project.milestones_of(K.CONSTRUCTION_FINISH)[0]
        finish.state, finish.done_date = MilestoneState.DONE, day
        yield _event(
            project, at, "construction_finished", f"Construction finished on {day:%d %b %Y}."
        )
    elif step.action == "due":
        for milestone in project.milestones_of(MilestoneKind(step.detail[0])):
            milestone.due_date = _day_from(step.note, approved)
    elif step.action == "launch":
        project.launch_routes = list(step.detail)
        project.service_start_date = _day_from(step.note, approved)
        launch = project.milestones_of(K.LAUNCH)[0]
        launch.state, launch.done_date = MilestoneState.DONE, day
        yield _event(
            project,
            at,
            "launch_planned",
            f"Route {step.detail[0]} will call here from {project.service_start_date:%d %b %Y}.",
        )
    elif step.action == "in_service":
        project.closed_at = at
        yield _stage(
            project,
            at,
            P.IN_SERVICE,
            describe_launch(project.launch_routes, project.service_start_date),
        )
    else:
        raise ValueError(f"unknown demo step {step.action!r}")


def build_demo_projects(session: Session) -> int:
    """A project for each approved demo request named in ``PROJECTS``; returns how many."""
    built = 0
    for spec in PROJECTS:
        stop_request = session.scalars(
            select(StopRequest).where(
                StopRequest.is_demo.is_(True), StopRequest.title == spec.request_title
            )
        ).one()
        approved = _approved_at(stop_request)
        project = StopProject(
            name=stop_request.title,
            location=stop_request.location,
            status=P.APPROVED,
            created_at=approved,
            updated_at=approved,
        )
        session.add(project)
        plan_milestones(session, project, ProjectSettings(), approved.date())
        stop_request.project = project
        session.add(
            _event(
                project,
                approved,
                "approved",
                "Approved: a new stop is planned here.",
                to_status="approved",
            )
        )
        for step in spec.steps:
            session.add_all(list(_apply(project, approved, step)))
        if project.status is P.IN_SERVICE:
            stop_request.status = RequestStatus.COMPLETED
            session.add(
                Event(
                    request=stop_request,
                    kind="completed",
                    from_status="approved",
                    to_status="completed",
                    note=describe_launch(project.launch_routes, project.service_start_date),
                    actor=ACTOR,
                    created_at=project.closed_at,
                )
            )
        if spec.feedback:
            session.add(
                Feedback(
                    request=stop_request,
                    body=spec.feedback,
                    name="Demo resident",
                    state=FeedbackState.PUBLISHED,
                    created_at=project.closed_at + timedelta(days=3),
                    moderated_at=project.closed_at + timedelta(days=4),
                )
            )
        built += 1
    session.flush()
    return built


def remove_demo_projects(session: Session) -> None:
    """The projects of demo requests go before the requests themselves (their key points here).

    Bulk statements, like the rest of the demo's removal: milestones, photos and project events
    go with their project through ON DELETE CASCADE.
    """
    doomed = list(
        session.scalars(
            select(StopRequest.project_id).where(
                StopRequest.is_demo.is_(True), StopRequest.project_id.is_not(None)
            )
        )
    )
    if not doomed:
        return
    quietly = {"synchronize_session": False}
    session.execute(
        update(StopRequest)
        .where(StopRequest.project_id.in_(doomed))
        .values(project_id=None)
        .execution_options(**quietly)
    )
    session.execute(delete(Event).where(Event.project_id.in_(doomed)).execution_options(**quietly))
    session.execute(
        delete(StopProject).where(StopProject.id.in_(doomed)).execution_options(**quietly)
    )
