"""The stop-request state machine. The table below is the documentation.

Each status lists the statuses a request may move to next. Anything else is refused.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from transitreq.errors import TransitionRefused
from transitreq.models import Audience, Event, RequestStatus, StopRequest

S = RequestStatus

ALLOWED_TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    S.SUBMITTED: frozenset({S.UNDER_REVIEW, S.NEEDS_INFO, S.APPROVED, S.MERGED, S.REJECTED}),
    S.UNDER_REVIEW: frozenset({S.NEEDS_INFO, S.APPROVED, S.MERGED, S.REJECTED}),
    # An answer from the resident returns the request to review; a planner may also decide
    # without waiting for one.
    S.NEEDS_INFO: frozenset({S.UNDER_REVIEW, S.APPROVED, S.MERGED, S.REJECTED}),
    # An approved stop is finished when it goes into service; a cancelled project reopens review.
    S.APPROVED: frozenset({S.COMPLETED, S.UNDER_REVIEW}),
    S.MERGED: frozenset(),
    S.REJECTED: frozenset(),
    S.COMPLETED: frozenset(),
}

# Statuses in which residents can still add their support, and which the public map shows:
# requests still awaiting a decision, and approved ones whose stop is on its way.
SUPPORTABLE = (S.SUBMITTED, S.UNDER_REVIEW, S.NEEDS_INFO, S.APPROVED)


def is_supportable(status: RequestStatus) -> bool:
    return status in SUPPORTABLE


def move(
    session: Session,
    stop_request: StopRequest,
    to_status: RequestStatus,
    *,
    actor: str,
    note: str = "",
    audience: Audience = Audience.PUBLIC,
    kind: str = "status_changed",
    user_id: int | None = None,
) -> Event:
    """Change a request's status and record the event; the caller owns the transaction.

    ``kind`` names the decision ("approved", "merged"…) and ``user_id`` the staff account that
    made it, for the audit log.
    """
    from_status = stop_request.status
    if to_status not in ALLOWED_TRANSITIONS[from_status]:
        raise TransitionRefused(
            f"A request that is {from_status.label.lower()} cannot become "
            f"{to_status.label.lower()}.",
            "status",
        )
    stop_request.status = to_status
    event = Event(
        request=stop_request,
        kind=kind,
        from_status=from_status.value,
        to_status=to_status.value,
        note=note,
        audience=audience,
        actor=actor,
        user_id=user_id,
    )
    session.add(event)
    return event
