"""Taking an approved stop to service: surveys, department sign-offs, construction, launch.

Each function is one use case and one transaction. It records what happened as a project event
(public ones appear on the timeline of every linked request, and the milestones residents care
about are e-mailed to those who asked), and carries the ``version`` of the project the user saw:
every change to a project or one of its milestones bumps that version, so two people acting on
the same project at once cannot both act on what the other just changed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from transitreq.db import unit_of_work
from transitreq.errors import (
    NotPermitted,
    StaleDecision,
    TransitionRefused,
    UnknownReference,
    ValidationFailed,
)
from transitreq.models import (
    Audience,
    Event,
    Milestone,
    MilestoneKind,
    MilestoneState,
    ProjectStage,
    RequestStatus,
    Role,
    Route,
    StopProject,
    SurveyPhoto,
    User,
    utc_now,
)
from transitreq.services import notifications
from transitreq.services.project_rules import check_move
from transitreq.services.project_settings import local_date, local_today, settings_of
from transitreq.services.request_validation import clean_text
from transitreq.services.status_rules import move

P = ProjectStage
K = MilestoneKind
NOTE_MAX_CHARS = 2000
MAX_PHOTOS_PER_SURVEY = 10
PHOTO_MAX_BYTES = 5 * 1024 * 1024
MAX_LAUNCH_ROUTES = 20
# What a photo's first bytes must be, by the type we serve it as.
_PHOTO_SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
}
STALE_MESSAGE = (
    "This project changed since you opened it (someone else recorded a step or decided); "
    "nothing was saved. Look at it again and act anew."
)


@dataclass(frozen=True)
class PhotoUpload:
    filename: str
    data: bytes


def _text(value: object, field: str, label: str, *, required: bool = False) -> str:
    errors: dict[str, str] = {}
    text = clean_text(
        value, field, label, NOTE_MAX_CHARS, errors, required=required, multiline=True
    )
    if errors:
        raise ValidationFailed(errors)
    return text


def find_project(session: Session, project_id: int) -> StopProject:
    project = session.scalar(
        select(StopProject)
        .where(StopProject.id == project_id)
        .options(selectinload(StopProject.milestones).selectinload(Milestone.department))
    )
    if project is None:
        raise UnknownReference(f"There is no stop project number {project_id}.", "project")
    return project


def _project_for_change(session: Session, project_id: int, expected_version: int) -> StopProject:
    project = find_project(session, project_id)
    if project.version != expected_version:
        raise StaleDecision(STALE_MESSAGE, "version")
    return project


def _milestone_for_change(session: Session, milestone_id: int, expected_version: int) -> Milestone:
    milestone = session.get(Milestone, milestone_id)
    if milestone is None:
        raise UnknownReference(f"There is no milestone number {milestone_id}.", "milestone")
    if milestone.project.version != expected_version:
        raise StaleDecision(STALE_MESSAGE, "version")
    return milestone


@contextmanager
def _change(session: Session, project: StopProject) -> Iterator[None]:
    """One transaction that bumps the project's version; a lost race becomes StaleDecision."""
    try:
        with unit_of_work(session):
            yield
            project.updated_at = utc_now()
    except (StaleDataError, IntegrityError):
        raise StaleDecision(STALE_MESSAGE, "version") from None


def _require_planner(user: User) -> None:
    if not user.is_planner:
        raise NotPermitted("Only the transit-planning office can do this.", "user")


def _event(
    session: Session,
    project: StopProject,
    user: User,
    kind: str,
    note: str,
    audience: Audience = Audience.PUBLIC,
    from_stage: ProjectStage | None = None,
    to_stage: ProjectStage | None = None,
) -> Event:
    """Record a project event; public milestones are queued for e-mail in the same transaction."""
    event = Event(
        project=project,
        kind=kind,
        note=note,
        audience=audience,
        actor=user.name,
        user_id=user.id,
        from_status=from_stage.value if from_stage else None,
        to_status=to_stage.value if to_stage else None,
    )
    session.add(event)
    if audience is Audience.PUBLIC:
        notifications.queue_for_event(session, project, event)
    return event


def _with_note(message: str, note: str) -> str:
    return f"{message} {note}" if note else message


def _move_stage(
    session: Session, project: StopProject, user: User, to_stage: ProjectStage, message: str
) -> Event:
    check_move(project, to_stage)
    from_stage = project.status
    project.status = to_stage
    return _event(
        session, project, user, "project_stage", message, from_stage=from_stage, to_stage=to_stage
    )


def _approved_on(session: Session, project: StopProject) -> date:
    """The day of approval in the city's time zone, which is how staff count days."""
    return local_date(session, project.created_at)


def _check_done_date(
    session: Session, project: StopProject, when: date, field: str, today: date
) -> None:
    if when > today:
        raise ValidationFailed({field: "That date is still to come; record what has happened."})
    approved_on = _approved_on(session, project)
    if when < approved_on:
        raise ValidationFailed(
            {field: f"The project was approved on {approved_on:%d %b %Y}; pick a later date."}
        )


def _today(session: Session) -> date:
    return local_today(session)


def announce_approval(session: Session, project: StopProject, user: User, note: str) -> Event:
    """The project's first public event, which residents following a linked request are sent.

    Called by the approval itself (``services/decisions.py``), inside its transaction.
    """
    return _event(session, project, user, "approved", note, to_stage=P.APPROVED)


def start_survey(
    session: Session, project_id: int, expected_version: int, user: User, note: str = ""
) -> StopProject:
    """The site survey begins: someone will go and look at the site."""
    _require_planner(user)
    note = _text(note, "note", "The note")
    project = _project_for_change(session, project_id, expected_version)
    if project.status is P.COORDINATION:
        # Going back needs a reason and a new survey milestone: that is ``resurvey``.
        raise TransitionRefused("Send the project back to survey with a reason.", "stage")
    with _change(session, project):
        _move_stage(
            session,
            project,
            user,
            P.SITE_SURVEY,
            _with_note("The site survey has begun: planners will visit the site.", note),
        )
    return project


def _check_photos(photos: Sequence[PhotoUpload]) -> list[tuple[PhotoUpload, str]]:
    if len(photos) > MAX_PHOTOS_PER_SURVEY:
        raise ValidationFailed({"photos": f"Attach at most {MAX_PHOTOS_PER_SURVEY} photos."})
    typed = []
    for photo in photos:
        if len(photo.data) > PHOTO_MAX_BYTES:
            raise ValidationFailed(
                {"photos": f"{photo.filename} is over {PHOTO_MAX_BYTES // (1024 * 1024)} MB."}
            )
        kind = next(
            (
                content_type
                for content_type, signatures in _PHOTO_SIGNATURES.items()
                if photo.data.startswith(signatures)
                and (content_type != "image/webp" or photo.data[8:12] == b"WEBP")
            ),
            None,
        )
        if kind is None:
            raise ValidationFailed(
                {"photos": f"{photo.filename} is not a JPEG, PNG or WebP photo."}
            )
        typed.append((photo, kind))
    return typed


def record_survey(
    session: Session,
    project_id: int,
    expected_version: int,
    user: User,
    surveyed_on: date,
    findings: str,
    photos: Sequence[PhotoUpload] = (),
    public_note: str = "",
) -> Milestone:
    """The survey's findings (for staff) and photos; residents read that it was done, with the
    public note if the planner wrote one."""
    _require_planner(user)
    findings = _text(findings, "findings", "The findings", required=True)
    public_note = _text(public_note, "public_note", "The public note")
    typed = _check_photos(photos)
    project = _project_for_change(session, project_id, expected_version)
    if project.status is not P.SITE_SURVEY:
        raise TransitionRefused(
            "Surveys are recorded while the project is in site survey.", "stage"
        )
    _check_done_date(session, project, surveyed_on, "surveyed_on", _today(session))
    survey = next(
        (milestone for milestone in project.milestones_of(K.SITE_SURVEY) if not milestone.is_done),
        None,
    )
    with _change(session, project):
        if survey is None:
            # A further survey after the planned ones (a department asked for another look).
            survey = Milestone(kind=K.SITE_SURVEY, position=0)
            project.milestones.append(survey)
        survey.state = MilestoneState.DONE
        survey.done_date = surveyed_on
        survey.notes = findings
        survey.decided_by_user_id = user.id
        for photo, content_type in typed:
            survey.photos.append(
                SurveyPhoto(
                    filename=photo.filename[:200], content_type=content_type, data=photo.data
                )
            )
        _event(session, project, user, "survey_findings", findings, Audience.INTERNAL)
        _event(
            session,
            project,
            user,
            "survey_done",
            _with_note(f"The site was surveyed on {surveyed_on:%d %b %Y}.", public_note),
        )
    return survey


def start_coordination(
    session: Session, project_id: int, expected_version: int, user: User, note: str = ""
) -> StopProject:
    """The departments that must agree are asked for their sign-off."""
    _require_planner(user)
    note = _text(note, "note", "The note")
    project = _project_for_change(session, project_id, expected_version)
    names = ", ".join(sign_off.owner_name for sign_off in project.sign_offs)
    with _change(session, project):
        _move_stage(
            session,
            project,
            user,
            P.COORDINATION,
            _with_note(
                f"The site is surveyed; now the city's departments review it ({names}).", note
            ),
        )
    return project


def resurvey(
    session: Session, project_id: int, expected_version: int, user: User, reason: str
) -> StopProject:
    """Back to site survey from coordination, when a department's changes need a new look."""
    _require_planner(user)
    reason = _text(reason, "reason", "The reason", required=True)
    project = _project_for_change(session, project_id, expected_version)
    if project.status is not P.COORDINATION:
        raise TransitionRefused(
            "Only a project in coordination goes back to survey; start the survey instead.",
            "stage",
        )
    with _change(session, project):
        _move_stage(
            session,
            project,
            user,
            P.SITE_SURVEY,
            _with_note("The site will be surveyed again.", reason),
        )
        days = settings_of(session).due_days[K.SITE_SURVEY]
        project.milestones.append(
            Milestone(
                kind=K.SITE_SURVEY, position=0, due_date=_today(session) + timedelta(days=days)
            )
        )
    return project


SIGN_OFF_DECISIONS = {
    "approve": MilestoneState.APPROVED,
    "changes": MilestoneState.CHANGES_REQUESTED,
    "refuse": MilestoneState.REFUSED,
}


def can_sign(user: User, milestone: Milestone) -> bool:
    """Only staff of the owning department sign off; not planners, not administrators."""
    return (
        milestone.kind is K.SIGN_OFF
        and user.role is Role.DEPARTMENT
        and user.department_id is not None
        and user.department_id == milestone.department_id
    )


def decide_sign_off(
    session: Session,
    milestone_id: int,
    expected_version: int,
    user: User,
    decision: str,
    reason: str = "",
) -> Milestone:
    """A department approves, asks for changes, or refuses (the last two with a reason).

    Residents see each sign-off given; the reasons for changes or a refusal are for staff.
    """
    if decision not in SIGN_OFF_DECISIONS:
        raise ValidationFailed({"decision": "Choose approve, ask for changes, or refuse."})
    reason = _text(reason, "reason", "The reason", required=decision != "approve")
    milestone = _milestone_for_change(session, milestone_id, expected_version)
    if not can_sign(user, milestone):
        raise NotPermitted(
            "Only staff of the department that owns this sign-off can decide it.", "milestone"
        )
    project = milestone.project
    if project.status is not P.COORDINATION:
        raise TransitionRefused(
            "Sign-offs are decided during coordination; this project is "
            f"{project.status.label.lower()}.",
            "stage",
        )
    state = SIGN_OFF_DECISIONS[decision]
    with _change(session, project):
        milestone.state = state
        milestone.notes = reason
        milestone.decided_by_user_id = user.id
        milestone.done_date = _today(session) if state is MilestoneState.APPROVED else None
        department = milestone.owner_name
        if state is MilestoneState.APPROVED:
            # Residents read that the department signed off; its reason is for the planners
            # (the form says so), like the reasons for changes or a refusal.
            if reason:
                _event(
                    session,
                    project,
                    user,
                    "sign_off_reason",
                    f"{department} signs off: {reason}",
                    Audience.INTERNAL,
                )
            _event(session, project, user, "sign_off_given", f"{department} signed off.")
        else:
            verb = "asks for changes" if state is MilestoneState.CHANGES_REQUESTED else "refuses"
            _event(
                session,
                project,
                user,
                f"sign_off_{state.value}",
                f"{department} {verb}: {reason}",
                Audience.INTERNAL,
            )
    return milestone


def reopen_sign_off(
    session: Session, milestone_id: int, expected_version: int, user: User, note: str
) -> Milestone:
    """The planner has answered a department's changes and asks it to decide again."""
    _require_planner(user)
    note = _text(note, "note", "What changed", required=True)
    milestone = _milestone_for_change(session, milestone_id, expected_version)
    project = milestone.project
    if milestone.kind is not K.SIGN_OFF or project.status is not P.COORDINATION:
        raise TransitionRefused(
            "Only a sign-off during coordination can be asked again.", "milestone"
        )
    with _change(session, project):
        milestone.state = MilestoneState.PENDING
        milestone.done_date = None
        _event(
            session,
            project,
            user,
            "sign_off_reopened",
            f"{milestone.owner_name} is asked to decide again: {note}",
            Audience.INTERNAL,
        )
    return milestone


def start_construction(
    session: Session,
    project_id: int,
    expected_version: int,
    user: User,
    started_on: date,
    note: str = "",
) -> StopProject:
    """Every department has signed off and the builders are on site."""
    _require_planner(user)
    note = _text(note, "note", "The note")
    project = _project_for_change(session, project_id, expected_version)
    _check_done_date(session, project, started_on, "started_on", _today(session))
    check_move(project, P.CONSTRUCTION)
    with _change(session, project):
        for start in project.milestones_of(K.CONSTRUCTION_START):
            start.state, start.done_date, start.decided_by_user_id = (
                MilestoneState.DONE,
                started_on,
                user.id,
            )
        _move_stage(
            session,
            project,
            user,
            P.CONSTRUCTION,
            _with_note(f"Construction started on {started_on:%d %b %Y}.", note),
        )
    return project


def finish_construction(
    session: Session,
    project_id: int,
    expected_version: int,
    user: User,
    finished_on: date,
    note: str = "",
) -> StopProject:
    _require_planner(user)
    note = _text(note, "note", "The note")
    project = _project_for_change(session, project_id, expected_version)
    if project.status is not P.CONSTRUCTION:
        raise TransitionRefused("Construction can finish only once it has started.", "stage")
    finishes = project.milestones_of(K.CONSTRUCTION_FINISH)
    if finishes and all(finish.is_done for finish in finishes):
        # Once: a second finish would write to every resident again.
        raise TransitionRefused("Construction is already recorded as finished.", "stage")
    _check_done_date(session, project, finished_on, "finished_on", _today(session))
    started = [m.done_date for m in project.milestones_of(K.CONSTRUCTION_START) if m.done_date]
    if started and finished_on < max(started):
        raise ValidationFailed({"finished_on": "Construction cannot finish before it started."})
    with _change(session, project):
        for finish in project.milestones_of(K.CONSTRUCTION_FINISH):
            finish.state, finish.done_date, finish.decided_by_user_id = (
                MilestoneState.DONE,
                finished_on,
                user.id,
            )
        _event(
            session,
            project,
            user,
            "construction_finished",
            _with_note(f"Construction finished on {finished_on:%d %b %Y}.", note),
        )
    return project


def route_labels(session: Session) -> list[str]:
    """Every route's name as riders know it (short name, else long name), sorted naturally."""
    rows = session.execute(select(Route.short_name, Route.long_name)).all()
    labels = {short or long_name for short, long_name in rows if short or long_name}
    return sorted(labels, key=lambda label: (len(label), label))


def describe_launch(routes: Sequence[str], service_start: date) -> str:
    """ "In service from 1 Mar 2027, served by routes 7 and 12": the words on the tracking page."""
    names = list(routes)
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    noun = "route" if len(names) == 1 else "routes"
    return f"In service from {service_start:%d %b %Y}, served by {noun} {listed}."


def set_launch(
    session: Session,
    project_id: int,
    expected_version: int,
    user: User,
    routes: Sequence[str],
    service_start: date,
    note: str = "",
) -> StopProject:
    """The routes that will call at the new stop and the first day of service."""
    _require_planner(user)
    note = _text(note, "note", "The note")
    chosen = list(dict.fromkeys(route.strip() for route in routes if route.strip()))
    if not chosen:
        raise ValidationFailed({"routes": "Choose at least one route that will call here."})
    if len(chosen) > MAX_LAUNCH_ROUTES:
        raise ValidationFailed({"routes": f"Choose at most {MAX_LAUNCH_ROUTES} routes."})
    known = set(route_labels(session))
    unknown = [route for route in chosen if route not in known]
    if unknown:
        raise ValidationFailed({"routes": f"No route is called {', '.join(unknown)}."})
    project = _project_for_change(session, project_id, expected_version)
    if project.status not in (P.COORDINATION, P.CONSTRUCTION):
        raise TransitionRefused(
            "The launch is planned during coordination or construction.", "stage"
        )
    if service_start < _approved_on(session, project):
        raise ValidationFailed({"service_start": "Service cannot start before the approval."})
    with _change(session, project):
        project.launch_routes = chosen
        project.service_start_date = service_start
        for launch in project.milestones_of(K.LAUNCH):
            launch.state, launch.done_date, launch.decided_by_user_id = (
                MilestoneState.DONE,
                _today(session),
                user.id,
            )
        noun = "Route" if len(chosen) == 1 else "Routes"
        _event(
            session,
            project,
            user,
            "launch_planned",
            _with_note(
                f"{noun} {', '.join(chosen)} will call here from {service_start:%d %b %Y}.", note
            ),
        )
    return project


def put_in_service(
    session: Session, project_id: int, expected_version: int, user: User, note: str = ""
) -> StopProject:
    """The stop opens: every linked request still approved is completed."""
    _require_planner(user)
    note = _text(note, "note", "The note")
    project = _project_for_change(session, project_id, expected_version)
    check_move(project, P.IN_SERVICE)
    message = _with_note(describe_launch(project.launch_routes, project.service_start_date), note)
    with _change(session, project):
        _move_stage(session, project, user, P.IN_SERVICE, message)
        project.closed_at = utc_now()
        for linked in project.requests:
            if linked.status is RequestStatus.APPROVED:
                move(
                    session,
                    linked,
                    RequestStatus.COMPLETED,
                    actor=user.name,
                    note=message,
                    kind="completed",
                    user_id=user.id,
                )
    return project


def cancel(
    session: Session, project_id: int, expected_version: int, user: User, reason: str
) -> StopProject:
    """Stop the project with a public reason; linked requests go back to review, where the
    planners may approve another site for them."""
    _require_planner(user)
    reason = _text(reason, "reason", "The public reason", required=True)
    project = _project_for_change(session, project_id, expected_version)
    with _change(session, project):
        _move_stage(session, project, user, P.CANCELLED, f"The stop project is cancelled: {reason}")
        project.cancel_reason = reason
        project.closed_at = utc_now()
        for linked in project.requests:
            if linked.status is RequestStatus.APPROVED:
                move(
                    session,
                    linked,
                    RequestStatus.UNDER_REVIEW,
                    actor=user.name,
                    note=f"The stop project was cancelled ({reason}); "
                    "the request is back in review.",
                    kind="project_cancelled",
                    user_id=user.id,
                )
    return project


def set_due_date(
    session: Session, milestone_id: int, expected_version: int, user: User, due: date | None
) -> Milestone:
    """Planners reschedule a milestone; the change goes on the audit log."""
    _require_planner(user)
    milestone = _milestone_for_change(session, milestone_id, expected_version)
    project = milestone.project
    if due is not None and due < _approved_on(session, project):
        raise ValidationFailed({"due_date": "A milestone cannot fall due before the approval."})
    before = milestone.due_date
    with _change(session, project):
        milestone.due_date = due
        _event(
            session,
            project,
            user,
            "due_date_changed",
            f"{milestone.title}: due {_day(before)} → {_day(due)}.",
            Audience.INTERNAL,
        )
    return milestone


def _day(when: date | None) -> str:
    return f"{when:%d %b %Y}" if when else "no date"


def add_project_note(
    session: Session, project_id: int, user: User, text: str, public: bool
) -> Event:
    """A note on the project: public ones appear on the residents' timelines (and are not
    e-mailed); internal ones only on the audit log."""
    _require_planner(user)
    text = _text(text, "text", "The note", required=True)
    project = find_project(session, project_id)
    with unit_of_work(session):
        return _event(
            session,
            project,
            user,
            "project_note",
            text,
            Audience.PUBLIC if public else Audience.INTERNAL,
        )


def visible_sign_offs(session: Session, user: User) -> list[Milestone]:
    """The sign-offs a member of department staff may see: their own department's, those
    waiting for a decision now (the project in coordination) first, then newest project first.
    Planners see every project's sign-offs on the project pages instead."""
    if user.role is not Role.DEPARTMENT or user.department_id is None:
        return []
    return list(
        session.scalars(
            select(Milestone)
            .join(StopProject)
            .where(Milestone.kind == K.SIGN_OFF, Milestone.department_id == user.department_id)
            .order_by(
                case((StopProject.status == P.COORDINATION, 0), else_=1),
                StopProject.id.desc(),
            )
        )
    )


def photo_for(session: Session, photo_id: int, user: User) -> SurveyPhoto:
    """A survey photo, for planners and the staff of a department that signs off its project."""
    photo = session.get(SurveyPhoto, photo_id)
    if photo is None:
        raise UnknownReference("There is no such photo.", "photo")
    project = photo.milestone.project
    if not user.is_planner and not any(can_sign(user, sign_off) for sign_off in project.sign_offs):
        raise NotPermitted("This photo belongs to another department's project.", "photo")
    return photo
