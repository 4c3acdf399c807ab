"""The statuses a stop request passes through, with the words and colours residents see."""

from __future__ import annotations

import enum


class RequestStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    NEEDS_INFO = "needs_info"
    APPROVED = "approved"
    MERGED = "merged"
    REJECTED = "rejected"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def colour(self) -> str:
        """Map and badge colour; chosen to stay distinguishable for red-green colour blindness."""
        return _COLOURS[self]


_LABELS = {
    RequestStatus.SUBMITTED: "Submitted",
    RequestStatus.UNDER_REVIEW: "Under review",
    RequestStatus.NEEDS_INFO: "Needs information",
    RequestStatus.APPROVED: "Approved",
    RequestStatus.MERGED: "Merged",
    RequestStatus.REJECTED: "Not approved",
    RequestStatus.COMPLETED: "Stop in service",
}

_COLOURS = {
    RequestStatus.SUBMITTED: "#1f6fd1",
    RequestStatus.UNDER_REVIEW: "#e08a00",
    RequestStatus.NEEDS_INFO: "#8e44ad",
    RequestStatus.APPROVED: "#0b8a5f",
    RequestStatus.MERGED: "#7f8c8d",
    RequestStatus.REJECTED: "#a0392d",
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
    def label(self) -> str:
        return _SERVED_LABELS[self]


_SERVED_LABELS = {
    ServedGroup.ELDERLY: "Elderly residents",
    ServedGroup.SCHOOL: "Children / school",
    ServedGroup.HEALTH: "Hospital / clinic",
    ServedGroup.WORKPLACE: "Workplace",
    ServedGroup.DISABLED_ACCESS: "Disabled access",
    ServedGroup.OTHER: "Other",
}
