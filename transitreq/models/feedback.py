"""What residents say once their stop is in service, shown publicly after a planner reads it."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import LazyString
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from transitreq.i18n import lazy_gettext
from transitreq.models.base import Base, UtcDateTime, enum_column, utc_now

if TYPE_CHECKING:
    from transitreq.models.requests import StopRequest


class FeedbackState(enum.StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    HIDDEN = "hidden"

    @property
    def label(self) -> LazyString:
        return _STATE_LABELS[self.value]


_STATE_LABELS = {
    "pending": lazy_gettext("Waiting for moderation"),
    "published": lazy_gettext("Published"),
    "hidden": lazy_gettext("Hidden"),
}


class Feedback(Base):
    """Feedback or thanks left on the tracking page of a completed request."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("stop_requests.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    # Shown with the message when given; residents may stay anonymous.
    name: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[FeedbackState] = mapped_column(
        enum_column(FeedbackState, 20), default=FeedbackState.PENDING, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    moderated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    moderated_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    request: Mapped[StopRequest] = relationship()
