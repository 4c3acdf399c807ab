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

from sqlalchemy import select
from sqlalchemy.orm import Session

from transitreq.db import unit_of_work
from transitreq.errors import (
    TransitionRefused,
    ValidationFailed,
)
from transitreq.models import (
    Audience,
    Event,
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
from transitreq.services.project_changes import (
    approved_on,
    change,
    check_done_date,
    find_project,
    mark_done,
    milestone_for_change,
    project_for_change,
    record_event,
    require_planner,
    text_field,
    today,
    with_note,
)
from transitreq.services.project_rules import check_move
from transitreq.services.project_settings import settings_of
from transitreq.services.status_rules import move

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
    session: Session, project: StopProject, user: User, to_stage: ProjectStage, message: str
) -> Event:
    check_move(project, to_stage)
    from_stage = project.status
    project.status = to_stage
    return record_event(
        session, project, user, "project_stage", message, from_stage=from_stage, to_stage=to_stage
    )


def announce_approval(session: Session, project: StopProject, user: User, note: str) -> Event:
    """The project's first public event, which residents following a linked request are sent.

    Called by the approval itself (``services/decisions.py``), inside its transaction.
    """
    return record_event(session, project, user, "approved", note, to_stage=P.APPROVED)


def start_survey(
    session: Session, project_id: int, expected_version: int, user: User, note: str = ""
) -> StopProject:
    """The site survey begins: someone will go and look at the site."""
    require_planner(user)
    note = text_field(note, "note", "The note")
    project = project_for_change(session, project_id, expected_version)
    if project.status is P.COORDINATION:
        # Going back needs a reason and a new survey milestone: that is ``resurvey``.
        raise TransitionRefused("Send the project back to survey with a reason.", "stage")
    with change(session, project):
        _move_stage(
            session,
            project,
            user,
            P.SITE_SURVEY,
            with_note("The site survey has begun: planners will visit the site.", note),
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
    require_planner(user)
    findings = text_field(findings, "findings", "The findings", required=True)
    public_note = text_field(public_note, "public_note", "The public note")
    typed = _check_photos(photos)
    project = project_for_change(session, project_id, expected_version)
    if project.status is not P.SITE_SURVEY:
        raise TransitionRefused(
            "Surveys are recorded while the project is in site survey.", "stage"
        )
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
        record_event(session, project, user, "survey_findings", findings, Audience.INTERNAL)
        record_event(
            session,
            project,
            user,
            "survey_done",
            with_note(f"The site was surveyed on {surveyed_on:%d %b %Y}.", public_note),
        )
    return survey


def start_coordination(
    session: Session, project_id: int, expected_version: int, user: User, note: str = ""
) -> StopProject:
    """The departments that must agree are asked for their sign-off."""
    require_planner(user)
    note = text_field(note, "note", "The note")
    project = project_for_change(session, project_id, expected_version)
    names = ", ".join(sign_off.owner_name for sign_off in project.sign_offs)
    with change(session, project):
        _move_stage(
            session,
            project,
            user,
            P.COORDINATION,
            with_note(
                f"The site is surveyed; now the city's departments review it ({names}).", note
            ),
        )
    return project


def resurvey(
    session: Session, project_id: int, expected_version: int, user: User, reason: str
) -> StopProject:
    """Back to site survey from coordination, when a department's changes need a new look."""
    require_planner(user)
    reason = text_field(reason, "reason", "The reason", required=True)
    project = project_for_change(session, project_id, expected_version)
    if project.status is not P.COORDINATION:
        raise TransitionRefused(
            "Only a project in coordination goes back to survey; start the survey instead.",
            "stage",
        )
    with change(session, project):
        _move_stage(
            session,
            project,
            user,
            P.SITE_SURVEY,
            with_note("The site will be surveyed again.", reason),
        )
        days = settings_of(session).due_days[K.SITE_SURVEY]
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
    note = text_field(note, "note", "The note")
    project = project_for_change(session, project_id, expected_version)
    check_done_date(session, project, started_on, "started_on", today(session))
    check_move(project, P.CONSTRUCTION)
    with change(session, project):
        mark_done(project.milestones_of(K.CONSTRUCTION_START), started_on, user)
        _move_stage(
            session,
            project,
            user,
            P.CONSTRUCTION,
            with_note(f"Construction started on {started_on:%d %b %Y}.", note),
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
    note = text_field(note, "note", "The note")
    project = project_for_change(session, project_id, expected_version)
    if project.status is not P.CONSTRUCTION:
        raise TransitionRefused("Construction can finish only once it has started.", "stage")
    finishes = project.milestones_of(K.CONSTRUCTION_FINISH)
    if finishes and all(finish.is_done for finish in finishes):
        # Once: a second finish would write to every resident again.
        raise TransitionRefused("Construction is already recorded as finished.", "stage")
    check_done_date(session, project, finished_on, "finished_on", today(session))
    started = [m.done_date for m in project.milestones_of(K.CONSTRUCTION_START) if m.done_date]
    if started and finished_on < max(started):
        raise ValidationFailed({"finished_on": "Construction cannot finish before it started."})
    with change(session, project):
        mark_done(project.milestones_of(K.CONSTRUCTION_FINISH), finished_on, user)
        record_event(
            session,
            project,
            user,
            "construction_finished",
            with_note(f"Construction finished on {finished_on:%d %b %Y}.", note),
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
    require_planner(user)
    note = text_field(note, "note", "The note")
    chosen = list(dict.fromkeys(route.strip() for route in routes if route.strip()))
    if not chosen:
        raise ValidationFailed({"routes": "Choose at least one route that will call here."})
    if len(chosen) > MAX_LAUNCH_ROUTES:
        raise ValidationFailed({"routes": f"Choose at most {MAX_LAUNCH_ROUTES} routes."})
    known = set(route_labels(session))
    unknown = [route for route in chosen if route not in known]
    if unknown:
        raise ValidationFailed({"routes": f"No route is called {', '.join(unknown)}."})
    project = project_for_change(session, project_id, expected_version)
    if project.status not in (P.COORDINATION, P.CONSTRUCTION):
        raise TransitionRefused(
            "The launch is planned during coordination or construction.", "stage"
        )
    if service_start < approved_on(session, project):
        raise ValidationFailed({"service_start": "Service cannot start before the approval."})
    with change(session, project):
        project.launch_routes = chosen
        project.service_start_date = service_start
        mark_done(project.milestones_of(K.LAUNCH), today(session), user)
        noun = "Route" if len(chosen) == 1 else "Routes"
        record_event(
            session,
            project,
            user,
            "launch_planned",
            with_note(
                f"{noun} {', '.join(chosen)} will call here from {service_start:%d %b %Y}.", note
            ),
        )
    return project


def put_in_service(
    session: Session, project_id: int, expected_version: int, user: User, note: str = ""
) -> StopProject:
    """The stop opens: every linked request still approved is completed."""
    require_planner(user)
    note = text_field(note, "note", "The note")
    project = project_for_change(session, project_id, expected_version)
    check_move(project, P.IN_SERVICE)
    message = with_note(describe_launch(project.launch_routes, project.service_start_date), note)
    with change(session, project):
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
    require_planner(user)
    reason = text_field(reason, "reason", "The public reason", required=True)
    project = project_for_change(session, project_id, expected_version)
    with change(session, project):
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
    require_planner(user)
    milestone = milestone_for_change(session, milestone_id, expected_version)
    project = milestone.project
    if due is not None and due < approved_on(session, project):
        raise ValidationFailed({"due_date": "A milestone cannot fall due before the approval."})
    before = milestone.due_date
    with change(session, project):
        milestone.due_date = due
        record_event(
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
    require_planner(user)
    text = text_field(text, "text", "The note", required=True)
    project = find_project(session, project_id)
    with unit_of_work(session):
        return record_event(
            session,
            project,
            user,
            "project_note",
            text,
            Audience.PUBLIC if public else Audience.INTERNAL,
        )
