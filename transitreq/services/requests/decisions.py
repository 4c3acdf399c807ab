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

from typing import Protocol

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy.orm import Session

from transitreq.db import unit_of_work
from transitreq.errors import (
    ContactMismatch,
    DomainError,
    TransitionRefused,
    UnknownReference,
    ValidationFailed,
)
from transitreq.geo.nearby import requests_within
from transitreq.i18n import _, current_locale, lazy_gettext
from transitreq.models import (
    WGS84_SRID,
    Audience,
    Event,
    EventKind,
    InfoQuestion,
    ProjectStage,
    RequestStatus,
    ResponseTemplate,
    StopProject,
    StopRequest,
    Support,
    utc_now,
)
from transitreq.sentences import event_text
from transitreq.services.context import local_today, settings_of
from transitreq.services.mail import notifications
from transitreq.services.places.index import remove_landmark
from transitreq.services.projects.plan import plan_milestones
from transitreq.services.projects.stages import announce_approval
from transitreq.services.requests.contacts import (
    MAX_CONTACT_CHARS,
    normalise_contact,
    normalise_known,
    same_contact,
)
from transitreq.services.requests.filing import find_by_reference
from transitreq.services.requests.placement import check_in_service_area
from transitreq.services.requests.rules import (
    ALLOWED_TRANSITIONS,
    AWAITING_DECISION,
    is_supportable,
    move,
)
from transitreq.services.requests.templates import reason_by_code
from transitreq.services.requests.validation import clean_text
from transitreq.services.versioned import NOTE_MAX_CHARS, at_version, note_text, versioned_change

S = RequestStatus

# Linking requests "within a radius" to one stop makes sense only for walking distances.
MAX_LINK_RADIUS_M = 1000.0
MAX_LINKED_REQUESTS = 500
# Requests still waiting for a decision, which an approval nearby may take along.
STALE_MESSAGE = lazy_gettext(
    "This request changed since you opened it (another planner decided, or the resident "
    "answered); your decision was not saved. Look at it again and decide anew."
)


# Event kinds of planners' decisions whose public note explains the request's status.
DECISION_KINDS = (
    EventKind.APPROVED,
    EventKind.MERGED,
    EventKind.REJECTED,
    EventKind.INFO_REQUESTED,
)


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
    """What the decision that gave the request its current status says, if any."""
    for event in reversed(stop_request.public_events):
        if event.kind in DECISION_KINDS and event.to_status == stop_request.status.value:
            return event_text(event)
    return None


def _for_decision(session: Session, reference: str, expected_version: int) -> StopRequest:
    return at_version(find_by_reference(session, reference), expected_version, STALE_MESSAGE)


def _decision(session: Session, stale_message: str = STALE_MESSAGE):
    """One transaction: the request's UPDATE matches no row when its version moved on, and a
    supporter carried over twice at once trips the unique constraint; either is stale."""
    return versioned_change(session, stale_message)


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
    note = note_text(note, "note", _("The note"))
    if link_radius_m is not None and not 0 < link_radius_m <= MAX_LINK_RADIUS_M:
        raise ValidationFailed(
            {
                "link_radius_m": _(
                    "Give a radius from 1 to %(max_m)d metres.", max_m=int(MAX_LINK_RADIUS_M)
                )
            }
        )
    stop_request = _for_decision(session, reference, expected_version)
    check_in_service_area(session, location)
    others = []
    if link_radius_m:
        others = [
            other
            for other, _distance in requests_within(
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
        plan_milestones(session, project, settings_of(session).projects, local_today(session))
        for linked in [stop_request, *others]:
            linked.project = project
            move(
                session,
                linked,
                S.APPROVED,
                actor=planner.name,
                note=note,
                kind=EventKind.APPROVED,
                user_id=planner.id,
                facts={} if linked is stop_request else {"with": stop_request.reference},
            )
        # After the links, so everyone who follows a linked request hears of it.
        announce_approval(session, project, planner, note)
    return project


def _carry_supporters(session: Session, source: StopRequest, target: StopRequest) -> int:
    """The source's reporter (if they gave a contact) and supporters now back the target,
    each person once; returns how many were added."""
    region = settings_of(session).phone_region
    known = {
        normalise_known(contact, region)
        for contact in (target.reporter_contact, *(s.contact for s in target.supports))
        if contact
    }
    # Whoever asked to hear of progress keeps hearing of it on the target.
    people = [
        (source.reporter_contact, source.reporter_name, source.notify_progress, source.locale)
    ]
    people += [
        (support.contact, support.name, support.notify_progress, support.locale)
        for support in source.supports
    ]
    added = 0
    for contact, name, notify, locale in people:
        if contact and normalise_known(contact, region) not in known:
            known.add(normalise_known(contact, region))
            session.add(
                Support(
                    request=target,
                    contact=contact,
                    name=name,
                    notify_progress=notify,
                    locale=locale,
                )
            )
            added += 1
    # The database counts them (migration 0023): read the target's count afresh when next asked.
    session.expire(target, ["supporter_count"])
    return added


def merge_target(session: Session, source: StopRequest, into_reference: str) -> StopRequest:
    try:
        target = find_by_reference(session, into_reference)
    except UnknownReference as unknown:
        raise ValidationFailed({"into_reference": unknown.message}) from None
    if target.id == source.id:
        raise ValidationFailed({"into_reference": _("A request cannot be merged into itself.")})
    if not is_supportable(target.status):
        raise ValidationFailed(
            {
                "into_reference": _(
                    "%(reference)s is %(status)s; merge into a request that is still open.",
                    reference=target.reference,
                    status=target.status.label.lower(),
                )
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
    note = note_text(note, "note", _("The note"))
    stop_request = _for_decision(session, reference, expected_version)
    target = merge_target(session, stop_request, into_reference)
    with _decision(session):
        merge_into(session, stop_request, target, planner, note)
    session.refresh(target)
    return target


def merge_into(
    session: Session, stop_request: StopRequest, target: StopRequest, planner: Planner, note: str
) -> Event:
    """The writes of one merge, inside the caller's transaction (one merge, or many at once
    in ``services/requests/bulk.py``): supporters carried, the event, the resident's e-mail."""
    _carry_supporters(session, stop_request, target)
    stop_request.merged_into = target
    remove_landmark(session, stop_request)
    merged = move(
        session,
        stop_request,
        S.MERGED,
        actor=planner.name,
        note=note,
        kind=EventKind.MERGED,
        facts={"into": target.reference},
        user_id=planner.id,
    )
    notifications.queue_for_request_event(session, stop_request, merged)
    return merged


def reject(
    session: Session,
    reference: str,
    expected_version: int,
    planner: Planner,
    reason_code: str,
    text: str = "",
) -> Event:
    """Decline a request with a public reason (a response template, by its code) and optional
    text. The event keeps the reason's words in both languages as they were sent."""
    reason, text = rejection(session, reason_code, text)
    stop_request = _for_decision(session, reference, expected_version)
    with _decision(session):
        event = reject_with(session, stop_request, planner, reason, text)
    return event


def rejection(session: Session, reason_code: str, text: str) -> tuple[ResponseTemplate, str]:
    """The reason and explanation of a refusal, checked before anything is written."""
    text = note_text(text, "text", _("The explanation"))
    reason = reason_by_code(session, reason_code)
    if reason.needs_text and not text:
        reason_words = reason.title_in(str(current_locale()))
        raise ValidationFailed(
            {"text": _("Say why, when the reason is “%(reason)s”.", reason=reason_words)}
        )
    return reason, text


def reject_with(
    session: Session,
    stop_request: StopRequest,
    planner: Planner,
    reason: ResponseTemplate,
    text: str,
) -> Event:
    """The writes of one refusal, inside the caller's transaction (one, or many at once)."""
    event = move(
        session,
        stop_request,
        S.REJECTED,
        actor=planner.name,
        note=text,
        kind=EventKind.REJECTED,
        facts={"reason": reason.code, "reason_words": reason.words},
        user_id=planner.id,
    )
    reason.times_used += 1
    notifications.queue_for_request_event(session, stop_request, event)
    return event


def ask_for_information(
    session: Session, reference: str, expected_version: int, planner: Planner, question: str
) -> InfoQuestion:
    """Ask the resident a question, shown on their tracking page; the request waits for them."""
    question = note_text(question, "question", _("The question"), required=True)
    stop_request = _for_decision(session, reference, expected_version)
    if not stop_request.reporter_contact:
        raise ValidationFailed(
            {"question": _("The resident gave no contact, so nobody could answer; decide without.")}
        )
    with _decision(session):
        asked = InfoQuestion(
            request=stop_request,
            question=question,
            asked_by=planner.name,
            asked_by_user_id=planner.id,
        )
        session.add(asked)
        question_asked = move(
            session,
            stop_request,
            S.NEEDS_INFO,
            actor=planner.name,
            note=question,
            kind=EventKind.INFO_REQUESTED,
            user_id=planner.id,
        )
        notifications.queue_for_request_event(session, stop_request, question_asked)
    return asked


def answer_question(session: Session, reference: str, contact: str, answer: str) -> StopRequest:
    """The resident answers the open question, proving who they are with the contact they gave.

    A wrong contact gets the same refusal whether the request has a contact or not, so nothing
    about the reporter is revealed. The answer is for planners; the public timeline only says
    that one came.
    """
    errors: dict[str, str] = {}
    answer = clean_text(
        answer, "answer", _("Your answer"), NOTE_MAX_CHARS, errors, required=True, multiline=True
    )
    contact = clean_text(
        contact, "contact", _("The contact"), MAX_CONTACT_CHARS, errors, required=True
    )
    if errors:
        raise ValidationFailed(errors)
    stop_request = find_by_reference(session, reference)
    question = stop_request.open_question
    if stop_request.status is not S.NEEDS_INFO or question is None:
        raise TransitionRefused(_("This request is not waiting for an answer."), "answer")
    phone_region = settings_of(session).phone_region
    try:
        normalised = normalise_contact(contact, region=phone_region)
    except DomainError:
        normalised = None
    if normalised is None or not same_contact(
        stop_request.reporter_contact, normalised, phone_region
    ):
        raise ContactMismatch(
            _(
                "That is not the contact this request was filed with; use the same e-mail "
                "address or phone number."
            ),
            "contact",
        )
    changed = _("The request changed a moment ago; reload the page and try again.")
    with _decision(session, changed):
        question.answer = answer
        question.answered_at = utc_now()
        move(
            session,
            stop_request,
            S.UNDER_REVIEW,
            actor="resident",
            kind=EventKind.INFO_ANSWERED,
        )
    return stop_request


def add_internal_note(session: Session, reference: str, planner: Planner, text: str) -> Event:
    """A note for staff on the audit log; it never appears on public pages or in public JSON.

    Notes change no decision, so they need no version and make no one else's view stale.
    """
    text = note_text(text, "text", _("The note"), required=True)
    stop_request = find_by_reference(session, reference)
    with unit_of_work(session):
        event = Event(
            request=stop_request,
            kind=EventKind.INTERNAL_NOTE,
            note=text,
            audience=Audience.INTERNAL,
            actor=planner.name,
            user_id=planner.id,
        )
        session.add(event)
    return event
