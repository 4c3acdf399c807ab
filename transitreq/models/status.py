"""The statuses a stop request passes through, with the words and colours residents see.

A status's value is its code, the same in every language; its ``label`` is the word for it,
translated when shown (a lazy string, so it may sit in a module's constant).
"""

from __future__ import annotations

import enum

from flask_babel import LazyString

from transitreq.i18n import lazy_gettext


class RequestStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    NEEDS_INFO = "needs_info"
    APPROVED = "approved"
    MERGED = "merged"
    REJECTED = "rejected"
    COMPLETED = "completed"

    @property
    def label(self) -> LazyString:
        return _LABELS[self]

    @property
    def colour(self) -> str:
        """Map, legend and badge colour: white badge text on it reads at 4.5:1 or better
        (WCAG AA), and no two statuses look alike with red-green colour blindness
        (``tests/test_status_colours.py`` checks both)."""
        return _COLOURS[self]


_LABELS = {
    RequestStatus.SUBMITTED: lazy_gettext("Submitted"),
    RequestStatus.UNDER_REVIEW: lazy_gettext("Under review"),
    RequestStatus.NEEDS_INFO: lazy_gettext("Needs information"),
    RequestStatus.APPROVED: lazy_gettext("Approved"),
    RequestStatus.MERGED: lazy_gettext("Merged"),
    RequestStatus.REJECTED: lazy_gettext("Not approved"),
    RequestStatus.COMPLETED: lazy_gettext("Stop in service"),
}

_COLOURS = {
    RequestStatus.SUBMITTED: "#1f6fd1",
    RequestStatus.UNDER_REVIEW: "#9a5b00",
    RequestStatus.NEEDS_INFO: "#8e44ad",
    RequestStatus.APPROVED: "#087f58",
    RequestStatus.MERGED: "#5d6d7e",
    RequestStatus.REJECTED: "#b3243f",
    RequestStatus.COMPLETED: "#14532d",
}


class Audience(enum.StrEnum):
    """Who may read an event: public events form the resident's timeline."""

    PUBLIC = "public"
    INTERNAL = "internal"


class ServedGroup(enum.StrEnum):
    """Who a requested stop would serve: the tick boxes on the request form."""

    ELDERLY = "elderly"
    SCHOOL = "school"
    HEALTH = "health"
    WORKPLACE = "workplace"
    DISABLED_ACCESS = "disabled_access"
    OTHER = "other"

    @property
    def label(self) -> LazyString:
        return _SERVED_LABELS[self]


_SERVED_LABELS = {
    ServedGroup.ELDERLY: lazy_gettext("Elderly residents"),
    ServedGroup.SCHOOL: lazy_gettext("Children / school"),
    ServedGroup.HEALTH: lazy_gettext("Hospital / clinic"),
    ServedGroup.WORKPLACE: lazy_gettext("Workplace"),
    ServedGroup.DISABLED_ACCESS: lazy_gettext("Disabled access"),
    ServedGroup.OTHER: lazy_gettext("Other"),
}
