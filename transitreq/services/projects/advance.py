"""Projects whose first day of service has come enter service by themselves.

A planner sets the first day of service ahead of time; on that day (in the city's time zone)
the stop opens whether or not anyone clicks. ``flask advance-projects`` does it daily, and the
first page view after that day does it too, so a late or missed cron run never shows residents
a stale stage. Many workers may try at once: each project moves in its own transaction through
the project's version counter (a conditional UPDATE), so only one of them writes the stage, the
events and the e-mails, and the others find it already moved.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from transitreq.errors import StaleDecision
from transitreq.models import ProjectStage, StopProject
from transitreq.services.projects.changes import change, find_project, today
from transitreq.services.projects.rules import blockers
from transitreq.services.projects.stages import enter_service

P = ProjectStage


def due_project_ids(session: Session, on: date) -> list[int]:
    """Projects in construction whose first day of service is ``on`` or before (whether each
    is ready, with construction finished and every sign-off given, the rules decide)."""
    return list(
        session.scalars(
            select(StopProject.id)
            .where(
                StopProject.status == P.CONSTRUCTION,
                StopProject.service_start_date <= on,
            )
            .order_by(StopProject.id)
        )
    )


def _advance_one(session: Session, project_id: int, on: date) -> bool:
    project = find_project(session, project_id)
    if project.status is not P.CONSTRUCTION or blockers(project, P.IN_SERVICE, on):
        return False
    with change(session, project):
        enter_service(session, project, None)
    return True


def advance_due_projects(session: Session) -> list[int]:
    """Put in service every project ready on today's date; returns the ids moved by this call
    (not those another worker moved first)."""
    on = today(session)
    moved = []
    for project_id in due_project_ids(session, on):
        try:
            if _advance_one(session, project_id, on):
                moved.append(project_id)
        except (StaleDecision, OperationalError):
            # Another worker may have moved it in the same instant (SQLite says so as a busy
            # snapshot): then it is in service, which is all this call wanted.
            session.rollback()
            if session.get(StopProject, project_id, populate_existing=True).status is not (
                P.IN_SERVICE
            ):
                raise
    session.commit()
    return moved
