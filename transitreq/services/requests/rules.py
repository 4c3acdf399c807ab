"""The stop-request state machine. The table below is the documentation.

Each status lists the statuses a request may move to next. Anything else is refused.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from transitreq.errors import TransitionRefused
from transitreq.i18n import _
from transitreq.models import Audience, Event, EventKind, RequestStatus, StopRequest

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

# The named groups of statuses every module uses, next to the table they follow from.
# A planner has yet to decide: approving may link them, their score still guides the decision.
AWAITING_DECISION = (S.SUBMITTED, S.UNDER_REVIEW, S.NEEDS_INFO)
# Not closed: awaiting a decision, or approved with the stop on its way. Residents can still
# support these, they count as demand for a site, and Open311 calls them "open".
OPEN = (*AWAITING_DECISION, S.APPROVED)
SUPPORTABLE = OPEN
# A first decision was taken (asking the resident is not one).
DECIDED = (S.APPROVED, S.MERGED, S.REJECTED)
# Every status but merged: a merged request lives on in the one it joined, so maps and nearby
# lists show that one instead.
SHOWN = tuple(status for status in S if status is not S.MERGED)


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
    kind: EventKind = EventKind.STATUS_CHANGED,
    user_id: int | None = None,
    facts: dict[str, Any] | None = None,
) -> Event:
    """Change a request's status and record the event; the caller owns the transaction.

    ``kind`` names the decision (approved, merged…), ``facts`` what its sentence is made of
    (``transitreq/sentences.py``), ``note`` only what the person typed, and ``user_id`` the
    staff account that made it, for the audit log.
    """
    from_status = stop_request.status
    if to_status not in ALLOWED_TRANSITIONS[from_status]:
        raise TransitionRefused(
            _(
                "A request that is %(from_status)s cannot become %(to_status)s.",
                from_status=from_status.label.lower(),
                to_status=to_status.label.lower(),
            ),
            "status",
        )
    stop_request.status = to_status
    event = Event(
        request=stop_request,
        kind=kind,
        from_status=from_status.value,
        to_status=to_status.value,
        facts=facts or {},
        note=note,
        audience=audience,
        actor=actor,
        user_id=user_id,
    )
    session.add(event)
    return event
