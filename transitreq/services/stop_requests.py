"""Residents' use cases: file a stop request, support one nearby, look one up."""

from __future__ import annotations

import re
from dataclasses import dataclass

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from transitreq.db import unit_of_work
from transitreq.errors import (
    AlreadySupported,
    InvalidCoordinates,
    NotSupportable,
    UnknownReference,
    ValidationFailed,
)
from transitreq.geo.nearby import requests_within
from transitreq.models import (
    WGS84_SRID,
    Audience,
    Event,
    RequestStatus,
    StopRequest,
    Support,
    format_reference,
)
from transitreq.services.contacts import normalise_contact
from transitreq.services.placement import check_in_service_area
from transitreq.services.request_validation import (
    NAME_MAX_CHARS,
    RequestDraft,
    RequestLimits,
    clean_text,
    validate_draft,
)
from transitreq.services.review_queue import refresh_score
from transitreq.services.status_rules import is_supportable

__all__ = [
    "NearbyRequest",
    "RequestDraft",
    "RequestLimits",
    "find_by_reference",
    "nearby_requests",
    "submit_request",
    "support_request",
]

PROGRESS_NEEDS_EMAIL = (
    "Progress e-mails need an e-mail address: give one, or untick the box to support by phone."
)
_REFERENCE = re.compile(r"^\s*SR-(?P<year>\d{4})-(?P<number>\d{1,9})\s*$", re.IGNORECASE)


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
    """File a new request: validate everything first, then write it and its first event."""
    clean = validate_draft(draft, limits, known_errors)
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
            media_url=clean.media_url,
        )
        session.add(stop_request)
        session.add(
            Event(
                request=stop_request,
                kind="submitted",
                to_status=RequestStatus.SUBMITTED.value,
                note="Request received.",
                audience=Audience.PUBLIC,
                actor="resident",
            )
        )
        refresh_score(session, stop_request)
    return stop_request


def find_by_reference(session: Session, reference: str) -> StopRequest:
    """The request behind a public reference such as SR-2026-000123."""
    match = _REFERENCE.match(reference or "")
    stop_request = session.get(StopRequest, int(match["number"])) if match else None
    if stop_request is None or stop_request.reference != format_reference(
        int(match["year"]), int(match["number"])
    ):
        raise UnknownReference(f"No stop request has the reference “{reference}”.", "reference")
    return stop_request


def _check_supporter(stop_request: StopRequest, contact: str, name: str) -> tuple[str, str]:
    errors: dict[str, str] = {}
    contact_text = clean_text(contact, "contact", "The contact", 254, errors, required=True)
    supporter_name = clean_text(name, "name", "Your name", NAME_MAX_CHARS, errors)
    if errors:
        raise ValidationFailed(errors)
    normalised = normalise_contact(contact_text)
    if not is_supportable(stop_request.status):
        raise NotSupportable(
            f"{stop_request.reference} is {stop_request.status.label.lower()} and takes no more "
            "supporters.",
            "reference",
        )
    already = normalised == stop_request.reporter_contact or any(
        support.contact == normalised for support in stop_request.supports
    )
    if already:
        raise _already_supported(stop_request)
    return normalised, supporter_name


def _already_supported(stop_request: StopRequest) -> AlreadySupported:
    return AlreadySupported(
        f"This contact already supports {stop_request.reference}; each person counts once.",
        "contact",
    )


def support_request(
    session: Session,
    reference: str,
    contact: str,
    name: str = "",
    notify_progress: bool = False,
) -> StopRequest:
    """Add one resident's support to an existing request instead of a duplicate request.

    With ``notify_progress`` the supporter is e-mailed at each public milestone of the stop,
    which needs an e-mail contact: a phone number with the box ticked is refused, so nobody
    waits for mail that can never come.
    """
    stop_request = find_by_reference(session, reference)
    normalised, supporter_name = _check_supporter(stop_request, contact, name)
    if notify_progress and "@" not in normalised:
        raise ValidationFailed({"notify_progress": PROGRESS_NEEDS_EMAIL})
    try:
        with unit_of_work(session):
            session.add(
                Support(
                    request=stop_request,
                    contact=normalised,
                    name=supporter_name or None,
                    notify_progress=notify_progress,
                )
            )
            # On the audit log only: the public timeline shows the count, not each supporter.
            session.add(
                Event(
                    request=stop_request,
                    kind="supported",
                    note="A resident added their support.",
                    audience=Audience.INTERNAL,
                    actor="resident",
                )
            )
            refresh_score(session, stop_request)
    except IntegrityError:
        # The same person supporting twice at the same moment: the unique constraint decides.
        raise _already_supported(stop_request) from None
    session.refresh(stop_request)
    return stop_request


def nearby_requests(session: Session, point: Point | None, radius_m: float) -> list[NearbyRequest]:
    """Requests a resident should see before filing at ``point``: not merged away, nearest first."""
    if point is None:
        raise InvalidCoordinates("Give a latitude and longitude.", "lat")
    shown = tuple(status for status in RequestStatus if status is not RequestStatus.MERGED)
    return [
        NearbyRequest(stop_request, distance_m)
        for stop_request, distance_m in requests_within(session, point, radius_m, shown)
    ]
