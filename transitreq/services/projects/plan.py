"""The milestones a newly approved stop project starts with, from the deployment's settings."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transitreq.models import Department, Milestone, MilestoneKind, StopProject
from transitreq.services.projects.settings import ProjectSettings

K = MilestoneKind


def department_named(session: Session, name: str) -> Department:
    """The department called ``name`` (any case), created the first time a plan needs it."""
    found = session.scalar(select(Department).where(func.lower(Department.name) == name.lower()))
    if found is None:
        found = Department(name=name)
        session.add(found)
        session.flush()
    return found


def plan_milestones(
    session: Session, project: StopProject, settings: ProjectSettings, approved_on: date
) -> list[Milestone]:
    """A site survey, one sign-off per required department, construction start and finish,
    and the launch, each due the configured number of days after approval."""

    def due(kind: MilestoneKind) -> date:
        return approved_on + timedelta(days=settings.due_days[kind])

    plan: list[tuple[MilestoneKind, Department | None]] = [(K.SITE_SURVEY, None)]
    plan += [(K.SIGN_OFF, department_named(session, name)) for name in settings.required_sign_offs]
    builder = department_named(session, settings.construction_department)
    plan += [(K.CONSTRUCTION_START, builder), (K.CONSTRUCTION_FINISH, builder)]
    plan += [(K.LAUNCH, department_named(session, settings.launch_department))]
    milestones = [
        Milestone(kind=kind, department=department, due_date=due(kind), position=position)
        for position, (kind, department) in enumerate(plan)
    ]
    project.milestones.extend(milestones)
    return milestones
