"""E-mails to residents who asked to be told of progress, one per public project milestone.

Messages are queued in ``outbound_emails`` inside the transaction that records the milestone
(see ``models/outbox.py``); ``services/mailer.py`` delivers them after commit.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from transitreq.models import Event, OutboundEmail, StopProject, StopRequest, Support
from transitreq.services.project_settings import base_url_of, settings_of

# Set on the session when a message is queued, so the web layer delivers after the commit.
QUEUED_KEY = "transitreq.mail_queued"
_UNSUBSCRIBE_SALT = "transitreq.unsubscribe"

# The public project events residents are written to about, with the subject line's words.
MILESTONE_SUBJECTS: dict[str, str] = {
    "approved": "a new stop is approved",
    "site_survey": "the site survey has begun",
    "survey_done": "the site has been surveyed",
    "sign_off_given": "a city department has signed off the stop",
    "coordination": "the city's departments are reviewing the stop",
    "construction": "construction has started",
    "construction_finished": "construction is finished",
    "launch_planned": "the routes and start date are set",
    "in_service": "the stop is in service",
    "cancelled": "the stop project is cancelled",
}


def milestone_word(event: Event) -> str | None:
    """The key of ``MILESTONE_SUBJECTS`` an event announces, or None for events not mailed."""
    word = event.to_status if event.kind == "project_stage" else event.kind
    return word if word in MILESTONE_SUBJECTS else None


def _is_email(contact: str | None) -> bool:
    return bool(contact) and "@" in contact


def recipients(session: Session, project: StopProject) -> dict[str, StopRequest]:
    """Each address that asked for news of a request linked to the project, with that request.

    Reporters and supporters alike, each address once (with the first request it backs), and
    only e-mail contacts: phone numbers get no e-mail.
    """
    linked = session.scalars(
        select(StopRequest).where(StopRequest.project_id == project.id).order_by(StopRequest.id)
    ).all()
    found: dict[str, StopRequest] = {}
    for stop_request in linked:
        if stop_request.notify_progress and _is_email(stop_request.reporter_contact):
            found.setdefault(stop_request.reporter_contact, stop_request)
    supporters = session.execute(
        select(Support.contact, Support.request_id)
        .join(StopRequest, Support.request_id == StopRequest.id)
        .where(StopRequest.project_id == project.id, Support.notify_progress.is_(True))
        .order_by(Support.id)
    ).all()
    by_id = {stop_request.id: stop_request for stop_request in linked}
    for contact, request_id in supporters:
        if _is_email(contact):
            found.setdefault(contact, by_id[request_id])
    return found


def unsubscribe_token(secret_key: str, address: str) -> str:
    return URLSafeSerializer(secret_key, salt=_UNSUBSCRIBE_SALT).dumps(address)


def address_from_token(secret_key: str, token: str) -> str | None:
    """The address an unsubscribe link was made for, or None when the link was tampered with."""
    try:
        address = URLSafeSerializer(secret_key, salt=_UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        return None
    return address if isinstance(address, str) else None


def unsubscribe(session: Session, address: str) -> int:
    """No more progress e-mails to ``address``, for any request it filed or supports; the caller
    commits. Returns how many requests and supports it was following."""
    stopped = session.execute(
        update(StopRequest)
        .where(StopRequest.reporter_contact == address, StopRequest.notify_progress.is_(True))
        .values(notify_progress=False)
        .execution_options(synchronize_session=False)
    ).rowcount
    stopped += session.execute(
        update(Support)
        .where(Support.contact == address, Support.notify_progress.is_(True))
        .values(notify_progress=False)
        .execution_options(synchronize_session=False)
    ).rowcount
    return stopped


def compose(
    stop_request: StopRequest,
    event: Event,
    headline: str,
    unsubscribe_url: str,
    tracking_url: str,
    agency_name: str,
) -> tuple[str, str]:
    """Subject and plain-text body of one resident's message."""
    subject = f"{stop_request.reference}: {MILESTONE_SUBJECTS[headline]}"
    lines = [
        "Hello,",
        "",
        f"There is news about the bus stop you asked for ({stop_request.reference}, "
        f"“{stop_request.title}”).",
        "",
        event.note or MILESTONE_SUBJECTS[headline].capitalize() + ".",
        "",
        "Every step so far is on the tracking page:",
        tracking_url,
        "",
        "You get these e-mails because you asked to be told of progress. To stop them:",
        unsubscribe_url,
        "",
        "-- ",
        agency_name,
    ]
    return subject, "\n".join(lines) + "\n"


def queue_for_event(session: Session, project: StopProject, event: Event) -> int:
    """Queue one message per interested resident for a public milestone; returns how many.

    Call inside the transaction that adds ``event``: the messages commit or roll back with it.
    """
    headline = milestone_word(event)
    if headline is None:
        return 0
    settings = settings_of(session)
    base_url = base_url_of(session)
    session.flush()
    queued = 0
    for address, stop_request in recipients(session, project).items():
        token = unsubscribe_token(settings.secret_key, address)
        subject, body = compose(
            stop_request,
            event,
            headline,
            unsubscribe_url=f"{base_url}/notifications/unsubscribe/{token}",
            tracking_url=f"{base_url}/requests/{stop_request.reference}",
            agency_name=settings.agency_name,
        )
        session.add(OutboundEmail(recipient=address, subject=subject, body=body, event_id=event.id))
        queued += 1
    if queued:
        session.info[QUEUED_KEY] = True
    return queued
