"""What residents file and do: stop requests, supports, and the events that record every change."""

from __future__ import annotations

import enum
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from transitreq.models.base import WGS84_SRID, Base, UtcDateTime, enum_column, utc_now
from transitreq.models.projects import InfoQuestion, StopProject
from transitreq.models.request_photos import RequestPhoto
from transitreq.models.status import Audience, RequestStatus

if TYPE_CHECKING:
    from transitreq.models.accounts import User

REFERENCE_PREFIX = "SR"


class Support(Base):
    """One person backing an existing request instead of filing a duplicate.

    ``contact`` is stored normalised (lower-case e-mail, phone digits) so the same person cannot
    support twice by varying case or spacing; it is never shown publicly.
    """

    __tablename__ = "supports"
    __table_args__ = (UniqueConstraint("request_id", "contact"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("stop_requests.id", ondelete="CASCADE"), index=True
    )
    contact: Mapped[str] = mapped_column(String(254))
    name: Mapped[str | None] = mapped_column(String(100))
    # The supporter asked for an e-mail at each public milestone (only e-mail contacts can).
    notify_progress: Mapped[bool] = mapped_column(Boolean, default=False)
    # The language the supporter read the page in ("zh_Hans", "en"): their e-mails are written
    # in it. None for supports older than the translations: the city's default language.
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)

    request: Mapped[StopRequest] = relationship(back_populates="supports")


class StopRequest(Base):
    """A resident's request for a stop at a place."""

    __tablename__ = "stop_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    # ServedGroup values ticked on the form, in the form's order.
    served_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    landmark: Mapped[str] = mapped_column(String(200), default="")
    # Photos or documents the resident linked (Open311 media_url, as many as were sent);
    # shown publicly.
    media_urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=WGS84_SRID), nullable=False)
    status: Mapped[RequestStatus] = mapped_column(
        enum_column(RequestStatus, 20), default=RequestStatus.SUBMITTED, index=True
    )
    # Private: never rendered on public pages or in public JSON.
    reporter_name: Mapped[str | None] = mapped_column(String(100))
    reporter_contact: Mapped[str | None] = mapped_column(String(254))
    notify_progress: Mapped[bool] = mapped_column(Boolean, default=False)
    # The language the resident filed in; their e-mails are written in it (None: the default).
    locale: Mapped[str | None] = mapped_column(String(16))
    # Seeded and imported records are marked so the UI can label them as demo data.
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)
    # The site score (0–100) of the request's pin, cached for sorting and filtering the review
    # queue (services/analysis/scores.py); NULL until first computed.
    score: Mapped[float | None] = mapped_column(Float, index=True)
    # What ``score`` was computed under (a fingerprint of the evaluation settings); NULL or a
    # "due-…" mark once a filing, a support nearby or an import made it stale.
    score_basis: Mapped[str | None] = mapped_column(String(40))
    # How many people back the request besides its reporter: kept by the database's triggers on
    # ``supports`` (migration 0023), never written by the app, so the queue sorts and shows it
    # without counting supports per request. A request loaded before a support was added holds
    # the old count until refreshed.
    supporter_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    # Optimistic locking: a decision based on a stale read fails instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # The stop project an approval linked this request to, and the request a merge sent it to.
    project_id: Mapped[int | None] = mapped_column(ForeignKey("stop_projects.id"), index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("stop_requests.id"))
    # The planner who has the request on their desk (None: nobody yet); not a decision, so
    # changing it leaves the version alone (services/requests/assignment.py).
    assigned_to_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    supports: Mapped[list[Support]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by=Support.id
    )
    events: Mapped[list[Event]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="Event.id"
    )
    project: Mapped[StopProject | None] = relationship(back_populates="requests")
    merged_into: Mapped[StopRequest | None] = relationship(remote_side=[id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assigned_to_user_id])
    questions: Mapped[list[InfoQuestion]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="InfoQuestion.id"
    )
    # Photos of the spot the resident attached, in the order given; public once published.
    photos: Mapped[list[RequestPhoto]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by=RequestPhoto.id
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def reference(self) -> str:
        """The public reference residents quote, e.g. SR-2026-000123 (year filed, then id)."""
        return format_reference(self.created_at.year, self.id)

    @property
    def public_events(self) -> list[Event]:
        return [event for event in self.events if event.audience is Audience.PUBLIC]

    @property
    def open_question(self) -> InfoQuestion | None:
        """The planner's question still waiting for the resident's answer, if any."""
        unanswered = [question for question in self.questions if question.answered_at is None]
        return unanswered[-1] if unanswered else None


def format_reference(year: int, request_id: int) -> str:
    return f"{REFERENCE_PREFIX}-{year:04d}-{request_id:06d}"


_REFERENCE = re.compile(
    rf"^\s*{REFERENCE_PREFIX}-(?P<year>\d{{4}})-(?P<number>\d{{1,9}})\s*$", re.IGNORECASE
)


def parse_reference(text: str | None) -> tuple[int, int] | None:
    """(year, request id) of a reference as people type it (``sr-2026-123`` too, with spaces
    around), or None when it is not one; ``format_reference`` writes it back in full."""
    match = _REFERENCE.match(text or "")
    return (int(match["year"]), int(match["number"])) if match else None


class EventKind(enum.StrEnum):
    """What happened, as a machine word; the words residents and staff read are made from the
    kind and the event's ``facts`` when shown (``transitreq/sentences.py``), in their language."""

    # A request's own steps.
    SUBMITTED = "submitted"
    SUPPORTED = "supported"
    STATUS_CHANGED = "status_changed"
    APPROVED = "approved"
    MERGED = "merged"
    REJECTED = "rejected"
    INFO_REQUESTED = "info_requested"
    INFO_ANSWERED = "info_answered"
    INTERNAL_NOTE = "internal_note"
    COMPLETED = "completed"
    PROJECT_CANCELLED = "project_cancelled"
    FEEDBACK_PUBLISHED = "feedback_published"
    FEEDBACK_HIDDEN = "feedback_hidden"
    PHOTO_PUBLISHED = "photo_published"
    PHOTO_HIDDEN = "photo_hidden"
    ASSIGNED = "assigned"
    # A stop project's.
    PROJECT_STAGE = "project_stage"
    SURVEY_FINDINGS = "survey_findings"
    SURVEY_DONE = "survey_done"
    SIGN_OFF_GIVEN = "sign_off_given"
    SIGN_OFF_REASON = "sign_off_reason"
    SIGN_OFF_CHANGES_REQUESTED = "sign_off_changes_requested"
    SIGN_OFF_REFUSED = "sign_off_refused"
    SIGN_OFF_REOPENED = "sign_off_reopened"
    CONSTRUCTION_FINISHED = "construction_finished"
    LAUNCH_PLANNED = "launch_planned"
    DUE_DATE_CHANGED = "due_date_changed"
    PROJECT_NOTE = "project_note"


class Event(Base):
    """One change on the audit log: who did what, when, from which status to which.

    Public events make up the resident's timeline; internal ones are for staff only. An event
    belongs to a request, or to a stop project (``project_id``), whose public events appear on
    the timeline of every request linked to it.
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("stop_requests.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("stop_projects.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, 40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    # What the sentence about the event is made of: a department's name, a date (ISO), routes,
    # a reference, a reason's code… never a sentence.
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Only what a person typed (a planner's note, a question, a reason); may be empty.
    note: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[Audience] = mapped_column(enum_column(Audience, 10), default=Audience.PUBLIC)
    # Who acted, as shown on the audit log: "resident", "system", or a staff user's name.
    actor: Mapped[str] = mapped_column(String(100), default="resident")
    # The staff account behind ``actor``, while it exists (residents have none).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)

    request: Mapped[StopRequest | None] = relationship(back_populates="events")
    project: Mapped[StopProject | None] = relationship()
