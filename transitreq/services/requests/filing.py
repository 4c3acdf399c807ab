"""Residents' use cases: file a stop request, support one nearby, look one up."""

from __future__ import annotations

from dataclasses import dataclass

from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from transitreq.db import unit_of_work
from transitreq.errors import (
    InvalidCoordinates,
    NotSupportable,
    UnknownReference,
    ValidationFailed,
)
from transitreq.geo.nearby import requests_within
from transitreq.i18n import LOCALES, _, lazy_gettext
from transitreq.models import (
    WGS84_SRID,
    Audience,
    Event,
    EventKind,
    RequestPhoto,
    RequestStatus,
    StopRequest,
    Support,
    format_reference,
    parse_reference,
)
from transitreq.services.analysis.scores import mark_due_near
from transitreq.services.context import settings_of
from transitreq.services.mail import notifications
from transitreq.services.places.index import add_landmark
from transitreq.services.requests.contacts import normalise_contact, same_contact
from transitreq.services.requests.placement import check_in_service_area
from transitreq.services.requests.rules import SHOWN, is_supportable
from transitreq.services.requests.validation import (
    NAME_MAX_CHARS,
    RequestDraft,
    RequestLimits,
    clean_text,
    validate_draft,
)

__all__ = [
    "NearbyRequest",
    "RequestDraft",
    "RequestLimits",
    "find_by_reference",
    "nearby_requests",
    "submit_request",
    "support_request",
]

PROGRESS_NEEDS_EMAIL = lazy_gettext(
    "Progress e-mails need an e-mail address: give one, or untick the box to support by phone."
)


@dataclass(frozen=True)
class NearbyRequest:
    stop_request: StopRequest
    distance_m: float

    @property
    def supportable(self) -> bool:
        return is_supportable(self.stop_request.status)


def submit_request(
    session: Session,
    draft: RequestDraft,
    limits: RequestLimits,
    known_errors: dict[str, str] | None = None,
) -> StopRequest:
    """File a new request: validate everything first (its photos re-encoded too), then write
    it, its photos and its first event in one transaction."""
    clean = validate_draft(draft, limits, known_errors, settings_of(session).phone_region)
    check_in_service_area(session, clean.point)
    with unit_of_work(session):
        stop_request = StopRequest(
            title=clean.title,
            description=clean.description,
            served_groups=clean.served_groups,
            landmark=clean.landmark,
            location=from_shape(clean.point, srid=WGS84_SRID),
            status=RequestStatus.SUBMITTED,
            reporter_name=clean.reporter_name,
            reporter_contact=clean.reporter_contact,
            notify_progress=clean.notify_progress,
            locale=draft.locale if draft.locale in LOCALES else None,
            media_urls=clean.media_urls,
            photos=[
                RequestPhoto(
                    data=photo.data,
                    content_type=photo.content_type,
                    width=photo.width,
                    height=photo.height,
                )
                for photo in clean.photos
            ],
        )
        session.add(stop_request)
        received = Event(
            request=stop_request,
            kind=EventKind.SUBMITTED,
            to_status=RequestStatus.SUBMITTED.value,
            audience=Audience.PUBLIC,
            actor="resident",
        )
        session.add(received)
        session.flush()
        # Its score, and those of the requests around whose demand it raises, are computed
        # after the answer (services/analysis/scores.py): the resident need not wait for them.
        mark_due_near(session, clean.point)
        add_landmark(session, stop_request)
        notifications.queue_for_request_event(session, stop_request, received)
    return stop_request


def find_by_reference(session: Session, reference: str) -> StopRequest:
    """The request behind a public reference such as SR-2026-000123."""
    parsed = parse_reference(reference)
    stop_request = session.get(StopRequest, parsed[1]) if parsed else None
    if stop_request is None or stop_request.reference != format_reference(*parsed):
        raise UnknownReference(
            _("No stop request has the reference “%(reference)s”.", reference=reference),
            "reference",
        )
    return stop_request


def _check_supporter(
    stop_request: StopRequest, contact: str, name: str, phone_region: str
) -> tuple[str, str]:
    errors: dict[str, str] = {}
    contact_text = clean_text(contact, "contact", _("The contact"), 254, errors, required=True)
    supporter_name = clean_text(name, "name", _("Your name"), NAME_MAX_CHARS, errors)
    if errors:
        raise ValidationFailed(errors)
    normalised = normalise_contact(contact_text, region=phone_region)
    if not is_supportable(stop_request.status):
        raise NotSupportable(
            _(
                "%(reference)s is %(status)s and takes no more supporters.",
                reference=stop_request.reference,
                status=stop_request.status.label.lower(),
            ),
            "reference",
        )
    return normalised, supporter_name


def _counted_already(stop_request: StopRequest, contact: str, phone_region: str) -> bool:
    stored = [
        stop_request.reporter_contact,
        *(support.contact for support in stop_request.supports),
    ]
    return any(same_contact(known, contact, phone_region) for known in stored)


def support_request(
    session: Session,
    reference: str,
    contact: str,
    name: str = "",
    notify_progress: bool = False,
    locale: str | None = None,
) -> StopRequest:
    """Add one resident's support to an existing request instead of a duplicate request.

    With ``notify_progress`` the supporter is e-mailed at each public milestone of the stop,
    which needs an e-mail contact: a phone number with the box ticked is refused, so nobody
    waits for mail that can never come.
    """
    stop_request = find_by_reference(session, reference)
    phone_region = settings_of(session).phone_region
    normalised, supporter_name = _check_supporter(stop_request, contact, name, phone_region)
    if notify_progress and "@" not in normalised:
        raise ValidationFailed({"notify_progress": str(PROGRESS_NEEDS_EMAIL)})
    if _counted_already(stop_request, normalised, phone_region):
        # Supporting twice answers as the first time did: a refusal would tell anyone whether
        # an address filed or backs this request. The person still counts once.
        return stop_request
    try:
        with unit_of_work(session):
            # The neighbours' rows first, in id order (``mark_due_near``), then this request's
            # own count (a trigger on supports): always in that order, so concurrent supports
            # nearby cannot deadlock.
            mark_due_near(session, to_shape(stop_request.location))
            support = Support(
                request=stop_request,
                contact=normalised,
                name=supporter_name or None,
                notify_progress=notify_progress,
                locale=locale if locale in LOCALES else None,
            )
            session.add(support)
            # On the audit log only: the public timeline shows the count, not each supporter.
            supported = Event(
                request=stop_request,
                kind=EventKind.SUPPORTED,
                audience=Audience.INTERNAL,
                actor="resident",
            )
            session.add(supported)
            session.flush()
            notifications.queue_for_request_event(session, stop_request, supported, support)
    except IntegrityError:
        # The same person supporting twice at the same moment: the unique constraint keeps one,
        # and the second answer is the same as the first.
        pass
    session.refresh(stop_request)
    return stop_request


def nearby_requests(session: Session, point: Point | None, radius_m: float) -> list[NearbyRequest]:
    """Requests a resident should see before filing at ``point``: not merged away, nearest first."""
    if point is None:
        raise InvalidCoordinates(_("Give a latitude and longitude."), "lat")
    return [
        NearbyRequest(stop_request, distance_m)
        for stop_request, distance_m in requests_within(session, point, radius_m, SHOWN)
    ]
