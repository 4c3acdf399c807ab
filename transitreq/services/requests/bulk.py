"""Deciding several requests at once: declined with one reason, or merged into one request.

All of them in ONE transaction, each with its own audit event and e-mail, through the same
writes a single decision makes (``decisions.reject_with``, ``decisions.merge_into``): if any
one is refused (changed since the planner looked, no longer awaiting a decision, unknown),
nothing at all is written, and the planner is told which one and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from transitreq.errors import DomainError, ValidationFailed
from transitreq.i18n import _, lazy_gettext
from transitreq.models import Event, RequestStatus, StopRequest
from transitreq.services.requests import decisions
from transitreq.services.requests.filing import find_by_reference
from transitreq.services.requests.rules import ALLOWED_TRANSITIONS, AWAITING_DECISION
from transitreq.services.versioned import at_version, note_text, versioned_change

# Enough for a morning's duplicates, small enough for one transaction and one page of mail.
MAX_BULK_REQUESTS = 100
BULK_STALE_MESSAGE = lazy_gettext(
    "One of the selected requests changed since you opened the list (another planner decided, "
    "or the resident answered); nothing was saved. Look at the list again and act anew."
)


@dataclass(frozen=True)
class Selected:
    """A request ticked on the list, at the version the planner saw."""

    reference: str
    version: int


def _load(session: Session, selected: Sequence[Selected], to: RequestStatus) -> list[StopRequest]:
    if not selected:
        raise ValidationFailed({"selected": _("Tick at least one request.")})
    if len(selected) > MAX_BULK_REQUESTS:
        raise ValidationFailed(
            {"selected": _("Tick at most %(max)d requests at once.", max=MAX_BULK_REQUESTS)}
        )
    found = []
    for choice in dict.fromkeys(selected):
        try:
            stop_request = find_by_reference(session, choice.reference)
        except DomainError as unknown:
            raise ValidationFailed({"selected": unknown.message}) from None
        at_version(stop_request, choice.version, BULK_STALE_MESSAGE)
        if to not in ALLOWED_TRANSITIONS[stop_request.status]:
            raise ValidationFailed(
                {
                    "selected": _(
                        "%(reference)s is %(status)s and cannot be decided again.",
                        reference=stop_request.reference,
                        status=stop_request.status.label.lower(),
                    )
                }
            )
        found.append(stop_request)
    return found


def reject_many(
    session: Session,
    selected: Sequence[Selected],
    planner: decisions.Planner,
    reason_code: str,
    text: str = "",
) -> list[Event]:
    """Decline every selected request with the same public reason and explanation."""
    reason, text = decisions.rejection(session, reason_code, text)
    requests = _load(session, selected, RequestStatus.REJECTED)
    with versioned_change(session, str(BULK_STALE_MESSAGE)):
        return [
            decisions.reject_with(session, stop_request, planner, reason, text)
            for stop_request in requests
        ]


def merge_many(
    session: Session,
    selected: Sequence[Selected],
    planner: decisions.Planner,
    into_reference: str,
    note: str = "",
) -> StopRequest:
    """Merge every selected request into the one named ``into_reference`` (which may itself be
    ticked: it is kept, not merged into itself)."""
    note = note_text(note, "note", _("The note"))
    sources = _load(
        session,
        [choice for choice in selected if choice.reference != into_reference.strip().upper()],
        RequestStatus.MERGED,
    )
    target = decisions.merge_target(session, sources[0], into_reference)
    with versioned_change(session, str(BULK_STALE_MESSAGE)):
        for stop_request in sources:
            decisions.merge_into(session, stop_request, target, planner, note)
    session.refresh(target)
    return target


def awaiting_decision(
    session: Session, assigned_to: int | None = None, limit: int = MAX_BULK_REQUESTS * 2
) -> list[StopRequest]:
    """The requests a planner may decide on the bulk page, oldest first (the longest waiting
    at the top); with ``assigned_to``, only those on that planner's desk."""
    statement = (
        select(StopRequest)
        .where(StopRequest.status.in_(AWAITING_DECISION))
        .options(selectinload(StopRequest.assignee))
        .order_by(StopRequest.created_at, StopRequest.id)
        .limit(limit)
    )
    if assigned_to is not None:
        statement = statement.where(StopRequest.assigned_to_user_id == assigned_to)
    return list(session.scalars(statement))


def parse_selected(values: Sequence[str]) -> list[Selected]:
    """Ticked boxes as the form sends them, ``SR-2026-000123:4`` (reference, version seen)."""
    selected = []
    for value in values:
        reference, _sep, version = value.partition(":")
        if not version.isdigit():
            raise ValidationFailed({"selected": _("The list lost a request's version; reload it.")})
        selected.append(Selected(reference.strip().upper(), int(version)))
    return selected
