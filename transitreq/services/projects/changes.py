"""How every change to a stop project is made, whoever makes it: loaded at the version the
user saw, written in one transaction that bumps that version, and recorded as a project event
(public ones are queued for e-mail in the same transaction).

The use cases in ``services/projects.py`` and ``services/sign_offs.py`` are built from these.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from transitreq.errors import (
    NotPermitted,
    UnknownReference,
    ValidationFailed,
)
from transitreq.i18n import _, format_day, lazy_gettext
from transitreq.models import (
    Audience,
    Event,
    EventKind,
    Milestone,
    MilestoneState,
    ProjectStage,
    StopProject,
    User,
    utc_now,
)
from transitreq.services.context import local_date, local_today
from transitreq.services.mail import notifications
from transitreq.services.versioned import at_version, versioned_change

STALE_MESSAGE = lazy_gettext(
    "This project changed since you opened it (someone else recorded a step or decided); "
    "nothing was saved. Look at it again and act anew."
)


def find_project(session: Session, project_id: int) -> StopProject:
    project = session.scalar(
        select(StopProject)
        .where(StopProject.id == project_id)
        .options(selectinload(StopProject.milestones).selectinload(Milestone.department))
    )
    if project is None:
        raise UnknownReference(
            _("There is no stop project number %(number)d.", number=project_id), "project"
        )
    return project


def project_for_change(session: Session, project_id: int, expected_version: int) -> StopProject:
    return at_version(find_project(session, project_id), expected_version, STALE_MESSAGE)


def milestone_for_change(session: Session, milestone_id: int, expected_version: int) -> Milestone:
    milestone = session.get(Milestone, milestone_id)
    if milestone is None:
        raise UnknownReference(
            _("There is no milestone number %(number)d.", number=milestone_id), "milestone"
        )
    at_version(milestone.project, expected_version, STALE_MESSAGE)
    return milestone


@contextmanager
def change(session: Session, project: StopProject) -> Iterator[None]:
    """One transaction that bumps the project's version; a lost race becomes StaleDecision."""
    with versioned_change(session, STALE_MESSAGE):
        yield
        project.updated_at = utc_now()


def require_planner(user: User) -> None:
    if not user.is_planner:
        raise NotPermitted(_("Only the transit-planning office can do this."), "user")


# Who the audit log names when the service itself acts (``sentences.actor_name`` words it).
SYSTEM_ACTOR = "system"


def actor_of(user: User | None) -> str:
    """The name an event stores for who acted: the staff member, or the service itself."""
    return user.name if user is not None else SYSTEM_ACTOR


def record_event(
    session: Session,
    project: StopProject,
    user: User | None,
    kind: EventKind,
    note: str = "",
    audience: Audience = Audience.PUBLIC,
    from_stage: ProjectStage | None = None,
    to_stage: ProjectStage | None = None,
    facts: dict[str, Any] | None = None,
) -> Event:
    """Record a project event: its kind, the facts its sentence is made of, and only what the
    person typed as its note. Public milestones are queued for e-mail in the same transaction."""
    event = Event(
        project=project,
        kind=kind,
        facts=facts or {},
        note=note,
        audience=audience,
        actor=actor_of(user),
        user_id=user.id if user is not None else None,
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


def approved_on(session: Session, project: StopProject) -> date:
    """The day of approval in the city's time zone, which is how staff count days."""
    return local_date(session, project.created_at)


def check_done_date(
    session: Session, project: StopProject, when: date, field: str, today: date
) -> None:
    if when > today:
        raise ValidationFailed({field: _("That date is still to come; record what has happened.")})
    approval_day = approved_on(session, project)
    if when < approval_day:
        raise ValidationFailed(
            {
                field: _(
                    "The project was approved on %(day)s; pick a later date.",
                    day=format_day(approval_day),
                )
            }
        )


def today(session: Session) -> date:
    return local_today(session)
