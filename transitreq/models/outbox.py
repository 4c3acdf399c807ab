"""E-mails waiting to be sent, written in the same transaction as the change they announce."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from transitreq.models.base import Base, UtcDateTime, utc_now


class OutboundEmail(Base):
    """One message to one resident.

    Queued with the milestone it announces, so a rolled-back change never sends mail and a
    mail server that is down never loses a message. ``flask deliver-mail`` sends it later, outside
    any web request. A message is in one of three states: waiting (neither ``sent_at`` nor
    ``dead_at``), sent, or dead (refused for good, or out of attempts) until an administrator
    re-queues it. While a worker sends it, ``leased_until`` keeps other workers off it; a lease
    left behind by a worker that died simply runs out.
    """

    __tablename__ = "outbound_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # The project event the message announces, for the audit trail.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    # Set only once the mail server has accepted the message.
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    # Refusals by the server (4xx or 5xx) of this message; an unreachable server counts none.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Not to be tried before this moment (backoff after a temporary refusal); None means now.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The worker sending the message, and until when no other worker may take it.
    leased_by: Mapped[str | None] = mapped_column(String(100))
    leased_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # When delivery was given up; the reason is in last_error.
    dead_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)

    @property
    def state(self) -> str:
        """ "sent", "dead" or "waiting", as the admin page shows it."""
        if self.sent_at is not None:
            return "sent"
        return "dead" if self.dead_at is not None else "waiting"
