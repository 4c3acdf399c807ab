"""Photos of the spot residents attach when filing, re-encoded, shown once a planner publishes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from transitreq.models.base import Base, UtcDateTime, utc_now

if TYPE_CHECKING:
    from transitreq.models.requests import StopRequest


class RequestPhoto(Base):
    """One photo of a requested stop's site, stored re-encoded: the resident's file itself, with
    its location, camera and other metadata, is never kept (``services/requests/photo_files.py``).

    In the database like survey photos, so every app host serves it. Nobody but staff sees it
    until a planner publishes it; ``published_at`` and ``published_by_user_id`` say who showed
    the photo now shown, and the request's audit log keeps every publish and hide.
    """

    __tablename__ = "request_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("stop_requests.id", ondelete="CASCADE"), index=True
    )
    # Deferred: pages list photos by the dozen, and only serving one needs its bytes.
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    content_type: Mapped[str] = mapped_column(String(50))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    published_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    request: Mapped[StopRequest] = relationship(back_populates="photos")
