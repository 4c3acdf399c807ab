"""How every change to a stop project is made, whoever makes it: loaded at the version the
user saw, written in one transaction that bumps that version, and recorded as a project event
(public ones are queued for e-mail in the same transaction).

The use cases in ``services/projects.py`` and ``services/sign_offs.py`` are built from these.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from transitreq.db import unit_of_work
from transitreq.errors import (
    NotPermitted,
    StaleDecision,
    UnknownReference,
    ValidationFailed,
)
from transitreq.models import (
    Audience,
    Event,
    Milestone,
    MilestoneState,
    ProjectStage,
    StopProject,
    User,
    utc_now,
)
from transitreq.services import notifications
from transitreq.services.project_settings import local_date, local_today
from transitreq.services.request_validation import clean_text

NOTE_MAX_CHARS = 2000
STALE_MESSAGE = (
    "This project changed since you opened it (someone else recorded a step or decided); "
    "nothing was saved. Look at it again and act anew."
)


def text_field(value: object, field: str, label: str, *, required: bool = False) -> str:
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


def project_for_change(session: Session, project_id: int, expected_version: int) -> StopProject:
    project = find_project(session, project_id)
    if project.version != expected_version:
        raise StaleDecision(STALE_MESSAGE, "version")
    return project


def milestone_for_change(session: Session, milestone_id: int, expected_version: int) -> Milestone:
    milestone = session.get(Milestone, milestone_id)
    if milestone is None:
        raise UnknownReference(f"There is no milestone number {milestone_id}.", "milestone")
    if milestone.project.version != expected_version:
        raise StaleDecision(STALE_MESSAGE, "version")
    return milestone


@contextmanager
def change(session: Session, project: StopProject) -> Iterator[None]:
    """One transaction that bumps the project's version; a lost race becomes StaleDecision."""
    try:
        with unit_of_work(session):
            yield
            project.updated_at = utc_now()
    except (StaleDataError, IntegrityError):
        raise StaleDecision(STALE_MESSAGE, "version") from None


def require_planner(user: User) -> None:
    if not user.is_planner:
        raise NotPermitted("Only the transit-planning office can do this.", "user")


def record_event(
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


def mark_done(milestones: Sequence[Milestone], on: date, user: User) -> None:
    for milestone in milestones:
        milestone.state = MilestoneState.DONE
        milestone.done_date = on
        milestone.decided_by_user_id = user.id


def with_note(message: str, note: str) -> str:
    return f"{message} {note}" if note else message


def approved_on(session: Session, project: StopProject) -> date:
    """The day of approval in the city's time zone, which is how staff count days."""
    return local_date(session, project.created_at)


def check_done_date(
    session: Session, project: StopProject, when: date, field: str, today: date
) -> None:
    if when > today:
        raise ValidationFailed({field: "That date is still to come; record what has happened."})
    approval_day = approved_on(session, project)
    if when < approval_day:
        raise ValidationFailed(
            {field: f"The project was approved on {approval_day:%d %b %Y}; pick a later date."}
        )


def today(session: Session) -> date:
    return local_today(session)
