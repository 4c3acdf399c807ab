"""Planners' decisions on a stop request, and the resident's answer to a planner's question.

Each function is one use case and one transaction, and records what it did on the audit log
(who, when, from which status to which, the note, public or internal). Every status change goes
through ``status_rules.move``. A decision carries the ``version`` of the request the planner
saw: if the request changed since, nothing is written and ``StaleDecision`` says so. The check
is made twice: against the request as loaded, and by the database itself when the row is
updated (SQLAlchemy's version counter), so two planners deciding at the same moment cannot
both win.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from transitreq.db import unit_of_work
from transitreq.errors import (
    ContactMismatch,
    DomainError,
    StaleDecision,
    TransitionRefused,
    UnknownReference,
    ValidationFailed,
)
from transitreq.geo.nearby import requests_within
from transitreq.models import (
    WGS84_SRID,
    Audience,
    Event,
    InfoQuestion,
    ProjectStage,
    RequestStatus,
    StopProject,
    StopRequest,
    Support,
    utc_now,
)
from transitreq.services.contacts import MAX_CONTACT_CHARS, normalise_contact
from transitreq.services.placement import check_in_service_area
from transitreq.services.project_plan import plan_milestones
from transitreq.services.project_settings import local_today, settings_of
from transitreq.services.projects import announce_approval
from transitreq.services.request_validation import clean_text
from transitreq.services.status_rules import ALLOWED_TRANSITIONS, is_supportable, move
from transitreq.services.stop_requests import find_by_reference

S = RequestStatus

# Why a request was not approved: the public reason residents read, chosen from this list.
REJECTION_REASONS: dict[str, str] = {
    "too_close_to_existing_stop": "Too close to an existing stop",
    "no_route_nearby": "No bus route passes near enough to call here",
    "road_unsuitable": "The street is not suitable for a stop",
    "low_demand": "Too few people would use a stop here",
    "duplicate": "Another request asks for the same stop",
    "other": "Another reason",
}
NOTE_MAX_CHARS = 2000
# Linking requests "within a radius" to one stop makes sense only for walking distances.
MAX_LINK_RADIUS_M = 1000.0
MAX_LINKED_REQUESTS = 500
# Requests still waiting for a decision, which an approval nearby may take along.
AWAITING_DECISION = (S.SUBMITTED, S.UNDER_REVIEW, S.NEEDS_INFO)
STALE_MESSAGE = (
    "This request changed since you opened it (another planner decided, or the resident "
    "answered); your decision was not saved. Look at it again and decide anew."
)


# Event kinds of planners' decisions whose public note explains the request's status.
DECISION_KINDS = ("approved", "merged", "rejected", "info_requested")


class Planner(Protocol):
    """Who decides: a staff user (``transitreq.models.User``) or anything shaped like one."""

    id: int
    name: str


def available_decisions(status: RequestStatus) -> frozenset[str]:
    """The decision forms a planner may use on a request in ``status``, by the status table."""
    allowed = ALLOWED_TRANSITIONS[status]
    by_target = {S.APPROVED: "approve", S.MERGED: "merge", S.REJECTED: "reject"}
    decisions = {name for target, name in by_target.items() if target in allowed}
    if S.NEEDS_INFO in allowed:
        decisions.add("ask")
    return frozenset(decisions)


def latest_decision_note(stop_request: StopRequest) -> str | None:
    """The public note of the decision that gave the request its current status, if any."""
    for event in reversed(stop_request.public_events):
        if event.kind in DECISION_KINDS and event.to_status == stop_request.status.value:
            return event.note
    return None


def _for_decision(session: Session, reference: str, expected_version: int) -> StopRequest:
    stop_request = find_by_reference(session, reference)
    if stop_request.version != expected_version:
        raise StaleDecision(STALE_MESSAGE, "version")
    return stop_request


@contextmanager
def _decision(session: Session, stale_message: str = STALE_MESSAGE) -> Iterator[None]:
    """One transaction; a lost race with another writer becomes ``StaleDecision``.

    The request's UPDATE matches no row when its version moved on (StaleDataError), and a
    supporter carried over twice at once trips the unique constraint (IntegrityError).
    """
    try:
        with unit_of_work(session):
            yield
    except (StaleDataError, IntegrityError):
        raise StaleDecision(stale_message, "version") from None


def _text(value: object, field: str, label: str, *, required: bool = False) -> str:
    errors: dict[str, str] = {}
    text = clean_text(
        value, field, label, NOTE_MAX_CHARS, errors, required=required, multiline=True
    )
    if errors:
        raise ValidationFailed(errors)
    return text


def _with_note(message: str, note: str) -> str:
    return f"{message} {note}" if note else message


def approve(
    session: Session,
    reference: str,
    expected_version: int,
    planner: Planner,
    location: Point,
    link_radius_m: float | None = None,
    note: str = "",
) -> StopProject:
    """Approve a request: a stop project at ``location``, the planner's choice of site.

    With ``link_radius_m``, every other request awaiting a decision within that geodesic
    distance of the site joins the same project; each linked request is approved with its own
    public event.
    """
    note = _text(note, "note", "The note")
    if link_radius_m is not None and not 0 < link_radius_m <= MAX_LINK_RADIUS_M:
        raise ValidationFailed(
            {"link_radius_m": f"Give a radius from 1 to {MAX_LINK_RADIUS_M:.0f} metres."}
        )
    stop_request = _for_decision(session, reference, expected_version)
    check_in_service_area(session, location)
    others = []
    if link_radius_m:
        others = [
            other
            for other, _ in requests_within(
                session, location, link_radius_m, AWAITING_DECISION, MAX_LINKED_REQUESTS
            )
            if other.id != stop_request.id
        ]
    with _decision(session):
        project = StopProject(
            name=stop_request.title,
            location=from_shape(location, srid=WGS84_SRID),
            status=ProjectStage.APPROVED,
            created_by_user_id=planner.id,
        )
        session.add(project)
        plan_milestones(session, project, settings_of(session), local_today(session))
        for linked in [stop_request, *others]:
            linked.project = project
            message = (
                "Approved: a new stop is planned here."
                if linked is stop_request
                else f"Approved together with {stop_request.reference}: one new stop serves both."
            )
            move(
                session,
                linked,
                S.APPROVED,
                actor=planner.name,
                note=_with_note(message, note),
                kind="approved",
                user_id=planner.id,
            )
        # After the links, so everyone who follows a linked request hears of it.
        announce_approval(
            session, project, planner, _with_note("Approved: a new stop is planned here.", note)
        )
    return project


def _carry_supporters(session: Session, source: StopRequest, target: StopRequest) -> int:
    """The source's reporter (if they gave a contact) and supporters now back the target,
    each person once; returns how many were added."""
    known = {support.contact for support in target.supports}
    if target.reporter_contact:
        known.add(target.reporter_contact)
    # Whoever asked to hear of progress keeps hearing of it on the target.
    people = [(source.reporter_contact, source.reporter_name, source.notify_progress)]
    people += [
        (support.contact, support.name, support.notify_progress) for support in source.supports
    ]
    added = 0
    for contact, name, notify in people:
        if contact and contact not in known:
            known.add(contact)
            session.add(Support(request=target, contact=contact, name=name, notify_progress=notify))
            added += 1
    return added


def _merge_target(session: Session, source: StopRequest, into_reference: str) -> StopRequest:
    try:
        target = find_by_reference(session, into_reference)
    except UnknownReference as unknown:
        raise ValidationFailed({"into_reference": unknown.message}) from None
    if target.id == source.id:
        raise ValidationFailed({"into_reference": "A request cannot be merged into itself."})
    if not is_supportable(target.status):
        raise ValidationFailed(
            {
                "into_reference": f"{target.reference} is {target.status.label.lower()}; "
                "merge into a request that is still open."
            }
        )
    return target


def merge(
    session: Session,
    reference: str,
    expected_version: int,
    planner: Planner,
    into_reference: str,
    note: str = "",
) -> StopRequest:
    """Merge a request into another that asks for the same stop; returns the target.

    Its supporters (and its reporter, when they gave a contact) carry over to the target, each
    person once, and the resident's timeline says where the request went.
    """
    note = _text(note, "note", "The note")
    stop_request = _for_decision(session, reference, expected_version)
    target = _merge_target(session, stop_request, into_reference)
    with _decision(session):
        _carry_supporters(session, stop_request, target)
        stop_request.merged_into = target
        move(
            session,
            stop_request,
            S.MERGED,
            actor=planner.name,
            note=_with_note(
                f"Merged into {target.reference}, which asks for the same stop; follow it there. "
                "Its supporters now include this request's.",
                note,
            ),
            kind="merged",
            user_id=planner.id,
        )
    session.refresh(target)
    return target


def reject(
    session: Session,
    reference: str,
    expected_version: int,
    planner: Planner,
    reason_code: str,
    text: str = "",
) -> Event:
    """Decline a request with a public reason from ``REJECTION_REASONS`` and optional text."""
    text = _text(text, "text", "The explanation")
    if reason_code not in REJECTION_REASONS:
        raise ValidationFailed({"reason_code": "Pick a reason from the list."})
    if reason_code == "other" and not text:
        raise ValidationFailed({"text": "Say why, when the reason is “another reason”."})
    stop_request = _for_decision(session, reference, expected_version)
    with _decision(session):
        event = move(
            session,
            stop_request,
            S.REJECTED,
            actor=planner.name,
            note=_with_note(f"{REJECTION_REASONS[reason_code]}.", text),
            kind="rejected",
            user_id=planner.id,
        )
    return event


def ask_for_information(
    session: Session, reference: str, expected_version: int, planner: Planner, question: str
) -> InfoQuestion:
    """Ask the resident a question, shown on their tracking page; the request waits for them."""
    question = _text(question, "question", "The question", required=True)
    stop_request = _for_decision(session, reference, expected_version)
    if not stop_request.reporter_contact:
        raise ValidationFailed(
            {"question": "The resident gave no contact, so nobody could answer; decide without."}
        )
    with _decision(session):
        asked = InfoQuestion(
            request=stop_request,
            question=question,
            asked_by=planner.name,
            asked_by_user_id=planner.id,
        )
        session.add(asked)
        move(
            session,
            stop_request,
            S.NEEDS_INFO,
            actor=planner.name,
            note=f"A planner asks: {question}",
            kind="info_requested",
            user_id=planner.id,
        )
    return asked


def answer_question(session: Session, reference: str, contact: str, answer: str) -> StopRequest:
    """The resident answers the open question, proving who they are with the contact they gave.

    A wrong contact gets the same refusal whether the request has a contact or not, so nothing
    about the reporter is revealed. The answer is for planners; the public timeline only says
    that one came.
    """
    errors: dict[str, str] = {}
    answer = clean_text(
        answer, "answer", "Your answer", NOTE_MAX_CHARS, errors, required=True, multiline=True
    )
    contact = clean_text(
        contact, "contact", "The contact", MAX_CONTACT_CHARS, errors, required=True
    )
    if errors:
        raise ValidationFailed(errors)
    stop_request = find_by_reference(session, reference)
    question = stop_request.open_question
    if stop_request.status is not S.NEEDS_INFO or question is None:
        raise TransitionRefused("This request is not waiting for an answer.", "answer")
    try:
        normalised = normalise_contact(contact)
    except DomainError:
        normalised = None
    if normalised is None or normalised != stop_request.reporter_contact:
        raise ContactMismatch(
            "That is not the contact this request was filed with; use the same e-mail address "
            "or phone number.",
            "contact",
        )
    with _decision(session, "The request changed a moment ago; reload the page and try again."):
        question.answer = answer
        question.answered_at = utc_now()
        move(
            session,
            stop_request,
            S.UNDER_REVIEW,
            actor="resident",
            note="The resident answered the planner's question; the request is back in review.",
            kind="info_answered",
        )
    return stop_request


def add_internal_note(session: Session, reference: str, planner: Planner, text: str) -> Event:
    """A note for staff on the audit log; it never appears on public pages or in public JSON.

    Notes change no decision, so they need no version and make no one else's view stale.
    """
    text = _text(text, "text", "The note", required=True)
    stop_request = find_by_reference(session, reference)
    with unit_of_work(session):
        event = Event(
            request=stop_request,
            kind="internal_note",
            note=text,
            audience=Audience.INTERNAL,
            actor=planner.name,
            user_id=planner.id,
        )
        session.add(event)
    return event
