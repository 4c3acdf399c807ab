"""Residents' feedback on a finished stop, and planners' moderation before anyone else reads it.

Feedback opens only once a request's stop is in service: it is about the stop as built, not a
second channel for demands. Everything starts pending; a planner publishes or hides it, and
each decision is kept on the feedback (who, when) and on the request's audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from transitreq.db import unit_of_work
from transitreq.errors import DomainError, NotPermitted, UnknownReference, ValidationFailed
from transitreq.i18n import _
from transitreq.models import (
    Audience,
    Event,
    EventKind,
    Feedback,
    FeedbackState,
    RequestStatus,
    StopRequest,
    User,
    utc_now,
)
from transitreq.services.requests.filing import find_by_reference
from transitreq.services.requests.validation import NAME_MAX_CHARS, clean_text

FEEDBACK_MAX_CHARS = 2000
# Decided feedback listed under the pending queue, newest decision first.
RECENTLY_DECIDED = 100
DECISIONS = {"publish": FeedbackState.PUBLISHED, "hide": FeedbackState.HIDDEN}


class FeedbackClosed(DomainError):
    """Feedback on a request whose stop is not (or never will be) in service."""

    code = "feedback_closed"
    status = 409


@dataclass(frozen=True)
class ModerationItem:
    """One piece of feedback as the moderation page lists it."""

    feedback: Feedback
    reference: str
    moderator_name: str | None


def leave_feedback(session: Session, reference: str, body: object, name: object = "") -> Feedback:
    """Store a resident's feedback on a completed request, pending a planner's reading."""
    stop_request = find_by_reference(session, reference)
    if stop_request.status is not RequestStatus.COMPLETED:
        raise FeedbackClosed(
            _(
                "Feedback opens once the stop is in service; %(reference)s is %(status)s.",
                reference=stop_request.reference,
                status=stop_request.status.label.lower(),
            ),
            "reference",
        )
    errors: dict[str, str] = {}
    text = clean_text(
        body, "body", _("Your message"), FEEDBACK_MAX_CHARS, errors, required=True, multiline=True
    )
    signed = clean_text(name, "name", _("Your name"), NAME_MAX_CHARS, errors)
    if errors:
        raise ValidationFailed(errors)
    with unit_of_work(session):
        feedback = Feedback(request=stop_request, body=text, name=signed or None)
        session.add(feedback)
    return feedback


def published_feedback(session: Session, project_id: int) -> list[Feedback]:
    """What residents said about the stop, from every request of its project, newest first."""
    return list(
        session.scalars(
            select(Feedback)
            .join(StopRequest, Feedback.request_id == StopRequest.id)
            .where(
                StopRequest.project_id == project_id,
                Feedback.state == FeedbackState.PUBLISHED,
            )
            .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        )
    )


def _items(session: Session, statement) -> list[ModerationItem]:
    rows = session.execute(
        statement.add_columns(User.name)
        .outerjoin(User, Feedback.moderated_by_user_id == User.id)
        .options(selectinload(Feedback.request))
    ).all()
    return [ModerationItem(feedback, feedback.request.reference, name) for feedback, name in rows]


def feedback_queue(session: Session) -> list[ModerationItem]:
    """Every pending message, oldest first (first come, first read), then recent decisions."""
    pending = _items(
        session,
        select(Feedback)
        .where(Feedback.state == FeedbackState.PENDING)
        .order_by(Feedback.created_at, Feedback.id),
    )
    decided = _items(
        session,
        select(Feedback)
        .where(Feedback.state != FeedbackState.PENDING)
        .order_by(Feedback.moderated_at.desc(), Feedback.id.desc())
        .limit(RECENTLY_DECIDED),
    )
    return pending + decided


def moderate(session: Session, feedback_id: int, user: User, decision: str) -> Feedback:
    """Publish or hide one message; a planner may change their mind later, and each decision
    is recorded (on the feedback, and on the request's staff-only audit log)."""
    if not user.is_planner:
        raise NotPermitted(_("Only the transit-planning office moderates feedback."), "user")
    if decision not in DECISIONS:
        raise ValidationFailed({"decision": _("Choose publish or hide.")})
    feedback = session.get(Feedback, feedback_id)
    if feedback is None:
        raise UnknownReference(
            _("There is no feedback number %(number)d.", number=feedback_id), "feedback"
        )
    state = DECISIONS[decision]
    with unit_of_work(session):
        feedback.state = state
        feedback.moderated_at = utc_now()
        feedback.moderated_by_user_id = user.id
        session.add(
            Event(
                request=feedback.request,
                kind=EventKind(f"feedback_{state.value}"),
                facts={"feedback_id": feedback.id},
                audience=Audience.INTERNAL,
                actor=user.name,
                user_id=user.id,
            )
        )
    return feedback
