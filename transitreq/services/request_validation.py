"""What a stop request must look like before it is stored, checked all at once.

Every problem is collected, so a resident sees all of them on one page rather than one per
submit; text that no database or mail server should carry (control characters, unpaired UTF-16
surrogates) is refused with the field named.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from shapely.geometry import Point

from transitreq.errors import ValidationFailed
from transitreq.models import ServedGroup
from transitreq.services.contacts import normalise_contact

# Column sizes in models/requests.py; configurable limits may be lower, never higher.
TITLE_COLUMN_CHARS = 200
LANDMARK_MAX_CHARS = 200
NAME_MAX_CHARS = 100


@dataclass(frozen=True)
class RequestLimits:
    """How much a resident may type; set per deployment in config."""

    title_max_chars: int = 120
    description_max_chars: int = 2000
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
    media_url: str = ""


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
    media_url: str | None


MEDIA_URL_MAX_CHARS = 500


def media_url_problem(url: str) -> str | None:
    """Why a linked photo or document address cannot be kept, or None."""
    if len(url) > MEDIA_URL_MAX_CHARS:
        return f"Keep the link to {MEDIA_URL_MAX_CHARS} characters."
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or any(character.isspace() or ord(character) < 32 for character in url)
    ):
        return "Give an http:// or https:// address."
    return None


def _unprintable(text: str, multiline: bool) -> str | None:
    allowed = "\n\r\t" if multiline else ""
    for character in text:
        category = unicodedata.category(character)
        if category == "Cs":
            return "contains a character that is not valid text"
        if category == "Cc" and character not in allowed:
            return "contains a control character"
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
    """Trimmed text, or "" with a message in ``errors`` under ``field_name``."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field_name] = f"{label} must be text."
        return ""
    text = value.strip()
    problem = _unprintable(text, multiline)
    if problem:
        errors[field_name] = f"{label} {problem}."
    elif required and not text:
        errors[field_name] = f"{label} is required."
    elif len(text) > max_chars:
        errors[field_name] = f"{label} is {len(text)} characters long; keep it to {max_chars}."
    return text


def _served_groups(values: list[str], errors: dict[str, str]) -> list[str]:
    known = {group.value for group in ServedGroup}
    unknown = [value for value in values if value not in known]
    if unknown:
        errors["served_groups"] = f"“{unknown[0]}” is not one of the choices; pick from the list."
        return []
    # The form's order, once each, so the stored list reads like the tick boxes.
    return [group.value for group in ServedGroup if group.value in values]


def _contact(draft: RequestDraft, errors: dict[str, str]) -> str | None:
    if draft.reporter_contact is not None and not isinstance(draft.reporter_contact, str):
        errors["reporter_contact"] = "The contact must be text."
        return None
    if _unprintable(draft.reporter_contact or "", multiline=False):
        errors["reporter_contact"] = "The contact contains a character that is not valid text."
        return None
    if (draft.reporter_contact or "").strip():
        try:
            return normalise_contact(draft.reporter_contact, "reporter_contact")
        except ValidationFailed as failure:
            errors.update(failure.fields)
            return None
    if draft.notify_progress:
        errors["reporter_contact"] = (
            "Give an e-mail or phone number so we can tell you of progress."
        )
    return None


def validate_draft(
    draft: RequestDraft, limits: RequestLimits, known_errors: dict[str, str] | None = None
) -> CleanRequest:
    """The cleaned request, or ValidationFailed naming every field that needs attention.

    ``known_errors`` carries problems found while parsing (a malformed pin, say), so they are
    reported together with everything else.
    """
    errors = dict(known_errors or {})
    title = clean_text(
        draft.title, "title", "A short title", limits.title_max_chars, errors, required=True
    )
    description = clean_text(
        draft.description,
        "description",
        "Why the stop is needed",
        limits.description_max_chars,
        errors,
        required=True,
        multiline=True,
    )
    landmark = clean_text(
        draft.landmark, "landmark", "The nearest landmark", limits.landmark_max_chars, errors
    )
    name = clean_text(
        draft.reporter_name, "reporter_name", "Your name", limits.name_max_chars, errors
    )
    served_groups = _served_groups(draft.served_groups, errors)
    contact = _contact(draft, errors)
    media_url = (draft.media_url or "").strip()
    if media_url and (problem := media_url_problem(media_url)):
        errors["media_url"] = problem
    if draft.point is None and not errors.keys() & {"location", "lat", "lon"}:
        errors["location"] = "Place the pin on the map or type the coordinates."
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
        media_url or None,
    )
