"""Riverbend's stop projects: one still in coordination with a department late, one under
construction and one in service with residents' thanks (the stop at the Willow footbridge), so
every page of the project tracking has something true-looking to show on a fresh install, in
the language the demo is written in.

The history is written directly with its own dates (weeks before ``DEMO_EPOCH``) rather than
through the services, which only record what happens today.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from transitreq.importers.demo_text import DEMO_PLANNER, Text
from transitreq.models import (
    Audience,
    Event,
    EventKind,
    Feedback,
    FeedbackState,
    MilestoneKind,
    MilestoneState,
    ProjectStage,
    RequestStatus,
    Stop,
    StopProject,
    StopRequest,
    utc_now,
)
from transitreq.services.context import settings_of
from transitreq.services.places.index import refresh_stops
from transitreq.services.projects.opening import PROJECT_FEED, open_stop, project_stop_id
from transitreq.services.projects.plan import plan_milestones

P = ProjectStage
K = MilestoneKind


@dataclass(frozen=True)
class Step:
    """Something that happened ``day`` days after the approval."""

    day: int
    action: str
    # A department for sign-offs (as configured, see Settings.projects); route names for a
    # launch; a milestone kind for a due date.
    detail: tuple[str, ...] = ()
    note: Text = Text("", "")
    # Days after the approval ("40"), or after today ("+40"), for launches and due dates.
    days: str = ""


@dataclass(frozen=True)
class Thanks:
    """A resident's published feedback on a stop in service."""

    name: Text
    body: Text
    days_after_service: int


@dataclass(frozen=True)
class DemoProject:
    request_title: Text
    steps: tuple[Step, ...]
    thanks: tuple[Thanks, ...] = ()


# Departments by their place in the configured list (Settings.projects.required_sign_offs,
# by default urban construction, landscaping, traffic police, bus operator), so the demo's
# sign-offs are those of the deployment, named in its language.
URBAN, LANDSCAPING, POLICE, OPERATOR = "0", "1", "2", "3"

PROJECTS = (
    DemoProject(
        Text("Market square stop", "集市广场设站"),
        (
            Step(3, "survey_start"),
            Step(
                12,
                "survey",
                note=Text(
                    "Kerb wide enough; the market stalls need 2 m clearance.",
                    "路缘够宽；集市摊位需要留出 2 米通道。",
                ),
            ),
            Step(14, "coordination"),
            Step(20, "sign", (URBAN,)),
            Step(26, "sign", (POLICE,)),
            Step(
                31,
                "changes",
                (LANDSCAPING,),
                Text(
                    "Keep the plane tree; move the shelter 3 m.",
                    "保留那棵梧桐树，候车亭移开 3 米。",
                ),
            ),
        ),
    ),
    DemoProject(
        Text("Northgate health centre", "北门社区卫生服务中心"),
        (
            Step(2, "survey_start"),
            Step(
                9,
                "survey",
                note=Text(
                    "Level pavement; room for a shelter and a bench.",
                    "人行道平整，可以放候车亭和长椅。",
                ),
            ),
            Step(10, "coordination"),
            Step(18, "sign", (URBAN,)),
            Step(21, "sign", (LANDSCAPING,)),
            Step(22, "sign", (POLICE,)),
            Step(25, "sign", (OPERATOR,)),
            # Still being built: its dates to come count from the day the demo is seeded.
            Step(27, "launch", ("7",), days="+40"),
            Step(33, "construction"),
            Step(33, "due", ("construction_finish",), days="+20"),
        ),
    ),
    DemoProject(
        Text("Riverside library", "沿江图书馆"),
        (
            Step(2, "survey_start"),
            Step(
                6,
                "survey",
                note=Text(
                    "The lay-by at the bridge's north end can be reused; the ramp to the "
                    "footbridge stays clear.",
                    "桥北头现有的港湾式停车位可以利用，人行桥的坡道保持畅通。",
                ),
            ),
            Step(7, "coordination"),
            Step(12, "sign", (URBAN,)),
            Step(13, "sign", (LANDSCAPING,)),
            Step(15, "sign", (POLICE,)),
            Step(16, "sign", (OPERATOR,)),
            Step(20, "construction"),
            Step(34, "launch", ("1",), days="40"),
            Step(38, "finished"),
            Step(40, "in_service"),
        ),
        thanks=(
            Thanks(
                Text("Lin Hua", "林华"),
                Text(
                    "Thank you! My mother takes the bus to the library on her own again.",
                    "谢谢！我母亲又能自己坐公交车去图书馆了。",
                ),
                3,
            ),
            Thanks(
                Text("Zhou Min, Willow Bank", "柳岸社区 周敏"),
                Text(
                    "Over the footbridge and straight onto line 1: it saves my knees every "
                    "morning. Thank you to all the neighbours who supported it.",
                    "走过人行桥就能坐上 1 路车，每天早上少走好多路。谢谢所有支持这个申请的邻居。",
                ),
                9,
            ),
        ),
    ),
)


def _approved_at(stop_request: StopRequest) -> datetime:
    approval = next(event for event in stop_request.events if event.to_status == "approved")
    return approval.created_at


@dataclass(frozen=True)
class _Writer:
    """What a project's history is written with: the demo's language and the departments."""

    language: str
    departments: tuple[str, ...]

    @property
    def actor(self) -> str:
        return DEMO_PLANNER.pick(self.language)

    def department(self, place: str) -> str | None:
        """The configured department at ``place``; None when the city names fewer (the demo's
        step for it is then left out, as that department does not exist there)."""
        index = int(place)
        return self.departments[index] if index < len(self.departments) else None


def _event(
    project: StopProject, at: datetime, kind: EventKind, actor: str, note: str = "", **extra
) -> Event:
    return Event(project=project, kind=kind, note=note, actor=actor, created_at=at, **extra)


def _stage(project: StopProject, at: datetime, stage: ProjectStage, actor: str, **facts) -> Event:
    event = _event(
        project,
        at,
        EventKind.PROJECT_STAGE,
        actor,
        from_status=project.status.value,
        to_status=stage.value,
        facts=facts,
    )
    project.status = stage
    return event


def _launch(project: StopProject) -> dict[str, object]:
    return {
        "routes": list(project.launch_routes),
        "service_start": project.service_start_date.isoformat(),
    }


def _day_from(days: str, approved: datetime) -> date:
    """Days after the approval ("40"), or after today ("+40") for a date still to come."""
    if days.startswith("+"):
        return utc_now().date() + timedelta(days=int(days[1:]))
    return approved.date() + timedelta(days=int(days))


def _apply(
    project: StopProject, approved: datetime, step: Step, writer: _Writer
) -> Iterable[Event]:
    """The project's state and events after one step, as the services would have left them."""
    at = approved + timedelta(days=step.day)
    day = at.date()
    actor = writer.actor
    note = step.note.pick(writer.language)
    if step.action == "survey_start":
        yield _stage(project, at, P.SITE_SURVEY, actor)
    elif step.action == "survey":
        survey = project.milestones_of(K.SITE_SURVEY)[0]
        survey.state, survey.done_date, survey.notes = MilestoneState.DONE, day, note
        yield _event(
            project, at, EventKind.SURVEY_FINDINGS, actor, note, audience=Audience.INTERNAL
        )
        yield _event(project, at, EventKind.SURVEY_DONE, actor, facts={"on": day.isoformat()})
    elif step.action == "coordination":
        departments = [sign_off.owner_name for sign_off in project.sign_offs]
        yield _stage(project, at, P.COORDINATION, actor, departments=departments)
    elif step.action in ("sign", "changes"):
        department = writer.department(step.detail[0])
        if department is None:
            return
        sign_off = next(s for s in project.sign_offs if s.owner_name == department)
        if step.action == "sign":
            sign_off.state, sign_off.done_date = MilestoneState.APPROVED, day
            yield _event(
                project, at, EventKind.SIGN_OFF_GIVEN, actor, facts={"department": department}
            )
        else:
            sign_off.state, sign_off.notes = MilestoneState.CHANGES_REQUESTED, note
            yield _event(
                project,
                at,
                EventKind.SIGN_OFF_CHANGES_REQUESTED,
                actor,
                note,
                audience=Audience.INTERNAL,
                facts={"department": department},
            )
    elif step.action == "construction":
        start = project.milestones_of(K.CONSTRUCTION_START)[0]
        start.state, start.done_date = MilestoneState.DONE, day
        yield _stage(project, at, P.CONSTRUCTION, actor, on=day.isoformat())
    elif step.action == "finished":
        finish = project.milestones_of(K.CONSTRUCTION_FINISH)[0]
        finish.state, finish.done_date = MilestoneState.DONE, day
        yield _event(
            project, at, EventKind.CONSTRUCTION_FINISHED, actor, facts={"on": day.isoformat()}
        )
    elif step.action == "due":
        for milestone in project.milestones_of(MilestoneKind(step.detail[0])):
            milestone.due_date = _day_from(step.days, approved)
    elif step.action == "launch":
        project.launch_routes = list(step.detail)
        project.service_start_date = _day_from(step.days, approved)
        launch = project.milestones_of(K.LAUNCH)[0]
        launch.state, launch.done_date = MilestoneState.DONE, day
        yield _event(project, at, EventKind.LAUNCH_PLANNED, actor, facts=_launch(project))
    elif step.action == "in_service":
        project.closed_at = at
        yield _stage(project, at, P.IN_SERVICE, actor, **_launch(project))
    else:
        raise ValueError(f"unknown demo step {step.action!r}")


def build_demo_projects(session: Session, stop_feed: str, language: str = "en") -> int:
    """A project for each approved demo request named in ``PROJECTS``, written in
    ``language``; returns how many. A project in service opens its stop in ``stop_feed`` (the
    demo's own, so that seeding again replaces it with the rest of the city)."""
    project_settings = settings_of(session).projects
    writer = _Writer(language, tuple(project_settings.required_sign_offs))
    built = 0
    for spec in PROJECTS:
        stop_request = session.scalars(
            select(StopRequest).where(
                StopRequest.is_demo.is_(True),
                StopRequest.title == spec.request_title.pick(language),
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
        plan_milestones(session, project, project_settings, approved.date())
        stop_request.project = project
        session.add(
            _event(project, approved, EventKind.APPROVED, writer.actor, to_status="approved")
        )
        for step in spec.steps:
            session.add_all(list(_apply(project, approved, step, writer)))
        if project.status is P.IN_SERVICE:
            session.flush()
            open_stop(session, project, stop_feed)
            stop_request.status = RequestStatus.COMPLETED
            session.add(
                Event(
                    request=stop_request,
                    kind=EventKind.COMPLETED,
                    from_status="approved",
                    to_status="completed",
                    facts=_launch(project),
                    actor=writer.actor,
                    created_at=project.closed_at,
                )
            )
        for thanks in spec.thanks:
            said_at = project.closed_at + timedelta(days=thanks.days_after_service)
            session.add(
                Feedback(
                    request=stop_request,
                    body=thanks.body.pick(language),
                    name=thanks.name.pick(language),
                    state=FeedbackState.PUBLISHED,
                    created_at=said_at,
                    moderated_at=said_at + timedelta(days=1),
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
    # A demo project a planner put in service after seeding opened its stop in our own feed.
    opened = [project_stop_id(project_id) for project_id in doomed]
    session.execute(
        delete(Stop)
        .where(Stop.feed == PROJECT_FEED, Stop.gtfs_stop_id.in_(opened))
        .execution_options(**quietly)
    )
    refresh_stops(session, PROJECT_FEED)
