"""Residents' photos of the spot on the web: the larger body the request form may send, and each
photo served at its own address, to everyone once published and to planners before."""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask_login import current_user

from transitreq.i18n import ngettext
from transitreq.services.requests.photo_files import MAX_REQUEST_PHOTOS, REQUEST_PHOTO_MAX_BYTES
from transitreq.services.requests.photos import photo_number, viewable_photo
from transitreq.web.database import db_session

bp = Blueprint("request_photos", __name__)

MIB = 1024 * 1024
# The request form alone may carry its photos, plus its few text fields and the multipart
# framing around them; every other body keeps the app's MAX_CONTENT_LENGTH.
REQUEST_UPLOAD_MAX_BYTES = MAX_REQUEST_PHOTOS * REQUEST_PHOTO_MAX_BYTES + MIB
# A published photo may sit in shared caches a little while; hiding it takes that long to reach
# them. One not published is for the planner's own browser only.
PUBLISHED_CACHE_CONTROL = "public, max-age=300"
UNPUBLISHED_CACHE_CONTROL = "private, max-age=300"
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def allow_request_photos() -> None:
    """Raise the body limit for the residents' request form sent with files, and only it.

    Registered on the app ahead of CSRF protection, which reads the whole body before any
    view runs. Each text field inside it stays under Flask's MAX_FORM_MEMORY_SIZE (500 kB), and
    the form's own checks keep it to its few thousand characters.
    """
    if request.endpoint == "public.submit" and request.mimetype == "multipart/form-data":
        request.max_content_length = REQUEST_UPLOAD_MAX_BYTES


def too_large_message() -> str:
    """What the form says when its photos together were too large to read, in the reader's
    language."""
    return ngettext(
        "The photos are larger than %(total)d MB together: attach at most %(num)d photo of up "
        "to %(size)d MB. Nothing was sent; please choose it again.",
        "The photos are larger than %(total)d MB together: attach at most %(num)d photos of up "
        "to %(size)d MB each. Nothing was sent; please choose them again.",
        MAX_REQUEST_PHOTOS,
        total=REQUEST_UPLOAD_MAX_BYTES // MIB,
        size=REQUEST_PHOTO_MAX_BYTES // MIB,
    )


def photos_over_limit() -> bool:
    """Whether a refused request form was refused for its photos: a form with files, larger (or
    of unknown length) than files may be, rather than one with an over-long text field."""
    if request.mimetype != "multipart/form-data":
        return False
    length = request.content_length
    return length is None or length > REQUEST_UPLOAD_MAX_BYTES


@bp.get("/requests/<reference>/photos/<int:photo_id>")
def photo(reference: str, photo_id: int) -> Response:
    """The photo's bytes, typed as the JPEG we wrote (never sniffed); 404 while unpublished
    unless a planner asks."""
    viewer = current_user._get_current_object() if current_user.is_authenticated else None
    found = viewable_photo(db_session(), reference, photo_id, viewer)
    response = Response(found.data, mimetype=found.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = (
        PUBLISHED_CACHE_CONTROL if found.published else UNPUBLISHED_CACHE_CONTROL
    )
    # Named after the request, never after the resident's file (whose name may be theirs).
    extension = _EXTENSIONS.get(found.content_type, "jpg")
    filename = f"{found.request.reference}-photo-{photo_number(found)}.{extension}"
    response.headers.set("Content-Disposition", "inline", filename=filename)
    response.vary.add("Cookie")
    return response
