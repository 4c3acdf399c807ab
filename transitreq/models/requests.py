"""What residents file and do: stop requests, supports, and the events that record every change."""

from __future__ import annotations

from datetime import datetime

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
    func,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from transitreq.models.base import WGS84_SRID, Base, UtcDateTime, enum_column, utc_now
from transitreq.models.projects import InfoQuestion, StopProject
from transitreq.models.status import Audience, RequestStatus

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
    # A photo or document the resident linked (Open311 media_url); shown publicly.
    media_url: Mapped[str | None] = mapped_column(String(500))
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=WGS84_SRID), nullable=False)
    status: Mapped[RequestStatus] = mapped_column(
        enum_column(RequestStatus, 20), default=RequestStatus.SUBMITTED, index=True
    )
    # Private: never rendered on public pages or in public JSON.
    reporter_name: Mapped[str | None] = mapped_column(String(100))
    reporter_contact: Mapped[str | None] = mapped_column(String(254))
    notify_progress: Mapped[bool] = mapped_column(Boolean, default=False)
    # Seeded and imported records are marked so the UI can label them as demo data.
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)
    # The site score (0–100) of the request's pin, cached for sorting and filtering the review
    # queue; refreshed when the request is filed or supported (services/review_queue.py), NULL
    # until first computed.
    score: Mapped[float | None] = mapped_column(Float, index=True)
    # Optimistic locking: a decision based on a stale read fails instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # The stop project an approval linked this request to, and the request a merge sent it to.
    project_id: Mapped[int | None] = mapped_column(ForeignKey("stop_projects.id"), index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("stop_requests.id"))

    supports: Mapped[list[Support]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by=Support.id
    )
    events: Mapped[list[Event]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="Event.id"
    )
    project: Mapped[StopProject | None] = relationship(back_populates="requests")
    merged_into: Mapped[StopRequest | None] = relationship(remote_side=[id])
    questions: Mapped[list[InfoQuestion]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="InfoQuestion.id"
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


StopRequest.supporter_count = column_property(
    select(func.count(Support.id))
    .where(Support.request_id == StopRequest.id)
    .correlate_except(Support)
    .scalar_subquery(),
    deferred=False,
)


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
    # A short machine word for what happened: "submitted", "supported", "status_changed"…
    kind: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[Audience] = mapped_column(enum_column(Audience, 10), default=Audience.PUBLIC)
    # Who acted, as shown on the audit log: "resident", "system", or a staff user's name.
    actor: Mapped[str] = mapped_column(String(100), default="resident")
    # The staff account behind ``actor``, while it exists (residents have none).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)

    request: Mapped[StopRequest | None] = relationship(back_populates="events")
    project: Mapped[StopProject | None] = relationship()
