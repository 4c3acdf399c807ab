"""Civic apps allowed to file requests through Open311: each holds one key, stored hashed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from transitreq.models.base import Base, UtcDateTime, utc_now


class ApiClient(Base):
    """One client app and the SHA-256 of the key issued to it (the key itself is never kept).

    A revoked client keeps its row, so the audit trail of who could file when survives.
    """

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # Hex SHA-256 of the issued key: 64 characters.
    key_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
