"""Staff accounts: planners, administrators and the departments that sign off stops."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from transitreq.models.base import Base, UtcDateTime, utc_now


class Role(enum.StrEnum):
    PLANNER = "planner"
    ADMIN = "admin"
    # Staff of another department (urban construction, landscaping, the bus operator…), who
    # act on their own department's sign-offs only.
    DEPARTMENT = "department"

    @property
    def label(self) -> str:
        return {"planner": "Planner", "admin": "Administrator", "department": "Department staff"}[
            self.value
        ]


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
    # Consecutive failed logins, and until when the next attempt must wait: each failure past
    # the first few doubles the wait, so guessing a password takes years, not minutes.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
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
