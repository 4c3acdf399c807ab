"""Word of every public step, by e-mail, to the residents who asked to be told of progress.

Who hears what:

- the resident who files, a receipt with the tracking link; a supporter, a note that their
  support counts (only the person who just acted, and only when they ticked the box);
- the resident who filed, a planner's question, which only they can answer;
- everyone following a request, that it was merged (and where to follow it now), not approved
  (with the public reason), or approved, and then each public milestone of its stop project.

Each message is written in the language the resident filed or supported in (their ``locale``,
else the city's ``DEFAULT_LOCALE``), carries the tracking link and an unsubscribe link, and
never a word of an internal note. Messages are queued in ``outbound_emails`` inside the
transaction that records the step (see ``models/outbox.py``); ``flask deliver-mail``
(``services/mail/delivery.py``) sends them later, never the web request that queued them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from transitreq.i18n import _, in_language, lazy_gettext
from transitreq.models import (
    Audience,
    Event,
    EventKind,
    OutboundEmail,
    StopProject,
    StopRequest,
    Support,
)
from transitreq.sentences import event_text
from transitreq.services.context import base_url_of, settings_of

_UNSUBSCRIBE_SALT = "transitreq.unsubscribe"

# Each step residents are written to about, with the words of the subject line.
SUBJECTS = {
    # A resident's own step.
    "submitted": lazy_gettext("your request is received"),
    "supported": lazy_gettext("your support is counted"),
    # Planners' decisions on a request.
    "info_requested": lazy_gettext("a planner has a question for you"),
    "merged": lazy_gettext("your request joins another for the same stop"),
    "rejected": lazy_gettext("the request is not approved"),
    # The stop project's public milestones.
    "approved": lazy_gettext("a new stop is approved"),
    "site_survey": lazy_gettext("the site survey has begun"),
    "survey_done": lazy_gettext("the site has been surveyed"),
    "sign_off_given": lazy_gettext("a city department has signed off the stop"),
    "coordination": lazy_gettext("the city's departments are reviewing the stop"),
    "construction": lazy_gettext("construction has started"),
    "construction_finished": lazy_gettext("construction is finished"),
    "launch_planned": lazy_gettext("the routes and start date are set"),
    "in_service": lazy_gettext("the stop is in service"),
    "cancelled": lazy_gettext("the stop project is cancelled"),
}
# Request events that are written about, and to whom: the one who acted, the one who filed,
# or everyone following the request. An approval is written about once, as the project's.
_ACTOR = "actor"
_REPORTER = "reporter"
_FOLLOWERS = "followers"
_REQUEST_STEPS = {
    EventKind.SUBMITTED: _REPORTER,
    EventKind.SUPPORTED: _ACTOR,
    EventKind.INFO_REQUESTED: _REPORTER,
    EventKind.MERGED: _FOLLOWERS,
    EventKind.REJECTED: _FOLLOWERS,
}


@dataclass(frozen=True)
class Follower:
    """One address that asked for news, the request it follows and the language it reads."""

    address: str
    stop_request: StopRequest
    locale: str | None
    filed_it: bool


def step_word(event: Event) -> str | None:
    """The key of ``SUBJECTS`` an event announces, or None for events not mailed."""
    word = event.to_status if event.kind is EventKind.PROJECT_STAGE else event.kind.value
    return word if word in SUBJECTS else None


def _is_email(contact: str | None) -> bool:
    return bool(contact) and "@" in contact


def _reporter(stop_request: StopRequest) -> list[Follower]:
    if stop_request.notify_progress and _is_email(stop_request.reporter_contact):
        return [Follower(stop_request.reporter_contact, stop_request, stop_request.locale, True)]
    return []


def _supporter(stop_request: StopRequest, support: Support) -> list[Follower]:
    if support.notify_progress and _is_email(support.contact):
        return [Follower(support.contact, stop_request, support.locale, False)]
    return []


def _once_each(followers: Iterable[Follower]) -> list[Follower]:
    """Each address once, with the first request it follows."""
    found: dict[str, Follower] = {}
    for follower in followers:
        found.setdefault(follower.address, follower)
    return list(found.values())


def request_followers(stop_request: StopRequest) -> list[Follower]:
    """Who follows one request: its reporter and supporters who asked, e-mail contacts only."""
    supporters = sorted(stop_request.supports, key=lambda support: support.id or 0)
    return _once_each(
        [
            *_reporter(stop_request),
            *(f for support in supporters for f in _supporter(stop_request, support)),
        ]
    )


def project_followers(session: Session, project: StopProject) -> list[Follower]:
    """Each address that asked for news of a request linked to the project, once.

    Reporters first, then supporters, each with the first request they back: phone numbers
    get no e-mail.
    """
    linked = session.scalars(
        select(StopRequest).where(StopRequest.project_id == project.id).order_by(StopRequest.id)
    ).all()
    supports = session.execute(
        select(Support, StopRequest)
        .join(StopRequest, Support.request_id == StopRequest.id)
        .where(StopRequest.project_id == project.id)
        .order_by(Support.id)
    ).all()
    return _once_each(
        [
            *(f for stop_request in linked for f in _reporter(stop_request)),
            *(f for support, stop_request in supports for f in _supporter(stop_request, support)),
        ]
    )


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


@dataclass(frozen=True)
class Links:
    """Where a message points: the request's page, maybe the page it moved to, unsubscribing."""

    tracking_url: str
    unsubscribe_url: str
    moved_to_url: str | None = None


def _opening(follower: Follower, word: str) -> str:
    stop_request = follower.stop_request
    names = {"reference": stop_request.reference, "title": stop_request.title}
    if word == "submitted":
        return _(
            "Thank you: we have your request for a bus stop (%(reference)s, “%(title)s”).", **names
        )
    if word == "supported":
        return _(
            "Thank you: your support for the bus stop asked for in %(reference)s (“%(title)s”) "
            "is counted.",
            **names,
        )
    if follower.filed_it:
        return _(
            "There is news about the bus stop you asked for (%(reference)s, “%(title)s”).", **names
        )
    return _("There is news about the bus stop you support (%(reference)s, “%(title)s”).", **names)


def _next_steps(follower: Follower, word: str, links: Links) -> list[str]:
    if word in ("submitted", "supported"):
        return [
            _(
                "Planners will review it. We will write when they decide and at every step "
                "after, until the stop is in service."
            )
        ]
    if word == "info_requested":
        return [
            _(
                "Answer on the tracking page, with the e-mail address or phone number you filed "
                "with; the request waits for your answer."
            )
        ]
    if word == "merged" and links.moved_to_url:
        return [
            _("Your support now counts there, and we will write about it from there:"),
            links.moved_to_url,
        ]
    return []


def compose(
    follower: Follower, event: Event, word: str, links: Links, agency: str
) -> tuple[str, str]:
    """Subject and plain-text body of one resident's message, in the current language."""
    subject = f"{follower.stop_request.reference}: {SUBJECTS[word]}"
    news = event_text(event) if word not in ("submitted", "supported") else ""
    lines = [_("Hello,"), "", _opening(follower, word), ""]
    if news:
        lines += [news, ""]
    if steps := _next_steps(follower, word, links):
        lines += [*steps, ""]
    lines += [
        _("Every step so far is on the tracking page:"),
        links.tracking_url,
        "",
        _("You get these e-mails because you asked to be told of progress. To stop them:"),
        links.unsubscribe_url,
        "",
        "-- ",
        agency,
    ]
    return subject, "\n".join(lines) + "\n"


def _queue(session: Session, event: Event, word: str, followers: list[Follower]) -> int:
    if not followers:
        return 0
    settings = settings_of(session)
    base_url = base_url_of(session)
    session.flush()
    for follower in followers:
        token = unsubscribe_token(settings.secret_key, follower.address)
        moved_to = follower.stop_request.merged_into
        links = Links(
            tracking_url=f"{base_url}/requests/{follower.stop_request.reference}",
            unsubscribe_url=f"{base_url}/notifications/unsubscribe/{token}",
            moved_to_url=f"{base_url}/requests/{moved_to.reference}" if moved_to else None,
        )
        with in_language(follower.locale or settings.default_locale):
            subject, body = compose(follower, event, word, links, settings.agency_name)
        session.add(
            OutboundEmail(recipient=follower.address, subject=subject, body=body, event_id=event.id)
        )
    return len(followers)


def queue_for_event(session: Session, project: StopProject, event: Event) -> int:
    """Queue one message per interested resident for a public project milestone; returns how
    many. Call inside the transaction that adds ``event``: they commit or roll back with it."""
    word = step_word(event)
    if word is None or event.audience is not Audience.PUBLIC:
        return 0
    return _queue(session, event, word, project_followers(session, project))


def queue_for_request_event(
    session: Session, stop_request: StopRequest, event: Event, support: Support | None = None
) -> int:
    """Queue the messages a step of one request sends (see the module's list); returns how
    many. ``support`` is the support just given, for its receipt. Call inside the transaction
    that adds ``event``."""
    word = step_word(event)
    audience = _REQUEST_STEPS.get(event.kind)
    if word is None or audience is None:
        return 0
    if audience == _ACTOR:
        followers = _supporter(stop_request, support) if support is not None else []
    elif audience == _REPORTER:
        followers = _reporter(stop_request)
    else:
        followers = request_followers(stop_request)
    return _queue(session, event, word, followers)
