"""Residents' photos of the spot after filing: planners publish or hide each one, and who may
see which.

A photo shows a place, and may show people, cars or a home by chance; so, like feedback, it is
for staff until a planner has looked at it and published it. Each decision is one transaction,
kept on the photo (who published it, when) and on the request's staff-only audit log.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from transitreq.db import unit_of_work
from transitreq.errors import NotPermitted, UnknownReference, ValidationFailed
from transitreq.i18n import _
from transitreq.models import Audience, Event, EventKind, RequestPhoto, StopRequest, User, utc_now
from transitreq.services.requests.filing import find_by_reference

# What each button on the review page asks for: shown publicly, or not.
DECISIONS = {"publish": True, "hide": False}


def published_photos(stop_request: StopRequest) -> list[RequestPhoto]:
    """The photos the public may see, in the order the resident attached them."""
    return [photo for photo in stop_request.photos if photo.published]


def photo_number(photo: RequestPhoto) -> int:
    """The photo's place among its request's photos, from 1: how pages and the log name it."""
    return [other.id for other in photo.request.photos].index(photo.id) + 1


def _no_such_photo(stop_request: StopRequest, photo_id: int) -> UnknownReference:
    return UnknownReference(
        _(
            "%(reference)s has no photo number %(number)d.",
            reference=stop_request.reference,
            number=photo_id,
        ),
        "photo",
    )


def _photo_of(session: Session, reference: str, photo_id: int) -> RequestPhoto:
    stop_request = find_by_reference(session, reference)
    photo = session.get(RequestPhoto, photo_id)
    if photo is None or photo.request_id != stop_request.id:
        raise _no_such_photo(stop_request, photo_id)
    return photo


def viewable_photo(
    session: Session, reference: str, photo_id: int, viewer: User | None
) -> RequestPhoto:
    """The photo with its bytes, for anyone once published and for planners before.

    An unpublished photo is "not found" to everyone else, exactly like a photo that does not
    exist, so nobody learns that a request has photos waiting.
    """
    photo = _photo_of(session, reference, photo_id)
    if not photo.published and not (viewer is not None and viewer.is_planner):
        raise _no_such_photo(photo.request, photo_id)
    return photo


def moderate_photo(
    session: Session, reference: str, photo_id: int, user: User, decision: str
) -> RequestPhoto:
    """Publish or hide one photo. A decision that changes nothing (publishing a photo already
    shown, say after a double click) writes nothing."""
    if not user.is_planner:
        raise NotPermitted(
            _("Only the transit-planning office publishes residents' photos."), "user"
        )
    if decision not in DECISIONS:
        raise ValidationFailed({"decision": _("Choose publish or hide.")})
    photo = _photo_of(session, reference, photo_id)
    publish = DECISIONS[decision]
    if photo.published == publish:
        return photo
    number = photo_number(photo)
    with unit_of_work(session):
        photo.published = publish
        photo.published_at = utc_now() if publish else None
        photo.published_by_user_id = user.id if publish else None
        session.add(
            Event(
                request=photo.request,
                kind=EventKind.PHOTO_PUBLISHED if publish else EventKind.PHOTO_HIDDEN,
                facts={"photo": number},
                audience=Audience.INTERNAL,
                actor=user.name,
                user_id=user.id,
            )
        )
    return photo
