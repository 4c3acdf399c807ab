"""What planners decide: stop projects that approved requests join, and questions to residents."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from transitreq.models.base import WGS84_SRID, Base, UtcDateTime, utc_now

if TYPE_CHECKING:
    from transitreq.models.requests import StopRequest


class StopProject(Base):
    """A stop to be built where a planner chose, which one or more approved requests joined."""

    __tablename__ = "stop_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Where the stop goes: the planner's choice, which may differ from any resident's pin.
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=WGS84_SRID), nullable=False)
    # Milestones (survey, sign-offs, construction, in service) take it further in later work.
    status: Mapped[str] = mapped_column(String(20), default="approved")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    requests: Mapped[list[StopRequest]] = relationship(
        back_populates="project", order_by="StopRequest.id"
    )


class InfoQuestion(Base):
    """A planner's question to the resident who filed a request, and their answer."""

    __tablename__ = "info_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("stop_requests.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    # The planner's name as shown on the audit log, and their account while it exists.
    asked_by: Mapped[str] = mapped_column(String(100))
    asked_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    request: Mapped[StopRequest] = relationship(back_populates="questions")
