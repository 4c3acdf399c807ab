"""Taking an approved stop to service: surveys, construction, launch, in service or cancelled
(the departments' sign-offs are in ``services/sign_offs.py``).

Each function is one use case and one transaction. It records what happened as a project event
(public ones appear on the timeline of every linked request, and the milestones residents care
about are e-mailed to those who asked), and carries the ``version`` of the project the user saw:
every change to a project or one of its milestones bumps that version, so two people acting on
the same project at once cannot both act on what the other just changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from transitreq.db import unit_of_work
from transitreq.errors import (
    TransitionRefused,
    ValidationFailed,
)
from transitreq.i18n import _, ngettext
from transitreq.models import (
    Audience,
    Event,
    EventKind,
    Milestone,
    MilestoneKind,
    ProjectStage,
    RequestStatus,
    Route,
    StopProject,
    SurveyPhoto,
    User,
    utc_now,
)
from transitreq.services.analysis.coverage import take_in_new_stop, up_to_date_datasets
from transitreq.services.analysis.scores import mark_due_near
from transitreq.services.context import settings_of
from transitreq.services.projects.changes import (
    actor_of,
    approved_on,
    change,
    check_done_date,
    find_project,
    mark_done,
    milestone_for_change,
    project_for_change,
    record_event,
    require_planner,
    today,
)
from transitreq.services.projects.opening import open_stop, stop_influence_m
from transitreq.services.projects.rules import check_move, check_step
from transitreq.services.requests.rules import move
from transitreq.services.versioned import note_text

P = ProjectStage
K = MilestoneKind
MAX_PHOTOS_PER_SURVEY = 10
PHOTO_MAX_BYTES = 5 * 1024 * 1024
MAX_LAUNCH_ROUTES = 20
# What a photo's first bytes must be, by the type we serve it as.
_PHOTO_SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
}


@dataclass(frozen=True)
class PhotoUpload:
    filename: str
    data: bytes


def _move_stage(
    session: Session,
    project: StopProject,
    user: User | None,
    to_stage: ProjectStage,
    note: str = "",
    facts: dict[str, Any] | None = None,
) -> Event:
    check_move(project, to_stage, today(session))
    from_stage = project.status
    project.status = to_stage
    return record_event(
        session,
        project,
        user,
        EventKind.PROJECT_STAGE,
        note,
        from_stage=from_stage,
        to_stage=to_stage,
        facts=facts,
    )


def announce_approval(session: Session, project: StopProject, user: User, note: str) -> Event:
    """The project's first public event, which residents following a linked request are sent.

    Called by the approval itself (``services/decisions.py``), inside its transaction.
    """
    return record_event(session, project, user, EventKind.APPROVED, note, to_stage=P.APPROVED)


def start_survey(
    session: Session, project_id: int, expected_version: int, user: User, note: str = ""
) -> StopProject:
    """The site survey begins: someone will go and look at the site."""
    require_planner(user)
    note = note_text(note, "note", _("The note"))
    project = project_for_change(session, project_id, expected_version)
    if project.status is P.COORDINATION:
        check_step(project, "start_survey")
    with change(session, project):
        _move_stage(
            session,
            project,
            user,
            P.SITE_SURVEY,
            note,
        )
    return project


def _check_photos(photos: Sequence[PhotoUpload]) -> list[tuple[PhotoUpload, str]]:
    if len(photos) > MAX_PHOTOS_PER_SURVEY:
        raise ValidationFailed(
            {"photos": _("Attach at most %(max)d photos.", max=MAX_PHOTOS_PER_SURVEY)}
        )
    typed = []
    for photo in photos:
        if len(photo.data) > PHOTO_MAX_BYTES:
            raise ValidationFailed(
                {
                    "photos": _(
                        "%(file)s is over %(mb)d MB.",
                        file=photo.filename,
                        mb=PHOTO_MAX_BYTES // (1024 * 1024),
                    )
                }
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
                {"photos": _("%(file)s is not a JPEG, PNG or WebP photo.", file=photo.filename)}
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
    require_planner(user)
    findings = note_text(findings, "findings", _("The summary of the findings"), required=True)
    public_note = note_text(public_note, "public_note", _("The public note"))
    typed = _check_photos(photos)
    project = project_for_change(session, project_id, expected_version)
    check_step(project, "record_survey")
    check_done_date(session, project, surveyed_on, "surveyed_on", today(session))
    survey = next(
        (milestone for milestone in project.milestones_of(K.SITE_SURVEY) if not milestone.is_done),
        None,
    )
    with change(session, project):
        if survey is None:
            # A further survey after the planned ones (a department asked for another look).
            survey = Milestone(kind=K.SITE_SURVEY, position=0)
            project.milestones.append(survey)
        mark_done([survey], surveyed_on, user)
        survey.notes = findings
        for photo, content_type in typed:
            survey.photos.append(
                SurveyPhoto(
                    filename=photo.filename[:200], content_type=content_type, data=photo.data
                )
            )
        record_event(session, project, user, EventKind.SURVEY_FINDINGS, findings, Audience.INTERNAL)
        record_event(
            session,
            project,
            user,
            EventKind.SURVEY_DONE,
            public_note,
            facts={"on": surveyed_on.isoformat()},
        )
    return survey


def start_coordination(
    session: Session, project_id: int, expected_version: int, user: User, note: str = ""
) -> StopProject:
    """The departments that must agree are asked for their sign-off."""
    require_planner(user)
    note = note_text(note, "note", _("The note"))
    project = project_for_change(session, project_id, expected_version)
    names = [sign_off.owner_name for sign_off in project.sign_offs]
    with change(session, project):
        _move_stage(session, project, user, P.COORDINATION, note, {"departments": names})
    return project


def resurvey(
    session: Session, project_id: int, expected_version: int, user: User, reason: str
) -> StopProject:
    """Back to site survey from coordination, when a department's changes need a new look."""
    require_planner(user)
    reason = note_text(reason, "reason", _("The reason"), required=True)
    project = project_for_change(session, project_id, expected_version)
    check_step(project, "resurvey")
    with change(session, project):
        _move_stage(
            session,
            project,
            user,
            P.SITE_SURVEY,
            reason,
        )
        days = settings_of(session).projects.due_days[K.SITE_SURVEY]
        project.milestones.append(
            Milestone(
                kind=K.SITE_SURVEY, position=0, due_date=today(session) + timedelta(days=days)
            )
        )
    return project


def start_construction(
    session: Session,
    project_id: int,
    expected_version: int,
    user: User,
    started_on: date,
    note: str = "",
) -> StopProject:
    """Every department has signed off and the builders are on site."""
    require_planner(user)
    note = note_text(note, "note", _("The note"))
    project = project_for_change(session, project_id, expected_version)
    check_done_date(session, project, started_on, "started_on", today(session))
    check_move(project, P.CONSTRUCTION, today(session))
    with change(session, project):
        mark_done(project.milestones_of(K.CONSTRUCTION_START), started_on, user)
        _move_stage(
            session,
            project,
            user,
            P.CONSTRUCTION,
            note,
            {"on": started_on.isoformat()},
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
    require_planner(user)
    note = note_text(note, "note", _("The note"))
    project = project_for_change(session, project_id, expected_version)
    check_step(project, "finish_construction")
    finishes = project.milestones_of(K.CONSTRUCTION_FINISH)
    if finishes and all(finish.is_done for finish in finishes):
        # Once: a second finish would write to every resident again.
        raise TransitionRefused(_("Construction is already recorded as finished."), "stage")
    check_done_date(session, project, finished_on, "finished_on", today(session))
    started = [m.done_date for m in project.milestones_of(K.CONSTRUCTION_START) if m.done_date]
    if started and finished_on < max(started):
        raise ValidationFailed({"finished_on": _("Construction cannot finish before it started.")})
    with change(session, project):
        mark_done(project.milestones_of(K.CONSTRUCTION_FINISH), finished_on, user)
        record_event(
            session,
            project,
            user,
            EventKind.CONSTRUCTION_FINISHED,
            note,
            facts={"on": finished_on.isoformat()},
        )
    return project


def route_labels(session: Session) -> list[str]:
    """Every route's name as riders know it (short name, else long name), sorted naturally."""
    rows = session.execute(select(Route.short_name, Route.long_name)).all()
    labels = {short or long_name for short, long_name in rows if short or long_name}
    return sorted(labels, key=lambda label: (len(label), label))


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
    require_planner(user)
    note = note_text(note, "note", _("The note"))
    chosen = list(dict.fromkeys(route.strip() for route in routes if route.strip()))
    if not chosen:
        raise ValidationFailed({"routes": _("Choose at least one route that will call here.")})
    if len(chosen) > MAX_LAUNCH_ROUTES:
        raise ValidationFailed(
            {"routes": _("Choose at most %(max)d routes.", max=MAX_LAUNCH_ROUTES)}
        )
    known = set(route_labels(session))
    unknown = [route for route in chosen if route not in known]
    if unknown:
        raise ValidationFailed(
            {
                "routes": ngettext(
                    "No route is called %(routes)s.",
                    "No routes are called %(routes)s.",
                    len(unknown),
                    routes=_(", ").join(unknown),
                )
            }
        )
    project = project_for_change(session, project_id, expected_version)
    check_step(project, "plan_launch")
    if service_start < approved_on(session, project):
        raise ValidationFailed({"service_start": _("Service cannot start before the approval.")})
    with change(session, project):
        project.launch_routes = chosen
        project.service_start_date = service_start
        mark_done(project.milestones_of(K.LAUNCH), today(session), user)
        record_event(
            session,
            project,
            user,
            EventKind.LAUNCH_PLANNED,
            note,
            facts={"routes": chosen, "service_start": service_start.isoformat()},
        )
    return project


def put_in_service(
    session: Session, project_id: int, expected_version: int, user: User, note: str = ""
) -> StopProject:
    """A planner opens the stop, on or after its first day of service (before it, the rules
    refuse and say the stop opens by itself that day)."""
    require_planner(user)
    note = note_text(note, "note", _("The note"))
    project = project_for_change(session, project_id, expected_version)
    check_move(project, P.IN_SERVICE, today(session))
    with change(session, project):
        enter_service(session, project, user, note)
    return project


def enter_service(
    session: Session, project: StopProject, user: User | None, note: str = ""
) -> Event:
    """The one place a project enters service, whoever moves it (a planner, or nobody: the
    daily advance or the first view after the first day of service, with ``user`` None).

    Runs inside the caller's transaction: the stage, the event residents are e-mailed about,
    and every linked request still approved completed, together or not at all.
    """
    launch = {
        "routes": list(project.launch_routes or []),
        "service_start": project.service_start_date.isoformat(),
    }
    # The stop changes the scores of the requests around it (who is newly served, spacing).
    # Their rows are locked first, in id order, as residents' filings lock them.
    mark_due_near(session, to_shape(project.location), stop_influence_m(session))
    entered = _move_stage(session, project, user, P.IN_SERVICE, note, launch)
    project.closed_at = utc_now()
    _move_linked_requests(
        session, project, user, RequestStatus.COMPLETED, note, EventKind.COMPLETED, launch
    )
    # The stop now serves its neighbourhood: it is a stop like the feed's, and who is within
    # reach changes with it.
    up_to_date = up_to_date_datasets(session)
    stop = open_stop(session, project)
    take_in_new_stop(session, stop.id, up_to_date)
    return entered


def cancel(
    session: Session, project_id: int, expected_version: int, user: User, reason: str
) -> StopProject:
    """Stop the project with a public reason; linked requests go back to review, where the
    planners may approve another site for them."""
    require_planner(user)
    reason = note_text(reason, "reason", _("The public reason"), required=True)
    project = project_for_change(session, project_id, expected_version)
    with change(session, project):
        _move_stage(session, project, user, P.CANCELLED, reason)
        project.cancel_reason = reason
        project.closed_at = utc_now()
        _move_linked_requests(
            session, project, user, RequestStatus.UNDER_REVIEW, reason, EventKind.PROJECT_CANCELLED
        )
    return project


def _move_linked_requests(
    session: Session,
    project: StopProject,
    user: User | None,
    to: RequestStatus,
    note: str,
    kind: EventKind,
    facts: dict | None = None,
) -> None:
    """The project closed: its residents' approved requests follow it (to completed, or back
    to review when it was cancelled), each with its event on the resident's timeline."""
    for linked in project.requests:
        if linked.status is RequestStatus.APPROVED:
            move(
                session,
                linked,
                to,
                actor=actor_of(user),
                note=note,
                kind=kind,
                user_id=user.id if user else None,
                facts=facts,
            )


def set_due_date(
    session: Session, milestone_id: int, expected_version: int, user: User, due: date | None
) -> Milestone:
    """Planners reschedule a milestone; the change goes on the audit log."""
    require_planner(user)
    milestone = milestone_for_change(session, milestone_id, expected_version)
    project = milestone.project
    if due is not None and due < approved_on(session, project):
        raise ValidationFailed({"due_date": _("A milestone cannot fall due before the approval.")})
    before = milestone.due_date
    with change(session, project):
        milestone.due_date = due
        record_event(
            session,
            project,
            user,
            EventKind.DUE_DATE_CHANGED,
            audience=Audience.INTERNAL,
            facts={
                "milestone": milestone.kind.value,
                "department": milestone.owner_name if milestone.kind is K.SIGN_OFF else "",
                "before": before.isoformat() if before else None,
                "after": due.isoformat() if due else None,
            },
        )
    return milestone


def add_project_note(
    session: Session, project_id: int, user: User, text: str, public: bool
) -> Event:
    """A note on the project: public ones appear on the residents' timelines (and are not
    e-mailed); internal ones only on the audit log."""
    require_planner(user)
    text = note_text(text, "text", _("The note"), required=True)
    project = find_project(session, project_id)
    with unit_of_work(session):
        return record_event(
            session,
            project,
            user,
            EventKind.PROJECT_NOTE,
            text,
            Audience.PUBLIC if public else Audience.INTERNAL,
        )
