"""What a stop request must look like before it is stored, checked all at once.

Every problem is collected, so a resident sees all of them on one page rather than one per
submit; text that no database or mail server should carry (control characters, unpaired UTF-16
surrogates) is refused with the field named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from shapely.geometry import Point

from transitreq.errors import ValidationFailed
from transitreq.i18n import _
from transitreq.models import ServedGroup
from transitreq.services.requests.contacts import normalise_contact
from transitreq.services.requests.photo_files import CleanPhoto, PhotoFile, clean_photos
from transitreq.text_rules import text_problem

# Column sizes in models/requests.py; configurable limits may be lower, never higher.
TITLE_COLUMN_CHARS = 200
LANDMARK_MAX_CHARS = 200
NAME_MAX_CHARS = 100


@dataclass(frozen=True)
class RequestLimits:
    """How much a resident may type; set per deployment in config (landmark and name are the
    columns' sizes)."""

    title_max_chars: int
    description_max_chars: int
    landmark_max_chars: int = LANDMARK_MAX_CHARS
    name_max_chars: int = NAME_MAX_CHARS

    def __post_init__(self) -> None:
        if not 1 <= self.title_max_chars <= TITLE_COLUMN_CHARS:
            raise ValueError(f"TITLE_MAX_CHARS must be 1 to {TITLE_COLUMN_CHARS}")
        if self.description_max_chars < 1:
            raise ValueError("DESCRIPTION_MAX_CHARS must be positive")


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
    # Links to photos or documents (Open311 media_url, which a client may repeat).
    media_urls: list[str] = field(default_factory=list)
    # Photos of the spot attached to the form, as sent.
    photos: list[PhotoFile] = field(default_factory=list)
    # The language the resident filed in; their e-mails are written in it.
    locale: str | None = None


@dataclass(frozen=True)
class CleanRequest:
    """A draft that passed every check, trimmed and normalised, ready to store."""

    title: str
    description: str
    served_groups: list[str]
    landmark: str
    point: Point
    reporter_name: str | None
    reporter_contact: str | None
    notify_progress: bool
    media_urls: list[str]
    # Re-encoded, their metadata gone (services/requests/photo_files.py).
    photos: list[CleanPhoto] = field(default_factory=list)


MEDIA_URL_MAX_CHARS = 500
MAX_MEDIA_URLS = 10


def media_url_problem(url: str) -> str | None:
    """Why a linked photo or document address cannot be kept, or None."""
    if len(url) > MEDIA_URL_MAX_CHARS:
        return _("Keep the link to %(max_chars)d characters.", max_chars=MEDIA_URL_MAX_CHARS)
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or any(character.isspace() or ord(character) < 32 for character in url)
    ):
        return _("Give an http:// or https:// address.")
    return None


def clean_text(
    value: object,
    field_name: str,
    label: str,
    max_chars: int,
    errors: dict[str, str],
    *,
    required: bool = False,
    multiline: bool = False,
) -> str:
    """Trimmed text, or "" with a message in ``errors`` under ``field_name``; ``label`` names
    the field in the reader's language ("A short title")."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field_name] = _("%(label)s must be text.", label=label)
        return ""
    text = value.strip()
    problem = text_problem(text, multiline)
    if problem:
        errors[field_name] = _("%(label)s %(problem)s.", label=label, problem=problem)
    elif required and not text:
        errors[field_name] = _("%(label)s is required.", label=label)
    elif len(text) > max_chars:
        errors[field_name] = _(
            "%(label)s is %(length)d characters long; keep it to %(max_chars)d.",
            label=label,
            length=len(text),
            max_chars=max_chars,
        )
    return text


def _served_groups(values: list[str], errors: dict[str, str]) -> list[str]:
    known = {group.value for group in ServedGroup}
    unknown = [value for value in values if value not in known]
    if unknown:
        errors["served_groups"] = _(
            "“%(value)s” is not one of the choices; pick from the list.", value=unknown[0]
        )
        return []
    # The form's order, once each, so the stored list reads like the tick boxes.
    return [group.value for group in ServedGroup if group.value in values]


def _contact(draft: RequestDraft, errors: dict[str, str], phone_region: str) -> str | None:
    if draft.reporter_contact is not None and not isinstance(draft.reporter_contact, str):
        errors["reporter_contact"] = _("The contact must be text.")
        return None
    if text_problem(draft.reporter_contact or ""):
        errors["reporter_contact"] = _("The contact contains a character that is not valid text.")
        return None
    if (draft.reporter_contact or "").strip():
        try:
            return normalise_contact(draft.reporter_contact, "reporter_contact", phone_region)
        except ValidationFailed as failure:
            errors.update(failure.fields)
            return None
    if draft.notify_progress:
        errors["reporter_contact"] = _(
            "Give an e-mail or phone number so we can tell you of progress."
        )
    return None


def validate_draft(
    draft: RequestDraft,
    limits: RequestLimits,
    known_errors: dict[str, str] | None = None,
    phone_region: str = "",
) -> CleanRequest:
    """The cleaned request, or ValidationFailed naming every field that needs attention.

    ``known_errors`` carries problems found while parsing (a malformed pin, say), so they are
    reported together with everything else.
    """
    errors = dict(known_errors or {})
    title = clean_text(
        draft.title, "title", _("A short title"), limits.title_max_chars, errors, required=True
    )
    description = clean_text(
        draft.description,
        "description",
        _("Why the stop is needed"),
        limits.description_max_chars,
        errors,
        required=True,
        multiline=True,
    )
    landmark = clean_text(
        draft.landmark, "landmark", _("The nearest landmark"), limits.landmark_max_chars, errors
    )
    name = clean_text(
        draft.reporter_name, "reporter_name", _("Your name"), limits.name_max_chars, errors
    )
    served_groups = _served_groups(draft.served_groups, errors)
    contact = _contact(draft, errors, phone_region)
    media_urls = _media_urls(draft.media_urls, errors)
    photos = clean_photos(draft.photos, errors)
    if draft.point is None and not errors.keys() & {"location", "lat", "lon"}:
        errors["location"] = _("Place the pin on the map or type the coordinates.")
    if errors:
        raise ValidationFailed(errors)
    return CleanRequest(
        title,
        description,
        served_groups,
        landmark,
        draft.point,
        name or None,
        contact,
        bool(draft.notify_progress),
        media_urls,
        photos,
    )


def _media_urls(values: list[str], errors: dict[str, str]) -> list[str]:
    """Every link given, each once and in order; a bad one is named by its position."""
    urls = list(dict.fromkeys(value.strip() for value in values if value and value.strip()))
    if len(urls) > MAX_MEDIA_URLS:
        errors["media_url"] = _("Give at most %(num)d links.", num=MAX_MEDIA_URLS)
        return []
    for url in urls:
        if problem := media_url_problem(url):
            errors["media_url"] = (
                problem
                if len(urls) == 1
                else _("%(link)s: %(problem)s", link=url[:60], problem=problem)
            )
            return []
    return urls
