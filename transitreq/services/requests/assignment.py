"""Whose desk a request is on: a planner takes it, hands it to a colleague, or puts it back.

Not a decision: the request's version is left alone (a Core UPDATE, not the ORM's versioned
one), so assigning never makes a colleague's open decision form stale. The change goes on the
staff-only audit log.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from transitreq.db import unit_of_work
from transitreq.errors import NotPermitted, ValidationFailed
from transitreq.i18n import _
from transitreq.models import Audience, Event, EventKind, Role, StopRequest, User
from transitreq.services.requests.filing import find_by_reference


def planners(session: Session) -> list[User]:
    """Everyone a request may be assigned to: the planning office's accounts, by name."""
    return list(
        session.scalars(
            select(User).where(User.role.in_((Role.PLANNER, Role.ADMIN))).order_by(User.name)
        )
    )


def assign(session: Session, reference: str, by: User, assignee_id: int | None) -> StopRequest:
    """Put the request on ``assignee_id``'s desk (None: on nobody's)."""
    if not by.is_planner:
        raise NotPermitted(_("Only the transit-planning office can do this."), "user")
    stop_request = find_by_reference(session, reference)
    assignee = session.get(User, assignee_id) if assignee_id is not None else None
    if assignee_id is not None and (assignee is None or not assignee.is_planner):
        raise ValidationFailed({"assignee": _("Choose a planner from the list.")})
    if stop_request.assigned_to_user_id == assignee_id:
        return stop_request
    with unit_of_work(session):
        session.execute(
            update(StopRequest)
            .where(StopRequest.id == stop_request.id)
            .values(assigned_to_user_id=assignee_id)
            .execution_options(synchronize_session=False)
        )
        session.add(
            Event(
                request_id=stop_request.id,
                kind=EventKind.ASSIGNED,
                audience=Audience.INTERNAL,
                actor=by.name,
                user_id=by.id,
                facts={"to": assignee.name if assignee else ""},
            )
        )
    session.expire(stop_request)
    return stop_request
