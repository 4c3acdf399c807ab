"""Staff accounts: planners, administrators and the departments that sign off stops."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import LazyString
from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from transitreq.i18n import lazy_gettext
from transitreq.models.base import Base, UtcDateTime, utc_now


class Role(enum.StrEnum):
    PLANNER = "planner"
    ADMIN = "admin"
    # Staff of another department (urban construction, landscaping, the bus operator…), who
    # act on their own department's sign-offs only.
    DEPARTMENT = "department"

    @property
    def label(self) -> LazyString:
        return _ROLE_LABELS[self.value]


_ROLE_LABELS = {
    "planner": lazy_gettext("Planner"),
    "admin": lazy_gettext("Administrator"),
    "department": lazy_gettext("Department staff"),
}


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)

    staff: Mapped[list[User]] = relationship(back_populates="department")


class User(Base):
    """A member of staff who logs in. Residents never have accounts."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-case, so logging in does not depend on how the address is typed.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            native_enum=False,
            length=20,
            values_callable=lambda members: [member.value for member in members],
        )
    )
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    # Werkzeug's scrypt hash; the password itself is never stored.
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Copied into each session at login; a session carrying an older number no longer counts.
    # Logging out, a password change or reset, deactivation and reactivation raise it, which
    # ends every session of this person at once, on every worker.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)

    department: Mapped[Department | None] = relationship(back_populates="staff")

    # Flask-Login's user interface, kept here so the web layer needs no wrapper class.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_planner(self) -> bool:
        return self.role in (Role.PLANNER, Role.ADMIN)


class LoginAttempt(Base):
    """Login attempts at one account from one client address in the current window, or (with
    ``client`` empty) from all addresses together: the budget that throttles password guessing.

    One row per (account, client), counted up with a single INSERT … ON CONFLICT … RETURNING,
    so attempts made at the same moment each get their own number (services/login_throttle.py).
    """

    __tablename__ = "login_attempts"
    __table_args__ = (UniqueConstraint("account", "client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the e-mail address as typed (trimmed, lower-case): an address without an
    # account is counted exactly like one with, and what strangers type is not kept.
    account: Mapped[str] = mapped_column(String(64))
    # The client's address as the web layer saw it; empty for the row of all clients together.
    client: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
