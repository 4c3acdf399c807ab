"""Residents' use cases: file a stop request, support one nearby, look one up."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
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
    ServedGroup,
    StopRequest,
    Support,
    format_reference,
)
from transitreq.services.contacts import normalise_contact
from transitreq.services.placement import check_in_service_area
from transitreq.services.status_rules import SUPPORTABLE

_REFERENCE = re.compile(r"^\s*SR-(?P<year>\d{4})-(?P<number>\d{1,9})\s*$", re.IGNORECASE)
LANDMARK_MAX_CHARS = 200
NAME_MAX_CHARS = 100


@dataclass(frozen=True)
class RequestLimits:
    """How much a resident may type; set per deployment in config."""

    title_max_chars: int = 120
    description_max_chars: int = 2000


@dataclass
class RequestDraft:
    """A request as submitted, before validation: values exactly as the resident gave them."""

    title: str = ""
    description: str = ""
    served_groups: list[str] = field(default_factory=list)
    landmark: str = ""
    point: Point | None = None
    reporter_name: str = ""
    reporter_contact: str = ""
    notify_progress: bool = False


@dataclass(frozen=True)
class NearbyRequest:
    stop_request: StopRequest
    distance_m: float

    @property
    def supportable(self) -> bool:
        return self.stop_request.status in SUPPORTABLE


def _bounded_text(
    value: str,
    field_name: str,
    label: str,
    max_chars: int,
    errors: dict[str, str],
    required: bool,
) -> str:
    text = (value or "").strip()
    if required and not text:
        errors[field_name] = f"{label} is required."
    elif len(text) > max_chars:
        errors[field_name] = f"{label} is {len(text)} characters long; keep it to {max_chars}."
    return text


def _clean_served_groups(values: list[str], errors: dict[str, str]) -> list[str]:
    known = {group.value for group in ServedGroup}
    unknown = [value for value in values if value not in known]
    if unknown:
        errors["served_groups"] = f"Unknown choice {unknown[0]!r}; pick from the list."
        return []
    # Keep the form's order and drop repeats, so the stored list reads like the tick boxes.
    return [group.value for group in ServedGroup if group.value in values]


def _validated(draft: RequestDraft, limits: RequestLimits) -> dict:
    errors: dict[str, str] = {}
    cleaned = {
        "title": _bounded_text(
            draft.title, "title", "A short title", limits.title_max_chars, errors, required=True
        ),
        "description": _bounded_text(
            draft.description,
            "description",
            "Why the stop is needed",
            limits.description_max_chars,
            errors,
            required=True,
        ),
        "landmark": _bounded_text(
            draft.landmark,
            "landmark",
            "The nearest landmark",
            LANDMARK_MAX_CHARS,
            errors,
            required=False,
        ),
        "reporter_name": _bounded_text(
            draft.reporter_name,
            "reporter_name",
            "Your name",
            NAME_MAX_CHARS,
            errors,
            required=False,
        )
        or None,
        "served_groups": _clean_served_groups(draft.served_groups, errors),
        "reporter_contact": None,
        "notify_progress": bool(draft.notify_progress),
    }
    if (draft.reporter_contact or "").strip():
        try:
            cleaned["reporter_contact"] = normalise_contact(
                draft.reporter_contact, "reporter_contact"
            )
        except ValidationFailed as failure:
            errors.update(failure.fields)
    elif draft.notify_progress:
        errors["reporter_contact"] = (
            "Give an e-mail or phone number so we can tell you of progress."
        )
    if draft.point is None:
        errors["location"] = "Place the pin on the map or type the coordinates."
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def submit_request(session: Session, draft: RequestDraft, limits: RequestLimits) -> StopRequest:
    """File a new request: validate everything first, then write it and its first event."""
    cleaned = _validated(draft, limits)
    check_in_service_area(session, draft.point)
    with unit_of_work(session):
        stop_request = StopRequest(
            location=from_shape(draft.point, srid=WGS84_SRID),
            status=RequestStatus.SUBMITTED,
            **cleaned,
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
    return stop_request


def find_by_reference(session: Session, reference: str) -> StopRequest:
    """The request behind a public reference such as SR-2026-000123."""
    match = _REFERENCE.match(reference or "")
    stop_request = session.get(StopRequest, int(match["number"])) if match else None
    if stop_request is None or stop_request.reference != format_reference(
        int(match["year"]), int(match["number"])
    ):
        raise UnknownReference(f"No stop request has the reference {reference!r}.", "reference")
    return stop_request


def support_request(session: Session, reference: str, contact: str, name: str = "") -> StopRequest:
    """Add one resident's support to an existing request instead of a duplicate request."""
    stop_request = find_by_reference(session, reference)
    normalised = normalise_contact(contact)
    supporter_name = _bounded_text(
        name, "name", "Your name", NAME_MAX_CHARS, errors := {}, required=False
    )
    if errors:
        raise ValidationFailed(errors)
    if stop_request.status not in SUPPORTABLE:
        raise NotSupportable(
            f"{stop_request.reference} is {stop_request.status.label.lower()} and takes no more "
            "supporters.",
            "reference",
        )
    already = normalised == stop_request.reporter_contact or any(
        support.contact == normalised for support in stop_request.supports
    )
    if already:
        raise AlreadySupported(
            f"This contact already supports {stop_request.reference}; each person counts once.",
            "contact",
        )
    with unit_of_work(session):
        session.add(Support(request=stop_request, contact=normalised, name=supporter_name or None))
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
