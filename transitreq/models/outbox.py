"""E-mails waiting to be sent, written in the same transaction as the change they announce."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from transitreq.models.base import Base, UtcDateTime, utc_now


class OutboundEmail(Base):
    """One message to one resident.

    Queued with the milestone it announces, so a rolled-back change never sends mail and a
    mail server that is down never loses a message: delivery happens after commit, and
    ``flask send-notifications`` retries whatever is still unsent.
    """

    __tablename__ = "outbound_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # The project event the message announces, for the audit trail.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
